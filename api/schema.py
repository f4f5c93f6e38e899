"""How the OpenAPI schema names the API's ways of authenticating. Loaded in ApiConfig.ready."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class _HttpScheme(OpenApiAuthenticationExtension):
    """An HTTP authentication scheme; with no target_class, this base matches no class."""

    scheme = ""
    description = ""

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": self.scheme, "description": self.description}


class BearerTokenScheme(_HttpScheme):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"
    scheme = "bearer"
    description = "A personal API token, made on /accounts/tokens/."


class BasicScheme(_HttpScheme):
    target_class = "accounts.authentication.SwitchableBasicAuthentication"
    name = "basicAuth"
    scheme = "basic"
    description = "Username and password; off when API_BASIC_AUTH is false."
