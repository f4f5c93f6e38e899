"""How a person proves who they are: a password (while LOCAL_LOGIN allows it), or the code
flow of the company's identity provider (mozilla-django-oidc, docs/sign-in.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import idp
from accounts.identities import IdentityRefused, identity_sign_in
from accounts.idp import oidc_setting


class LocalPasswordBackend(ModelBackend):
    """Django's password check, off when LOCAL_LOGIN is false: then neither the login
    form, nor the admin's, nor the API's basic auth takes a password."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not settings.LOCAL_LOGIN:
            return None
        return super().authenticate(request, username, password, **kwargs)


class IdentityProviderBackend(OIDCAuthenticationBackend):
    """The code flow's end: the code exchanged for tokens, the ID token checked (signature,
    issuer, audience, expiry, nonce), the userinfo claims added, and the account made or
    brought up to date by `identities.identity_sign_in`.

    Refusals propagate (`idp.TokenRejected`, `idp.ProviderUnavailable`,
    `identities.IdentityRefused`, `requests.RequestException` from the token endpoint) so
    that the callback page can say what went wrong."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self) -> None:
        # The library reads the endpoints here; they are read when a code comes in instead,
        # so that the password login works while no provider is configured or reachable.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not idp.is_configured():
            return None
        if not (request.GET.get("code") and request.GET.get("state")):
            return None
        for name in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
            setattr(self, name, oidc_setting(name))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        claims = idp.verified_claims(token, audience=settings.OIDC_RP_CLIENT_ID)
        if claims.get("nonce") != kwargs.get("nonce"):
            raise idp.TokenRejected("the ID token's nonce is not the one this browser sent")
        return claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims with the userinfo endpoint's on top: providers put groups
        in one or the other."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise IdentityRefused("the userinfo answer is for another subject")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        return identity_sign_in(claims=claims, issuer=idp.provider().issuer)
