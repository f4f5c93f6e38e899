"""The people an approval policy meets, and the paused requests they meet it on: the world
of the approval rows of both permission matrices (tests/portal/test_permission_matrix.py,
the pages; tests/api/test_permission_matrix.py, the API).

The vacation app (examples/apps/vacation_approval.yml, private for HR, or the same made
public) with POLICY: two steps, a team lead (lead or away, one of them) then payroll; the
requester may not decide; after an hour boss may decide too; an approver may hand the
decision on. Each persona is one column of the matrices:

- requester: rita, who asked for the time off;
- named approver: lead, an approver of step 1;
- delegate: deputy, to whom away (the other approver of step 1) handed the decision;
- approver of step 2: payroll, whose step has not come yet (or has, in the rows that say so);
- escalation approver, before and after the escalation time (PT1H): boss, with the pause
  begun ten minutes ago, or two hours ago;
- outsider: signed in, granted nothing, named nowhere;
- anonymous: not signed in.

Everybody but the outsider is in HR, so that on the private app only the policy tells
them apart. What an action leaves is read from public doors only: the emulator's execution
over HTTP (tests/kestra_http.py) and the Vote, Decision and Delegation rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.test import Client
from django.utils import timezone

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions import services
from executions.models import Decision, Delegation, Execution, Vote
from tests import kestra_http
from tests.conftest import EXAMPLES
from tests.personas import APPROVERS, make_user

POLICY = """approval:
  selfApproval: false
  steps:
    - name: Team lead
      approvers: {users: [lead, away]}
    - name: Payroll
      approvers: {users: [payroll]}
  escalateAfter: PT1H
  escalateTo: {users: [boss]}
  delegation: true
