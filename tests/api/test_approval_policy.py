"""Approval policies through the REST API: dispatch resume and cancel follow the same
policy as the pages, and a refusal is a problem document that names the rule; the app
view carries where the decision stands."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import ApiToken
from executions.models import Decision, Execution, Vote
from tests import kestra_http
from tests.approvals import submitted, vacation_app
from tests.personas import make_user, signed_in

from .conftest import TENANT

pytestmark = pytest.mark.django_db

BASE = f"/api/v1/{TENANT}/apps"


def token_of(user: User) -> dict[str, str]:
    _, raw = ApiToken.objects.issue(user=user, name="tests")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def hr(kestra) -> dict[str, User]:
    return {name: make_user(name, groups=["HR"]) for name in ("rita", "mona", "nick")}


def view(headers: dict, app, execution: Execution) -> dict[str, Any]:
    response = Client().get(
        f"{BASE}/view/{app.uid}", {"executionId": execution.kestra_id}, headers=headers
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def button(body: dict, name: str) -> dict | None:
    return next((b for b in body["layout"]["blocks"] if b["type"].endswith(f".{name}")), None)


def dispatch(headers: dict, app, token: str, data: dict[str, str]):
    return Client().post(f"{BASE}/view/{app.uid}/dispatch/{token}", data, headers=headers)


def test_the_requester_is_refused_with_the_rule_that_refuses_them(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    rita, mona = token_of(hr["rita"]), token_of(hr["mona"])

    own = view(rita, app, execution)
    assert own["decision"]["mayVote"] is False
    assert own["decision"]["refusal"] == "You made this request, so you may not decide on it."
    assert button(own, "ResumeExecutionButton") is None
    # A token taken from an approver's view does not let the requester through.
    token = button(view(mona, app, execution), "ResumeExecutionButton")["dispatch"]
    refused = dispatch(rita, app, token, {"approved": "true"})
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["detail"] == "You made this request, so you may not decide on it."
    assert problem["errors"] == [{"rule": "self-approval", "message": problem["detail"]}]
    assert kestra_http.history(kestra, execution.kestra_id)[-1] == "PAUSED"
    assert not Vote.objects.exists()


def test_a_quorum_through_the_api_resumes_once(kestra, hr):
    app = vacation_app("approval:\n  quorum: 2\n  selfApproval: false\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    mona, nick = token_of(hr["mona"]), token_of(hr["nick"])

    token = button(view(mona, app, execution), "ResumeExecutionButton")["dispatch"]
    first = dispatch(mona, app, token, {"approved": "true", "portal.comment": "ok"})
    assert first.status_code == 200
    decision = first.json()["decision"]
    assert decision["progress"] == "1 of 2 approvals"
    assert decision["votes"] == [
        {"voter": "mona", "choice": "APPROVE", "comment": "ok", "onBehalfOf": None}
    ]
    assert decision["refusal"] == "You have already voted on this request."
    assert kestra_http.history(kestra, execution.kestra_id)[-1] == "PAUSED"

    again = dispatch(mona, app, token, {"approved": "true"})
    assert again.status_code == 403 and again.json()["errors"][0]["rule"] == "already-voted"
    second = dispatch(nick, app, token, {"approved": "true", "comment": "Have fun"})
    assert second.status_code == 200
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)
    assert Decision.objects.get().user == hr["nick"]


def test_a_rejection_without_its_required_reason_is_refused_then_taken(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    mona = token_of(hr["mona"])
    token = button(view(mona, app, execution), "CancelExecutionButton")["dispatch"]

    missing = dispatch(mona, app, token, {})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "path": "portal.comment",
            "rule": "reason-required",
            "message": "Please give a reason for the rejection.",
        }
    ]
    assert kestra_http.history(kestra, execution.kestra_id)[-1] == "PAUSED"

    taken = dispatch(mona, app, token, {"portal.comment": "Team is short that week"})
    assert taken.status_code == 200
    kestra_http.wait_for(kestra, execution.kestra_id, {"KILLED"})
    assert Decision.objects.get().reason == "Team is short that week"


def test_a_cancel_dispatch_may_send_the_request_back_for_changes(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    mona = token_of(hr["mona"])
    token = button(view(mona, app, execution), "CancelExecutionButton")["dispatch"]

    sent = dispatch(mona, app, token, {"portal.action": "CHANGES", "portal.comment": "Dates?"})
    assert sent.status_code == 200
    kestra_http.wait_for(kestra, execution.kestra_id, {"KILLED"})
    decision = Decision.objects.get()
    assert (decision.action, decision.reason) == ("CHANGES", "Dates?")
    execution.refresh_from_db()
    assert execution.verdict == "CHANGES"
