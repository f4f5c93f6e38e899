"""Per-user API tokens: only a digest is stored, the token itself is shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "kap_"  # noqa: S105  # a marker that says what the string is, not a secret


def token_digest(raw: str) -> str:
    # A token is 256 random bits, so a plain SHA-256 is enough: nothing to brute-force,
    # and a lookup by digest stays one indexed query per request.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def issue(self, *, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token for the user: (the stored record, the raw token to show once)."""
        raw = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        token = self.create(user=user, name=name, prefix=raw[:12], digest=token_digest(raw))
        return token, raw


class ApiToken(models.Model):
    """A bearer token for the REST API, acting as its user. Revoking is deleting it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text=_("What the token is for, e.g. 'CI deploy'."))
    prefix = models.CharField(
        max_length=12, editable=False, help_text=_("The token's first characters, to recognise it.")
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Identity(models.Model):
    """The person at the identity provider a portal account stands for: the provider's
    `sub` for the user, stable when their name or email changes there. `groups` holds the
    group names the provider gave at the last sign-in, so the next one knows which of the
    user's groups are the provider's to remove and which were made by hand."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, blank=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_identity")
        ]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
