from django.apps import AppConfig


class KestraAppsConfig(AppConfig):
    name = "kestra_apps"
    verbose_name = "Kestra Apps portal"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin
        from django.core import checks

        from kestra_apps.checks import check_settings

        checks.register(check_settings)
        # The admin goes by the portal's name (PORTAL_TITLE) too.
        admin.site.site_header = admin.site.site_title = f"{settings.PORTAL_TITLE} admin"
