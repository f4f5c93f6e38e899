from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppsCatalogConfig(AppConfig):
    name = "apps_catalog"
    verbose_name = _("Apps")
