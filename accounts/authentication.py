"""How the REST API knows who calls: a bearer token, HTTP basic auth (can be turned off),
or the browser session (with its CSRF check, which DRF's SessionAuthentication does)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, token_digest

# last_used is a hint for people tidying up their tokens: one write a minute is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The bearer token is malformed.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The bearer token is malformed.") from None
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        self._touch(token)
        return token.user, token

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SwitchableBasicAuthentication(authentication.BasicAuthentication):
    """Username and password, as kestrapy sends them; off when API_BASIC_AUTH is false.

    Off, a request that still sends them is refused (401) rather than treated as
    anonymous, so a script learns at once why it is not recognised."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        if not settings.API_BASIC_AUTH:
            parts = authentication.get_authorization_header(request).split()
            if parts and parts[0].lower() == b"basic":
                raise exceptions.AuthenticationFailed(
                    "Basic authentication is turned off; use an API token."
                )
            return None
        return super().authenticate(request)

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, None]:
        """Refused while django-axes locks this client or user name out (429, Retry-After);
        no password is checked then."""
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                wait = int(get_cool_off(request).total_seconds())
                raise exceptions.Throttled(
                    wait, f"Too many failed sign-ins; try again in {wait} seconds."
                ) from None
            raise
