"""The identity provider, as the portal reaches it: its discovery document, and the check
of the JWTs it signs (ID tokens at sign-in, access tokens at the REST API).

Discovery is read on first use, not at start-up, so the portal starts while the provider
is away, and kept per issuer; the signing keys are fetched by PyJWT's JWKS client, which
fetches them again when a token names a key it does not know (a rotation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings

_DISCOVERY = "/.well-known/openid-configuration"


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be read."""


class TokenRejected(Exception):
    """A JWT failed a check; the message names the check, never the token."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str  # empty when the provider offers no RP-initiated logout


_providers: dict[str, Provider] = {}
_key_sets: dict[str, jwt.PyJWKClient] = {}


def is_configured() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider() -> Provider:
    """The configured provider's endpoints, from its discovery document."""
    issuer = settings.OIDC_ISSUER
    if issuer not in _providers:
        _providers[issuer] = _discover(issuer)
    return _providers[issuer]


def _discover(issuer: str) -> Provider:
    try:
        response = requests.get(issuer.rstrip("/") + _DISCOVERY, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery failed: {type(exc).__name__}") from None
    # The document must speak for the issuer we trust (OpenID Connect Discovery, 4.3).
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderUnavailable("the discovery document names another issuer")
    try:
        return Provider(
            issuer=issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            userinfo_endpoint=document["userinfo_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=document.get("end_session_endpoint", ""),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"the discovery document lacks {exc.args[0]}") from None


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, with the provider's endpoints from its discovery."""
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    }
    if name in endpoints:
        return getattr(provider(), endpoints[name])
    return getattr(settings, name, *default)


def access_claims(raw: str) -> dict[str, Any]:
    """The claims of an access token for the REST API. An ID token is not one, even where
    its audience (the client id) is the API's: the portal's carry the nonce it sent."""
    claims = verified_claims(raw, audience=settings.OIDC_API_AUDIENCE)
    if "nonce" in claims:
        raise TokenRejected("an ID token is not an access token")
    return claims


def verified_claims(raw: str, *, audience: str) -> dict[str, Any]:
    """The claims of a JWT the provider signed for `audience`, unexpired; else TokenRejected
    (or ProviderUnavailable when its keys cannot be read)."""
    issuer = provider().issuer
    jwks_uri = provider().jwks_uri
    if jwks_uri not in _key_sets:
        _key_sets[jwks_uri] = jwt.PyJWKClient(
            jwks_uri, timeout=max(1, round(settings.OIDC_TIMEOUT))
        )
    try:
        key = _key_sets[jwks_uri].get_signing_key_from_jwt(raw)
        return jwt.decode(
            raw,
            key,
            algorithms=[settings.OIDC_RP_SIGN_ALGO],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWKClientConnectionError:
        raise ProviderUnavailable("the provider's keys could not be read") from None
    except jwt.PyJWKClientError:
        raise TokenRejected("the token is signed with a key the provider does not have") from None
    except jwt.ExpiredSignatureError:
        raise TokenRejected("the token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenRejected("the token is meant for another audience") from None
    except jwt.InvalidIssuerError:
        raise TokenRejected("the token comes from another issuer") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("the token's signature is wrong") from None
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(f"the token is not valid ({type(exc).__name__})") from None
