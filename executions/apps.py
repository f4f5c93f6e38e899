from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "executions"
    verbose_name = "Executions"

    def ready(self) -> None:
        from executions import request_counts
        from executions.kestra import client

        client.observe_requests(request_counts.record)
