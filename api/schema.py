"""How the OpenAPI schema names the API's ways of authenticating. Loaded in ApiConfig.ready."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on /accounts/tokens/.",
        }


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SwitchableBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username and password; off when API_BASIC_AUTH is false.",
        }
