from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExecutionsConfig(AppConfig):
    name = "executions"
    verbose_name = _("Executions")

    def ready(self) -> None:
        from celery.signals import worker_process_shutdown

        from executions import request_counts
        from executions.kestra import client

        client.observe_requests(request_counts.record)
        # A worker that stops writes what it counted since its last flush.
        worker_process_shutdown.connect(request_counts.on_worker_stop, weak=False)
