"""System checks for the sign-in settings (`manage.py check` reports them)."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error


def check_sign_in(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problems: list[Error] = []
    issuer = settings.OIDC_ISSUER
    if issuer and (urlsplit(issuer).scheme not in {"http", "https"} or not urlsplit(issuer).netloc):
        problems.append(
            Error(
                f"OIDC_ISSUER must be the provider's http(s) issuer URL, got {issuer!r}.",
                hint="For example https://idp.example.com/realms/staff",
                id="accounts.E001",
            )
        )
    if issuer and not (settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET):
        problems.append(
            Error(
                "OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.",
                hint="The secret may come from a file named by OIDC_CLIENT_SECRET_FILE.",
                id="accounts.E002",
            )
        )
    if not settings.LOCAL_LOGIN and not issuer:
        problems.append(
            Error(
                "LOCAL_LOGIN=false with no OIDC_ISSUER: nobody could sign in.",
                hint="Configure the identity provider, or leave LOCAL_LOGIN on.",
                id="accounts.E003",
            )
        )
    if settings.OIDC_SESSION_MAX_AGE <= 0:
        problems.append(Error("OIDC_SESSION_MAX_AGE must be positive.", id="accounts.E004"))
    return problems
