"""How the REST API knows who calls: a bearer token (the portal's own, or an access token
from the identity provider), HTTP basic auth (can be turned off), or the browser session
(with its CSRF check, which DRF's SessionAuthentication does)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import idp
from accounts.identities import IdentityRefused, identity_sign_in
from accounts.models import TOKEN_PREFIX, ApiToken, token_digest

logger = logging.getLogger(__name__)

# last_used is a hint for people tidying up their tokens: one write a minute is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken | None] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The bearer token is malformed."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The bearer token is malformed.")) from None
        if not raw.startswith(TOKEN_PREFIX) and raw.count(".") == 2 and idp.is_configured():
            return self._provider_user(raw), None
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        self._touch(token)
        return token.user, token

    @staticmethod
    def _provider_user(raw: str) -> Any:
        """The account for an access token the identity provider signed (a JWT for
        OIDC_API_AUDIENCE), through the same rule as the sign-in."""
        try:
            claims = idp.access_claims(raw)
            user = identity_sign_in(claims=claims, issuer=idp.provider().issuer)
        except (idp.TokenRejected, IdentityRefused) as exc:
            logger.warning("API access token refused: %s", exc)
            raise exceptions.AuthenticationFailed(
                _("The access token is refused: %(reason)s.") % {"reason": exc}
            ) from None
        except idp.ProviderUnavailable as exc:
            logger.warning("API access token not checked: %s", exc)
            raise exceptions.AuthenticationFailed(
                _("The identity provider does not answer; the access token cannot be checked.")
            ) from None
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("The account is switched off."))
        return user

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
                    _("Basic authentication is turned off; use an API token.")
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
                    wait,
                    ngettext(
                        "Too many failed sign-ins; try again in %(count)s second.",
                        "Too many failed sign-ins; try again in %(count)s seconds.",
                        wait,
                    )
                    % {"count": wait},
                ) from None
            raise
