"""The API's tests: named personas with their tokens, example apps, kestrapy clients."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from guardian.shortcuts import assign_perm

from accounts.models import ApiToken
from tests.conftest import import_example

with warnings.catch_warnings():
    # kestrapy's generated models shadow a pydantic attribute ("validate"): harmless here.
    warnings.simplefilter("ignore")
    import kestrapy

TENANT = "main"
PASSWORD = "correct horse battery staple"  # noqa: S105
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


def _user(name: str, **extra: Any) -> User:
    return User.objects.create_user(name, f"{name}@example.com", PASSWORD, **extra)


@pytest.fixture
def apps(db) -> dict[str, Any]:
    """The public data request app and the private vacation app (granted to group HR)."""
    return {
        "public": import_example("data_request"),
        "private": import_example("vacation_approval"),
    }


@pytest.fixture
def personas(apps: dict[str, Any]) -> dict[str, Persona]:
    """anonymous; outsider (no grant); member (in HR, which the private app names);
    direct (use granted on both apps to the user); manager (model permissions on apps,
    no use grant); superuser."""
    outsider = _user("olga")
    member = _user("mona")
    member.groups.add(Group.objects.get(name="HR"))
    direct = _user("dirk")
    for app in apps.values():
        assign_perm("apps_catalog.use_app", direct, app)
    manager = _user("manu")
    codenames = ["add_app", "change_app", "delete_app", "view_app"]
    manager.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    admin = User.objects.create_superuser("ada", "ada@example.com", PASSWORD)
    found = {"anonymous": Persona("anonymous", None, "")}
    for name, user in [
        ("outsider", outsider),
        ("member", member),
        ("direct", direct),
        ("manager", manager),
        ("superuser", admin),
    ]:
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


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Six personas a test: a fast hasher keeps the matrix quick (basic auth still checks)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
