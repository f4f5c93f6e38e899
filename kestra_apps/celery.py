"""The Celery application: workers deliver submissions to Kestra and poll executions."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# The file-system broker whose messages appear whole (see kestra_apps/broker.py).
TRANSPORT_ALIASES["filesystem"] = "kestra_apps.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kestra_apps.settings")

app = Celery("kestra_apps")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
