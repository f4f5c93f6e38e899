"""Signed decision links. A message to someone who may decide carries a link that names
that person, the execution and its pause. Opening it (a GET, as mail scanners and chat
unfurlers do) shows the decision and its form and decides nothing; sending the form acts
as that person without a login, within NOTIFY_LINK_HOURS, once. The approval policy still
applies: the link proves who the person is, not that they may decide."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from executions.models import Execution
from notifications.models import UsedLink

DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # `make run`, when PORTAL_BASE_URL is not set
_SALT = "notifications.decision-link"

# Marked for the catalogs; LinkRefused says them in the language of the request.
NOT_VALID = gettext_noop("This link is not valid: it may have been cut short when it was copied.")
EXPIRED = gettext_noop("This link has expired. Open the request in the portal to decide.")
SOMEONE_ELSE = gettext_noop(
    "This link was sent to someone else. Open the request in the portal instead."
)
OVER = gettext_noop("This link was for a decision that is over.")
NO_ACCESS = gettext_noop("The app of this request is not open to you.")
USED = gettext_noop(
    "This link has been used already. Open the request in the portal to see the decision."
)


def portal_url(path: str) -> str:
    """An absolute address in the portal, as messages carry them."""
    return f"{settings.PORTAL_BASE_URL or DEFAULT_BASE_URL}{path}"


class LinkRefused(Exception):
    """Why a link does not act, with the status its page answers."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(_(message))
        self.status = status


@dataclass(frozen=True)
class Holder:
    """What a valid link names: the person it was sent to, the execution, and its nonce."""

    user: User
    execution: Execution
    nonce: str


def issue(execution: Execution, user: User) -> str:
    """A new link for this person and the execution's pause under way."""
    claims = {"x": execution.pk, "p": execution.pause_key, "u": user.pk, "n": secrets.token_hex(8)}
    token = signing.dumps(claims, salt=_SALT, compress=True)
    return portal_url(reverse("notifications:decide", kwargs={"token": token}))


def _claims(token: str) -> dict[str, object]:
    try:
        claims = signing.loads(
            token, salt=_SALT, max_age=timedelta(hours=settings.NOTIFY_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise LinkRefused(EXPIRED, 410) from None
    except signing.BadSignature:
        raise LinkRefused(NOT_VALID, 404) from None
    if not isinstance(claims, dict):
        raise LinkRefused(NOT_VALID, 404)
    return claims


def read(token: str, visitor: User | AnonymousUser) -> Holder:
    """The link's holder, or LinkRefused: not signed by this portal (404), expired, for a
    pause that is over or already used (410), or opened by someone logged in as another
    person (403)."""
    claims = _claims(token)
    execution_pk, user_pk = claims.get("x"), claims.get("u")
    if not isinstance(execution_pk, int) or not isinstance(user_pk, int):
        raise LinkRefused(NOT_VALID, 404)
    execution = Execution.objects.select_related("app").filter(pk=execution_pk).first()
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if execution is None or user is None:
        raise LinkRefused(NOT_VALID, 404)
    if visitor.is_authenticated and visitor.pk != user.pk:
        raise LinkRefused(SOMEONE_ELSE, 403)
    if execution.pause_key != claims.get("p") or not execution.awaits_decision:
        raise LinkRefused(OVER, 410)
    nonce = str(claims.get("n") or "")
    if not nonce or UsedLink.objects.filter(nonce=nonce).exists():
        raise LinkRefused(USED, 410)
    return Holder(user=user, execution=execution, nonce=nonce)


def spend(holder: Holder) -> None:
    """Mark the link used before it acts; LinkRefused when another request used it first."""
    try:
        with transaction.atomic():
            UsedLink.objects.create(
                nonce=holder.nonce, execution=holder.execution, user=holder.user
            )
    except IntegrityError:
        raise LinkRefused(USED, 410) from None


def give_back(holder: Holder) -> None:
    """The action did not happen (a field to fix, Kestra away): the link may act again."""
    UsedLink.objects.filter(nonce=holder.nonce).delete()
