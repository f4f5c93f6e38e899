from django.apps import AppConfig


class KestraAppsConfig(AppConfig):
    name = "kestra_apps"
    verbose_name = "Kestra Apps portal"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin
        from django.core import checks
        from django.utils.text import format_lazy
        from django.utils.translation import gettext_lazy as _

        from kestra_apps.checks import check_settings

        checks.register(check_settings)
        # The admin goes by the portal's name (PORTAL_TITLE) too.
        admin.site.site_header = admin.site.site_title = format_lazy(
            _("{title} admin"), title=settings.PORTAL_TITLE
        )
