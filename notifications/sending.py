"""Sending the outbox: each due notification is claimed (a lease and a claim token, in the
WHERE of an UPDATE on its own row, as executions are), tried once, and written back only
where the claim still holds. A failure is tried again with a growing wait, up to
NOTIFY_MAX_ATTEMPTS; each try is an Attempt row the admin shows.

A worker killed after the mail server took a message but before the row said so leaves
the row claimed; once the lease ends it is sent again, with the same Message-ID, which
mail systems use to drop the copy. Nothing is lost: a row is SENT only after a success.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import apprise
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from notifications.events import PERSONAL_CHAT
from notifications.models import Attempt, Notification, Preference

logger = logging.getLogger(__name__)
BATCH = 100


class SendFailed(Exception):
    """The mail server or the chat service did not take the message; `str` says why,
    without the address (a chat address holds a secret)."""


def due(now: datetime) -> list[int]:
    """The notifications to try now, oldest first."""
    rows = (
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return list(rows)


def send_due(*, now: datetime | None = None) -> int:
    """Send what is due; how many were sent."""
    sent = 0
    for pk in due(now or timezone.now()):
        sent += notification_send(notification_id=pk)
    return sent


def notification_send(*, notification_id: int) -> bool:
    """Claim one notification and try to send it; True when this call sent it."""
    now = timezone.now()
    claim = secrets.token_hex(8)
    lease = timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    taken = (
        Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(claim=claim, lease_until=now + lease, attempts=F("attempts") + 1)
    )
    if not taken:
        return False
    notification = Notification.objects.get(pk=notification_id)
    attempt = Attempt.objects.create(notification=notification)
    try:
        _deliver(notification)
    except SendFailed as exc:
        _failed(notification, attempt, claim, str(exc))
        return False
    Attempt.objects.filter(pk=attempt.pk).update(outcome="SENT")
    Notification.objects.filter(pk=notification.pk, claim=claim).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    return True


def _failed(notification: Notification, attempt: Attempt, claim: str, error: str) -> None:
    gave_up = notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS
    wait = min(settings.NOTIFY_BACKOFF_MAX_SECONDS, 2 ** max(0, notification.attempts - 1))
    Attempt.objects.filter(pk=attempt.pk).update(outcome="FAILED", error=error)
    Notification.objects.filter(pk=notification.pk, claim=claim).update(
        status=Notification.Status.FAILED if gave_up else Notification.Status.PENDING,
        next_attempt_at=None if gave_up else timezone.now() + timedelta(seconds=wait),
        lease_until=None,
        last_error=error,
    )
    logger.warning(
        "notification %s attempt %s failed: %s", notification.pk, notification.attempts, error
    )


def _deliver(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        _email(notification)
    else:
        _chat(notification)


def message_id(notification: Notification) -> str:
    """The same for every try of one notification: a copy sent twice is one message."""
    return f"<notification-{notification.pk}.{notification.created:%Y%m%d%H%M%S}@kestra-apps>"


def _email(notification: Notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.text,
        to=[notification.address],
        headers={"Message-ID": message_id(notification)},
        connection=get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT),
    )
    if notification.html:
        message.attach_alternative(notification.html, "text/html")
    try:
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise SendFailed(f"the mail server did not take it: {type(exc).__name__}: {exc}") from exc


def chat_address(notification: Notification) -> str:
    """The Apprise URL behind a notification's chat address: a person's own (kept
    encrypted), or an app's named channel (CHAT_CHANNELS)."""
    kind, _, owner = notification.address.partition(":")
    if kind == PERSONAL_CHAT:
        preference = Preference.objects.filter(user_id=owner).first()
        return preference.chat_address if preference else ""
    return str(settings.CHAT_CHANNELS.get(notification.address, ""))


def _chat(notification: Notification) -> None:
    address = chat_address(notification)
    if not address:
        raise SendFailed(f"no chat address for {notification.address.split(':')[0]!r}")
    sender = apprise.Apprise()
    if not sender.add(address):
        raise SendFailed("the chat address is not one Apprise knows")
    body = f"{notification.text}"
    if not sender.notify(title=notification.subject, body=body):
        raise SendFailed("the chat service did not take it")
