"""Who the tests act as: one set of personas for every suite, registered as fixtures in
tests/conftest.py.

- `admin`: a superuser.
- `manager`: staff who may add, change, delete and view apps and read the decisions, and
  was granted use of no app.
- `viewer`: staff who may only view apps in the admin.
- `grantee`: granted use directly, to the user; a test grants it the apps it names
  (`grant_use`).
- `member`: in the MEMBERS group, which the tests' private apps name.
- `approver`: in the APPROVERS group, which the example vacation app
  (examples/apps/vacation_approval.yml) names: the people who approve its requests.
- `outsider`: signed in, granted nothing.
- `anonymous`: a visitor who is not signed in.

Every persona signs in with PASSWORD, through the login form or the API's basic auth.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.db.models import Model
from django.test import Client
from guardian.shortcuts import assign_perm

PASSWORD = "correct horse battery staple"  # noqa: S105
MEMBERS = "Analysts"
APPROVERS = "HR"
USE_APP = "apps_catalog.use_app"
MANAGE_APPS = ("add_app", "change_app", "delete_app", "view_app")


def make_user(
    username: str,
    *,
    groups: Iterable[str] = (),
    permissions: Iterable[str] = (),
    staff: bool = False,
) -> User:
    """A user who signs in with PASSWORD, in `groups` (made when missing), holding the
    model `permissions` (codenames)."""
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=staff)
    user.groups.set(Group.objects.get_or_create(name=name)[0] for name in groups)
    user.user_permissions.set(Permission.objects.filter(codename__in=list(permissions)))
    return user


def grant_use(holder: User | Group, *apps: Model) -> None:
    """Grant the use of `apps` to a user or a group, as an admin does by hand."""
    for app in apps:
        assign_perm(USE_APP, holder, app)


def own_session(client: Client) -> str:
    """This browser's session key, its session begun if need be: what a visitor's
    submission remembers (Execution.session_key), so it is the browser's own."""
    client.get("/apps/requests/")
    return client.session.session_key or ""


def signed_in(user: User | AnonymousUser) -> Client:
    """A test client signed in as `user`; anonymous when the user is."""
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.fixture
def admin(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def manager(db: None) -> User:
    return make_user("manager", staff=True, permissions=[*MANAGE_APPS, "view_decision"])


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("viewer", staff=True, permissions=["view_app"])


@pytest.fixture
def grantee(db: None) -> User:
    return make_user("grantee")


@pytest.fixture
def member(db: None) -> User:
    return make_user("member", groups=[MEMBERS])


@pytest.fixture
def approver(db: None) -> User:
    return make_user("approver", groups=[APPROVERS])


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("outsider")


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()
