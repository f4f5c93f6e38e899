import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kestra_apps.settings")
# Under ASGI each request runs in a context of its own, and Django gives each context a
# database connection of its own: kept after the request (CONN_MAX_AGE), they pile up until
# they are garbage-collected, so every request closes its connection when it ends.
os.environ["DATABASE_CONN_MAX_AGE"] = "0"

application = get_asgi_application()
