"""The outbox: a message is a row, written in the same transaction as the event that
causes it, then sent by a worker (notifications.sending) with retries; each attempt is
kept. And what each person wants to receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps_catalog.notification_settings import EVENTS
from executions.models import Execution
from kestra_apps import crypto

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Chat addresses hold secrets (webhook tokens): kept sealed, never in clear in the database.
CHAT_ADDRESS = "chat-address"


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "EMAIL", _("Email")
        CHAT = "CHAT", _("Chat")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting to be sent")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Given up")

    # The event, the execution and the recipient: one message each, however often the
    # event is noticed (a poll retried, two workers).
    key = models.CharField(max_length=255, unique=True, editable=False)
    event = models.CharField(max_length=20, choices=[(e, e) for e in EVENTS])
    channel = models.CharField(max_length=10, choices=Channel.choices)
    execution = models.ForeignKey(
        Execution, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    address = models.CharField(
        max_length=254, help_text=_("An email address, or the name of a chat channel.")
    )
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField(blank=True)
    link = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.event} to {self.address} ({self.get_status_display()})"


class Attempt(models.Model):
    """One try at sending a notification, and how it went."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, blank=True)  # SENT, FAILED; "" while under way
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started", "pk"]

    def __str__(self) -> str:
        return f"{self.started:%Y-%m-%d %H:%M:%S} {self.outcome or 'sending'}"


class Preference(models.Model):
    """What one person receives: the events they turned off, and their own chat address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    muted = models.JSONField(default=list, blank=True, help_text="Events not to send.")
    chat_secret = models.TextField(blank=True, editable=False)
    # One of settings.LANGUAGES, or empty: the browser's language (docs/i18n.md).
    language = models.CharField(max_length=12, blank=True, default="")

    def __str__(self) -> str:
        return f"preferences of {self.user}"

    @property
    def chat_address(self) -> str:
        # SECRET_KEY changed: the address is lost, not shown broken
        return crypto.unseal(self.chat_secret, purpose=CHAT_ADDRESS) or ""

    @chat_address.setter
    def chat_address(self, address: str) -> None:
        self.chat_secret = crypto.seal(address, purpose=CHAT_ADDRESS)


class UsedLink(models.Model):
    """A signed decision link that has acted (notifications.links): each acts once."""

    nonce = models.CharField(max_length=32, unique=True)
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="used_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    used = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"link of {self.user} used {self.used:%Y-%m-%d %H:%M}"


# A signed-in person's language rides in their session, so no page spends a query on it:
# written at sign-in from their preferences and wherever they change it; read by
# kestra_apps.middleware.PreferredLanguageMiddleware.
LANGUAGE_SESSION_KEY = "portal_language"


def preferred_language(user: User) -> str:
    """The language a person saved in their preferences, or "" for their browser's."""
    saved = Preference.objects.filter(user=user).values_list("language", flat=True).first()
    return saved if saved and saved in dict(settings.LANGUAGES) else ""
