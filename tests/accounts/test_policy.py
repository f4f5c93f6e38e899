"""accounts.policy: each question × each persona, the answer for one app or execution and
the queryset agreeing with it. Apps and executions are plain rows: no Kestra, no pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.utils import timezone

from accounts import policy
from apps_catalog.approval import ApprovalPolicy, Approvers, Step
from apps_catalog.definition import AppDefinition
from apps_catalog.models import CLOSED, DISABLED, NOT_OPEN_YET, App
from executions.models import Delegation, Execution
from tests.personas import APPROVERS, MEMBERS, grant_use, make_user

pytestmark = pytest.mark.django_db

BROWSER = "browser-session-1"  # the anonymous browser session that submitted `by_browser`
# The shared personas (tests/personas.py), and `browser`: anonymous, in the session BROWSER.
PERSONAS = ["anonymous", "browser", "outsider", "member", "grantee", "manager", "admin"]


def _app(
    name: str,
    access: str = "PRIVATE",
    *,
    execution_id: str | None = None,
    approval: ApprovalPolicy | None = None,
    **fields: Any,
) -> App:
    definition = AppDefinition(
        id=name,
        display_name=name,
        namespace="company.team",
        flow_id=name,
        execution_id=execution_id,
        approval=approval,
    )
    return App.objects.create(
        app_id=name,
        namespace="company.team",
        flow_id=name,
        display_name=name,
        access=access,
        source="",
        definition=definition.to_dict(),
        **fields,
    )


@pytest.fixture
def world(anonymous, outsider, member, grantee, manager, admin) -> dict[str, Any]:
    """Seven apps, five executions and the users of PERSONAS.

    `private` is granted to the group of `member` and directly to `grantee`; `public` is
    granted directly to `grantee` too; `other` is granted to nobody; `disabled`, `closed` and
    `not_open` are each outside their availability."""
    now = timezone.now()
    apps = {
        "private": _app("private"),
        "public": _app("public", "PUBLIC"),
        "unlisted": _app("unlisted", "PUBLIC", catalog=False),
        "other": _app("other"),
        "disabled": _app("disabled", enabled=False),
        "closed": _app("closed", "PUBLIC", expiration_end=now - timedelta(days=1)),
        "not_open": _app("not_open", expiration_start=now + timedelta(days=1)),
    }
    users = {
        "anonymous": anonymous,
        "browser": anonymous,
        "outsider": outsider,
        "member": member,
        "grantee": grantee,
        "manager": manager,
        "admin": admin,
    }
    granted = [apps["private"], apps["disabled"], apps["not_open"]]
    grant_use(Group.objects.get(name=MEMBERS), *granted)
    grant_use(grantee, *granted, apps["public"])
    executions = {
        "by_outsider_on_private": Execution(app=apps["private"], submitted_by=outsider),
        "by_browser": Execution(app=apps["public"], session_key=BROWSER),
        "by_outsider": Execution(app=apps["public"], submitted_by=outsider),
        "by_browser_on_closed": Execution(app=apps["closed"], session_key=BROWSER),
        "by_grantee_on_disabled": Execution(app=apps["disabled"], submitted_by=grantee),
    }
    for execution in executions.values():
        execution.save()
    return {"apps": apps, "users": users, "executions": executions}


def _person(world: dict[str, Any], persona: str) -> tuple[Any, str]:
    """The user and browser session of a persona."""
    return world["users"][persona], BROWSER if persona == "browser" else ""


def _names(rows: dict[str, Any], queryset: Any) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name, row in rows.items() if row.pk in pks}


EVERYONE_S_APPS = {"public", "unlisted"}
GRANTED_APPS = {"private", *EVERYONE_S_APPS}
USE = {
    "anonymous": EVERYONE_S_APPS,
    "browser": EVERYONE_S_APPS,
    "outsider": EVERYONE_S_APPS,
    "member": GRANTED_APPS,
    "grantee": GRANTED_APPS,
    "manager": EVERYONE_S_APPS,
    "admin": {"other", *GRANTED_APPS},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_use_an_app(world, persona):
    user, _session = _person(world, persona)
    apps = world["apps"]

    one_by_one = {name for name, app in apps.items() if policy.can_use(user, app)}

    assert one_by_one == USE[persona]
    assert _names(apps, policy.usable_apps(user)) == USE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_catalog_is_the_usable_apps_that_are_listed(world, persona):
    user, _session = _person(world, persona)

    assert _names(world["apps"], policy.catalog(user)) == USE[persona] - {"unlisted"}


# Whatever an app's expiration dates (not its being disabled): what "My requests" lists.
USE_ANY_DATES = {
    persona: apps
    | ({"closed"} if "public" in apps else set())
    | ({"not_open"} if "private" in apps else set())
    for persona, apps in USE.items()
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_use_an_app_whatever_its_dates(world, persona):
    user, _session = _person(world, persona)

    assert _names(world["apps"], policy.usable_apps(user, dates=False)) == USE_ANY_DATES[persona]


# An app's expiration dates stop new submissions only: what was submitted stays reachable.
SEE_PUBLIC = {"by_browser", "by_outsider", "by_browser_on_closed"}
SEE = {
    "anonymous": SEE_PUBLIC,
    "browser": SEE_PUBLIC,
    "outsider": SEE_PUBLIC,
    "member": {"by_outsider_on_private", *SEE_PUBLIC},
    "grantee": {"by_outsider_on_private", *SEE_PUBLIC},
    "manager": SEE_PUBLIC,
    "admin": {"by_outsider_on_private", *SEE_PUBLIC},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_see_an_execution_its_files_and_logs(world, persona):
    user, _session = _person(world, persona)
    executions = world["executions"]

    one_by_one = {name for name, e in executions.items() if policy.can_see(user, e)}

    assert one_by_one == SEE[persona]
    assert _names(executions, policy.visible_executions(user)) == SEE[persona]


ACT = {
    "anonymous": set(),
    # the session that submitted it, on a public app, closed since or not
    "browser": {"by_browser", "by_browser_on_closed"},
    "outsider": {"by_outsider"},  # what they submitted on a public app, not on a private one
    "member": {"by_outsider_on_private"},
    "grantee": {"by_outsider_on_private", "by_browser", "by_outsider"},
    "manager": set(),
    "admin": {"by_outsider_on_private", "by_browser", "by_outsider", "by_browser_on_closed"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_act_on_an_execution(world, persona):
    user, session = _person(world, persona)
    executions = world["executions"]

    one_by_one = {
        name
        for name, execution in executions.items()
        if policy.can_act_on(user, execution, session_key=session)
    }

    assert one_by_one == ACT[persona]
    assert (
        _names(executions, policy.actionable_executions(user, session_key=session)) == ACT[persona]
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_buttons_of_an_execution_not_awaiting_a_decision_follow_can_act_on(world, persona):
    user, session = _person(world, persona)

    shown = {
        name
        for name, execution in world["executions"].items()
        if policy.can_act_now(user, execution, session_key=session)
    }

    assert shown == ACT[persona]


# Opening one execution: on a private app whoever sees it; on a public one those granted it
# (here: `grantee` on `public`, `admin` everywhere), or who submitted it.
OPEN = {
    "anonymous": set(),
    "browser": {"by_browser", "by_browser_on_closed"},
    "outsider": {"by_outsider"},
    "member": {"by_outsider_on_private"},
    "grantee": {"by_outsider_on_private", "by_browser", "by_outsider"},
    "manager": set(),
    "admin": {"by_outsider_on_private", "by_browser", "by_outsider", "by_browser_on_closed"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_open_an_execution(world, persona):
    user, session = _person(world, persona)

    opened = {
        name
        for name, execution in world["executions"].items()
        if policy.can_open(user, execution, session_key=session)
    }

    assert opened == OPEN[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_execution_started_outside_the_portal_is_adopted_for_those_who_open_every_one(
    world, persona
):
    """On a private app whoever may use it; on a public app those granted it."""
    user, _session = _person(world, persona)
    apps = world["apps"]

    adopted = {name for name in ("private", "public") if policy.may_adopt(user, apps[name], "k1")}

    assert adopted == {"private"} | ({"public"} if persona in {"grantee", "admin"} else set())


def test_the_execution_a_public_app_shows_is_open_to_all_and_adopted_for_all(anonymous):
    shown = _app("shown", "PUBLIC", execution_id="shown-1")
    plain = _app("plain", "PUBLIC")
    its_own = Execution.objects.create(app=shown, kestra_id="shown-1")
    another = Execution.objects.create(app=shown, kestra_id="other-1")
    not_started = Execution.objects.create(app=plain)  # no Kestra id yet, no executionId

    assert policy.can_open(anonymous, its_own)
    assert not policy.can_open(anonymous, another)
    assert not policy.can_open(anonymous, not_started)
    assert policy.may_adopt(anonymous, shown, "shown-1")
    assert not policy.may_adopt(anonymous, shown, "other-1")
    assert not policy.may_adopt(anonymous, plain, "")


def test_a_signed_link_opens_the_one_execution_it_names(anonymous):
    app = _app("linked", "PUBLIC")
    named, other = (Execution.objects.create(app=app) for _ in range(2))
    link = policy.execution_link(named)
    foreign = signing.dumps(named.token, salt="accounts.sign_in")  # another part's signature

    assert policy.can_open(anonymous, named, links=[link])
    assert policy.can_open(anonymous, named, links=["not-a-link", foreign, link])
    assert not policy.can_open(anonymous, other, links=[link])
    assert not policy.can_open(anonymous, named, links=["not-a-link", foreign])
    assert not policy.can_open(anonymous, named)
    assert policy.link_names(named, [link]) and not policy.link_names(other, [link])


def test_the_approvers_of_a_public_app_open_its_executions(anonymous, outsider, approver):
    """Named in a step (by name or group), in the escalation, or handed a decision:
    those the approval may ask open the request; nobody else does."""
    rule = ApprovalPolicy(
        steps=(Step(approvers=Approvers(users=("first",))), Step(approvers=Approvers())),
        escalate_after=timedelta(hours=4),
        escalate_to=Approvers(users=("boss",), groups=("Escalation",)),
    )
    app = _app("approved", "PUBLIC", approval=rule)
    by_group = _app(
        "by_group",
        "PUBLIC",
        approval=ApprovalPolicy(steps=(Step(approvers=Approvers(groups=(APPROVERS,))),)),
    )
    request = Execution.objects.create(app=app, submitted_by=outsider)
    other_request = Execution.objects.create(app=by_group, submitted_by=outsider)
    Delegation.objects.create(execution=request, from_username="first", to_username="deputy")
    people = {
        name: make_user(name, groups=groups)
        for name, groups in [
            ("first", ()),
            ("boss", ()),
            ("escalated", ("Escalation",)),
            ("deputy", ()),
            ("bystander", (MEMBERS,)),
        ]
    }

    opened = {name for name, user in people.items() if policy.can_open(user, request)}

    assert opened == {"first", "boss", "escalated", "deputy"}
    assert not policy.can_open(anonymous, request)
    assert not policy.can_open(approver, request)
    assert policy.can_open(approver, other_request)
    assert not policy.can_open(people["first"], other_request)


MINE = {
    "anonymous": set(),
    "browser": {"by_browser", "by_browser_on_closed"},
    "outsider": {"by_outsider_on_private", "by_outsider"},
    "member": set(),
    "grantee": {"by_grantee_on_disabled"},
    "manager": set(),
    "admin": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_mine_is_what_this_user_or_browser_submitted(world, persona):
    user, session = _person(world, persona)
    executions = world["executions"]

    found = Execution.objects.filter(policy.mine(user, session))

    assert _names(executions, found) == MINE[persona]


MANAGE = {"manager": set(policy.MANAGE_WAYS), "admin": set(policy.MANAGE_WAYS)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_manage_apps(world, persona):
    user, _session = _person(world, persona)
    apps = world["apps"]

    allowed = {what for what in policy.MANAGE_WAYS if policy.can_manage(user, what)}

    assert allowed == MANAGE.get(persona, set())
    for what in policy.MANAGE_WAYS:
        expected = set(apps) if what in allowed else set()
        assert _names(apps, policy.managed_apps(user, what)) == expected


@pytest.mark.parametrize(
    ("codenames", "allowed"),
    [
        (["view_app"], {"read"}),
        (["change_app"], {"read", "change"}),
        (["add_app"], {"add"}),
        (["delete_app"], {"delete"}),
        (["add_app", "change_app"], {"read", "add", "change", "import"}),
        (["use_app"], set()),
    ],
)
def test_each_way_of_managing_needs_its_model_permissions(codenames, allowed):
    user = make_user("someone", permissions=codenames)

    assert {what for what in policy.MANAGE_WAYS if policy.can_manage(user, what)} == allowed


# What app_for answers for each app: the app, or the refusal it raises.
FOUND, MISSING, LOGIN, CLOSED_NOW = "found", "not found", "login", "unavailable"
REFUSALS = {
    MISSING: policy.NotFound,
    LOGIN: policy.LoginRequired,
    CLOSED_NOW: policy.Unavailable,
}
ANONYMOUS_LOOKUP = {
    "private": LOGIN,
    "public": FOUND,
    "unlisted": FOUND,
    "other": LOGIN,
    "disabled": MISSING,
    "closed": CLOSED_NOW,
    "not_open": LOGIN,
}
OUTSIDER_LOOKUP = {**ANONYMOUS_LOOKUP, "private": MISSING, "other": MISSING, "not_open": MISSING}
GRANTED_LOOKUP = {**OUTSIDER_LOOKUP, "private": FOUND, "not_open": CLOSED_NOW}
LOOKUP = {
    "anonymous": ANONYMOUS_LOOKUP,
    "browser": ANONYMOUS_LOOKUP,
    "outsider": OUTSIDER_LOOKUP,
    "member": GRANTED_LOOKUP,
    "grantee": GRANTED_LOOKUP,
    "manager": OUTSIDER_LOOKUP,
    "admin": {**GRANTED_LOOKUP, "other": FOUND},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("known", [False, True], ids=["read", "known"])
def test_the_app_a_url_names(world, persona, known):
    user, _session = _person(world, persona)

    for name, app in world["apps"].items():
        answer = LOOKUP[persona][name]
        if answer == FOUND:
            assert policy.app_for(user, app.uid, known=app if known else None) == app
        else:
            with pytest.raises(REFUSALS[answer]):
                policy.app_for(user, app.uid, known=app if known else None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_app_of_a_started_execution_ignores_the_expiration_dates(world, persona):
    """`started`: the doors of an execution (its page, files, decisions) find its app
    outside its dates too; a disabled app stays missing, access stays as it was."""
    user, _session = _person(world, persona)

    for name, app in world["apps"].items():
        answer = LOOKUP[persona][name]
        if answer == CLOSED_NOW:
            answer = FOUND
        if answer == FOUND:
            assert policy.app_for(user, app.uid, started=True) == app
        else:
            with pytest.raises(REFUSALS[answer]):
                policy.app_for(user, app.uid, started=True)


def test_an_unknown_uid_is_not_found(admin):
    with pytest.raises(policy.NotFound):
        policy.app_for(admin, "no-such-uid")


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_app_is_found_exactly_when_it_is_usable(world, persona):
    user, _session = _person(world, persona)

    for app in world["apps"].values():
        try:
            found = policy.app_for(user, app.uid) == app
        except policy.AccessRefused:
            found = False
        assert found is policy.can_use(user, app)


NOW = timezone.now()
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"enabled": False}, DISABLED),
        ({"enabled": False, "expiration_end": NOW - HOUR}, DISABLED),
        ({"expiration_start": NOW + HOUR}, NOT_OPEN_YET),
        ({"expiration_start": NOW}, None),  # opens at its start
        ({"expiration_start": NOW - HOUR}, None),
        ({"expiration_end": NOW + HOUR}, None),
        ({"expiration_end": NOW}, CLOSED),  # closed at its end
        ({"expiration_end": NOW - HOUR}, CLOSED),
        ({"expiration_start": NOW - HOUR, "expiration_end": NOW + HOUR}, None),
        ({"expiration_start": NOW + HOUR, "expiration_end": NOW - HOUR}, NOT_OPEN_YET),
    ],
)
def test_the_availability_window_as_a_test_and_as_a_filter(fields, reason):
    app = _app("windowed", **fields)

    assert app.unavailable_because(NOW) == reason
    assert app.is_available(NOW) is (reason is None)
    assert App.objects.available(NOW).filter(pk=app.pk).exists() is (reason is None)
    without_dates = App.objects.available(NOW, dates=False).filter(pk=app.pk).exists()
    assert without_dates is (reason != DISABLED)
