"""The API's tests: named personas with their tokens, example apps, kestrapy clients."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import ApiToken
from tests.conftest import import_example
from tests.personas import PASSWORD, grant_use

with warnings.catch_warnings():
    # kestrapy's generated models shadow a pydantic attribute ("validate"): harmless here.
    warnings.simplefilter("ignore")
    import kestrapy

TENANT = "main"
PERSONAS = ("anonymous", "outsider", "member", "direct", "manager", "superuser")


@dataclass
class Persona:
    name: str
    user: User | None
    token: str  # "" for anonymous

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def kestra_client(base_url: str, *, token: str = "", user: User | None = None) -> Any:
    """kestrapy's client with a token, a username and password, or nothing."""
    if token:
        return kestrapy.KestraClient(host=base_url, token=token, timeout=30)
    if user is not None:
        return kestrapy.KestraClient(
            host=base_url, username=user.username, password=PASSWORD, timeout=30
        )
    return kestrapy.KestraClient(host=base_url, timeout=30)


@pytest.fixture
def apps(db) -> dict[str, Any]:
    """The public data request app and the private vacation app (granted to group HR)."""
    return {
        "public": import_example("data_request"),
        "private": import_example("vacation_approval"),
    }


@pytest.fixture
def personas(
    apps: dict[str, Any],
    outsider: User,
    approver: User,
    grantee: User,
    manager: User,
    admin: User,
) -> dict[str, Persona]:
    """The columns of the API's matrix, from tests/personas.py, each with a token:
    anonymous; outsider (no grant); member (the approver persona: in HR, which the private
    app names); direct (the grantee, granted use of both apps); manager (may change apps,
    granted no use of them); superuser."""
    grant_use(grantee, *apps.values())
    found = {"anonymous": Persona("anonymous", None, "")}
    users = {
        "outsider": outsider,
        "member": approver,
        "direct": grantee,
        "manager": manager,
        "superuser": admin,
    }
    for name, user in users.items():
        _, raw = ApiToken.objects.issue(user=user, name="tests")
        found[name] = Persona(name, user, raw)
    return found


def app_yaml(app_id: str = "api_made", *, name: str = "Made by the API", extra: str = "") -> str:
    return (
        f"id: {app_id}\n"
        "type: io.kestra.plugin.ee.apps.Execution\n"
        f"displayName: {name}\n"
        "namespace: demo\n"
        "flowId: data_request\n"
        "access: PUBLIC\n"
        "tags: [Scripts, Reporting]\n"
        f"{extra}"
    )


def listed(persona: Persona, path: str, params: dict | None = None) -> Any:
    """The JSON of a listing endpoint (`catalog`, `tags`, `search`) as `persona` reads it."""
    response = Client().get(f"/api/v1/{TENANT}/apps/{path}", params or {}, headers=persona.headers)
    assert response.status_code == 200, response.content
    return response.json()


def names(page: dict) -> list[str]:
    """The names on a page of apps, which must be the whole listing."""
    assert page["total"] == len(page["results"])
    return [item["name"] for item in page["results"]]
