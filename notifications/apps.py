from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def _language_into_session(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from notifications.models import LANGUAGE_SESSION_KEY, preferred_language

    request.session[LANGUAGE_SESSION_KEY] = preferred_language(user)


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        user_logged_in.connect(_language_into_session, dispatch_uid="portal-language")
