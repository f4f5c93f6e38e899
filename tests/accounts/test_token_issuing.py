"""Staff who may add API tokens issue them only for people with no more rights than their
own (issue 18, also fix): a token acts as its holder, so issuing one for a superuser, for
someone in a group the issuer is not in, or for someone granted an app the issuer cannot
use would hand the issuer those rights.

Only public doors: the admin's add page through Django's test client, and the ApiToken rows.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts.models import ApiToken
from apps_catalog.services import app_save_source
from tests.personas import grant_use, make_user, signed_in

pytestmark = pytest.mark.django_db

LOCKED = """id: locked
type: io.kestra.plugin.ee.apps.Execution
displayName: Locked
namespace: demo
flowId: data_request
access: PRIVATE
"""
ADD = "/admin/accounts/apitoken/add/"


@pytest.fixture
def helpdesk() -> User:
    return make_user(
        "helpdesk",
        staff=True,
        groups=["Support"],
        permissions=["add_apitoken", "view_apitoken", "view_user"],
    )


def _issue(issuer: User, holder: User) -> int:
    response = signed_in(issuer).post(ADD, {"user": holder.pk, "name": "for a script"})
    return response.status_code


def _holders() -> dict[str, User]:
    locked, _ = app_save_source(source=LOCKED)
    granted = make_user("granted")
    grant_use(granted, locked)
    return {
        "a superuser": User.objects.create_superuser("root", password="pw-root-12"),
        "someone in another group": make_user("analyst", groups=["Analysts"]),
        "someone with a permission the issuer lacks": make_user(
            "manager", staff=True, permissions=["change_app"]
        ),
        "someone granted an app the issuer cannot use": granted,
    }


@pytest.mark.parametrize(
    "who",
    [
        "a superuser",
        "someone in another group",
        "someone with a permission the issuer lacks",
        "someone granted an app the issuer cannot use",
    ],
)
def test_staff_cannot_issue_a_token_for_someone_with_more_rights(helpdesk, who) -> None:
    holder = _holders()[who]
    response = signed_in(helpdesk).post(ADD, {"user": holder.pk, "name": "for a script"})
    assert response.status_code == 200  # the form again
    assert "has rights you do not have" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_staff_issue_a_token_for_someone_with_no_more_rights(helpdesk) -> None:
    colleague = make_user("colleague", groups=["Support"])
    assert _issue(helpdesk, colleague) == 302
    assert ApiToken.objects.get().user == colleague
    assert _issue(helpdesk, helpdesk) == 302


def test_a_superuser_issues_a_token_for_anyone() -> None:
    root = User.objects.create_superuser("root", password="pw-root-12")
    other = User.objects.create_superuser("root2", password="pw-root-12")
    assert _issue(root, other) == 302
    assert ApiToken.objects.get().user == other
