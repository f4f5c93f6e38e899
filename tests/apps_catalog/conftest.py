"""Personas and apps for the catalog and admin tests."""

from __future__ import annotations

import textwrap

import pytest
from django.contrib.auth.models import Group, Permission, User

APP_TYPE = "io.kestra.plugin.ee.apps.Execution"


def app_yaml(app_id: str, **extra: str) -> str:
    """A valid app on the emulator's demo.data_request flow; `extra` adds top-level YAML."""
    lines = [
        f"id: {app_id}",
        f"type: {APP_TYPE}",
        f"displayName: {extra.pop('displayName', app_id.replace('_', ' ').title())}",
        f"namespace: {extra.pop('namespace', 'demo')}",
        f"flowId: {extra.pop('flowId', 'data_request')}",
    ]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-root-1")


@pytest.fixture
def app_manager() -> User:
    """Staff who may manage apps in the admin, but is not a superuser."""
    user = User.objects.create_user("manager", password="pw-manager-1", is_staff=True)
    codenames = ["add_app", "change_app", "view_app", "delete_app"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer_staff() -> User:
    """Staff who may only look at apps in the admin."""
    user = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_app"))
    return user


@pytest.fixture
def outsider() -> User:
    return User.objects.create_user("outsider", password="pw-outsider-1")


@pytest.fixture
def member() -> User:
    """In the Analysts group."""
    user = User.objects.create_user("member", password="pw-member-1")
    group, _ = Group.objects.get_or_create(name="Analysts")
    user.groups.add(group)
    return user


@pytest.fixture
def grantee() -> User:
    """Granted use of some apps directly, not through a group."""
    return User.objects.create_user("grantee", password="pw-grantee-1")
