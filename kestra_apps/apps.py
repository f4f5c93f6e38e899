from django.apps import AppConfig


class KestraAppsConfig(AppConfig):
    name = "kestra_apps"
    verbose_name = "Kestra Apps portal"

    def ready(self) -> None:
        from django.core import checks

        from kestra_apps.checks import check_settings

        checks.register(check_settings)