"""
BEFORE, AFTER = "escalation approver, before PT1H", "escalation approver, after PT1H"
# Column → the user it acts as; None: nobody signed in.
PERSONAS: dict[str, str | None] = {
    "requester": "rita",
    "named approver": "lead",
    "delegate": "deputy",
    "approver of step 2": "payroll",
    BEFORE: "boss",
    AFTER: "boss",
    "outsider": "outsider",
    "anonymous": None,
}
# Who else the world holds: away, the approver of step 1 who handed the decision to deputy;
# pat, in HR and named nowhere, to whom the delegate action hands it.
IN_HR = ("rita", "lead", "away", "deputy", "payroll", "boss", "pat")
DELEGATED_NOTE = "I am away this week"
DELEGATE_TO, HANDOVER_NOTE = "pat", "Pat knows the team's calendar"
# What a vote sends: the pause's onResume values, and the comment (a reason is required
# to reject and to send back, by default).
RESUME_VALUES = {"approved": "true", "comment": "Enjoy your time off"}
COMMENT = {
    "APPROVE": "Fine by me",
    "REJECT": "The team is short that week",
    "CHANGES": "Take Friday too",
}
FORM = {
    "input.request.name": "Rita Requester",
    "input.request.start_date": "2027-01-04",
    "input.request.end_date": "2027-01-08",
}
CHOICES = {"approve": "APPROVE", "reject": "REJECT", "changes": "CHANGES"}
# What each refusal says on the page, by the rule the API names.
REFUSALS = {
    "self-approval": "You made this request, so you may not decide on it.",
    "login-required": "Log in: only named approvers decide on this request.",
    "delegated": "This decision was delegated to you: it cannot be handed on.",
}
STEP_APPROVERS = {1: "lead and away", 2: "payroll"}


def refusal_message(rule: str, step: int) -> str:
    """The sentence a refusal by `rule` says, in `step` (1 or 2)."""
    if rule == "not-an-approver":
        return f"The approvers of this step are {STEP_APPROVERS[step]}."
    return REFUSALS[rule]


def people(outsider: User) -> dict[str, User | AnonymousUser]:
    """The users of IN_HR, made; with the outsider and an anonymous visitor, by name."""
    found: dict[str, User | AnonymousUser] = {
        name: make_user(name, groups=[APPROVERS]) for name in IN_HR
    }
    return {**found, "outsider": outsider, "": AnonymousUser()}


def person(everyone: dict[str, User | AnonymousUser], column: str) -> User | AnonymousUser:
    return everyone[PERSONAS[column] or ""]


def policy_apps() -> dict[str, App]:
    """The vacation app with POLICY: as the example has it (PRIVATE, for HR), and PUBLIC."""
    private = (EXAMPLES / "apps" / "vacation_approval.yml").read_text()
    public = private.replace("id: vacation_approval", "id: vacation_open").replace(
        "access:\n  type: PRIVATE\n  groups:\n    - HR\n", "access: PUBLIC\n"
    )
    assert public != private and "access: PUBLIC" in public
    return {
        "PRIVATE": app_save_source(source=private + POLICY)[0],
        "PUBLIC": app_save_source(source=public + POLICY)[0],
    }


def page(app: App, execution: Execution, action: str = "") -> str:
    return f"/apps/{app.uid}/executions/{execution.kestra_id}/{action}"


@dataclass(frozen=True)
class Paused:
    """A request rita made through the form, paused in Kestra and tracked: away has handed
    the decision to deputy; in step 2, lead approved step 1."""

    app: App
    execution: Execution
    kestra: str

    @property
    def kestra_id(self) -> str:
        return self.execution.kestra_id or ""


def acting_as(client: Client, user: User | AnonymousUser) -> Client:
    """The same test client, now signed in as `user` (a new session). One client does the
    setting up: each new client loads the middleware again, WhiteNoise's scan of the static
    files included, which is most of what a request of the test client costs."""
    client.logout()
    if user.is_authenticated:
        client.force_login(user)
    return client


def paused_request(
    kestra: str,
    app: App,
    everyone: dict[str, Any],
    *,
    step: int = 1,
    escalated: bool = False,
    helper: Client | None = None,
) -> Paused:
    """Rita's request, as the worker tracks it, with the world's votes and delegation made
    through the pages (by `helper`, a client signed in as each in turn); `escalated`: its
    pause began two hours ago, else ten minutes ago."""
    helper = helper or Client()
    response = acting_as(helper, everyone["rita"]).post(f"/apps/{app.uid}/", FORM)
    assert response.status_code == 302, response.content.decode()[:300]
    execution = Execution.objects.filter(app=app).latest("created")
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.kestra_id
    kestra_http.wait_for(kestra, execution.kestra_id, {"PAUSED"})
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.awaits_decision and execution.submitted_by == everyone["rita"]
    handed = acting_as(helper, everyone["away"]).post(
        page(app, execution, "delegate/"), {"to": "deputy", "note": DELEGATED_NOTE}
    )
    assert handed.status_code == 302
    if step == 2:
        data = {**_inputs(RESUME_VALUES), "portal.comment": "Lead says yes"}
        approved = acting_as(helper, everyone["lead"]).post(page(app, execution, "resume/"), data)
        assert approved.status_code == 302
    began = timezone.now() - (timedelta(hours=2) if escalated else timedelta(minutes=10))
    Execution.objects.filter(pk=execution.pk).update(paused_at=began)
    execution.refresh_from_db()
    assert not execution.verdict
    return Paused(app, execution, kestra)


def _inputs(values: dict[str, str]) -> dict[str, str]:
    return {f"input.{key}": value for key, value in values.items()}


def vote_data(choice: str) -> dict[str, str]:
    """What a page posts to vote: the onResume values to approve, and the comment."""
    values = _inputs(RESUME_VALUES) if choice == "APPROVE" else {}
    return {**values, "portal.comment": COMMENT[choice]}


# -- what an action leaves ------------------------------------------------------------------


def records(paused: Paused) -> dict[str, Any]:
    """The execution's verdict, votes, decisions and delegations; Kestra's history."""
    execution = Execution.objects.get(pk=paused.execution.pk)
    return {
        "verdict": execution.verdict,
        "votes": list(
            Vote.objects.filter(execution=execution).values_list(
                "username", "seat", "step", "choice", "status", "comment"
            )
        ),
        "decisions": list(
            Decision.objects.filter(execution=execution).values_list(
                "action", "username", "reason", "values"
            )
        ),
        "delegations": list(
            Delegation.objects.filter(execution=execution).values_list(
                "from_username", "to_username", "step", "note"
            )
        ),
        "kestra": kestra_http.history(paused.kestra, paused.kestra_id),
    }


def check_effect(
    paused: Paused, before: dict[str, Any], action: str, column: str, *, step: int
) -> None:
    """What `action` ("approve", "reject", "changes", "delegate") done by `column` in `step`
    (1 or 2) left, compared with `before` (records() just before it): exactly one vote of
    theirs (in away's seat for the delegate) and, when it met the policy, one decision and
    Kestra moved on once (resumed) or killed; or exactly one delegation of theirs and
    nothing sent to Kestra. Anything else is as it was."""
    username = PERSONAS[column] or ""
    seat = "away" if column == "delegate" else ""
    index = step - 1  # as the records count steps
    expected = {**before, "votes": list(before["votes"])}
    choice = CHOICES.get(action, "")
    if action == "delegate":
        handed = (username, DELEGATE_TO, index, HANDOVER_NOTE)
        expected["delegations"] = [*before["delegations"], handed]
    else:
        expected["votes"].append((username, seat, index, choice, "COUNTED", COMMENT[choice]))
    if action == "approve" and step == 2:  # the last step: Kestra resumes, once
        kestra_http.wait_for(paused.kestra, paused.kestra_id, {"SUCCESS"})
        assert kestra_http.moved_on_once(paused.kestra, paused.kestra_id)
        expected["verdict"] = "APPROVED"
        expected["decisions"] = [("RESUME", username, COMMENT["APPROVE"], RESUME_VALUES)]
        expected["kestra"] = kestra_http.history(paused.kestra, paused.kestra_id)
    elif action in ("reject", "changes"):  # one rejection rejects: Kestra kills it
        kestra_http.wait_for(paused.kestra, paused.kestra_id, {"KILLED"})
        history = kestra_http.history(paused.kestra, paused.kestra_id)
        assert history[: len(before["kestra"])] == before["kestra"]
        assert "RESTARTED" not in history
        action_name = "CANCEL" if action == "reject" else "CHANGES"
        expected["verdict"] = "REJECTED" if action == "reject" else "CHANGES"
        expected["decisions"] = [(action_name, username, COMMENT[choice], {})]
        expected["kestra"] = history
    assert records(paused) == expected
