"""The Celery application: workers deliver submissions to Kestra and poll executions."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kestra_apps.settings")

app = Celery("kestra_apps")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
