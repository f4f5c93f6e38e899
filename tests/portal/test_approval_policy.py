"""Approval policies on the web pages, judged by what people and Kestra notice: who may
decide, how many must agree, what they must say, the deadline, delegation, escalation,
sending a request back and submitting it again, and who decided, on Kestra's labels.

Only public doors: the pages through Django's test client, the emulator over HTTP (its
execution's history says whether Kestra moved on, and how often), and the records.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps_catalog.services import app_save_source
from executions import services
from executions.models import Decision, Execution, Vote
from tests import kestra_http
from tests.approvals import FORM, submitted, vacation_app
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(kestra) -> dict[str, User]:
    """Rita asks for time off; Mona, Nick and Olga approve for HR; Pat is in HR too."""
    return {
        name: make_user(name, groups=["HR"]) for name in ("rita", "mona", "nick", "olga", "pat")
    }


def page(app, execution: Execution, action: str = "") -> str:
    return f"/apps/{app.uid}/executions/{execution.kestra_id}/{action}"


def approve(client: Client, app, execution: Execution, comment: str = ""):
    data = {"input.approved": "true", "input.comment": "Enjoy", "portal.comment": comment}
    return client.post(page(app, execution, "resume/"), data)


def text(response) -> str:
    return response.content.decode()


def still_paused(kestra: str, execution: Execution) -> bool:
    return kestra_http.history(kestra, execution.kestra_id)[-1] == "PAUSED"


def test_without_a_policy_the_requester_may_approve_as_before_and_the_admin_is_warned(kestra, hr):
    app = vacation_app()
    rita = signed_in(hr["rita"])
    execution = submitted(kestra, rita, app)
    assert approve(rita, app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)


def test_the_requester_may_not_approve_their_own_request(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = signed_in(hr["rita"])
    execution = submitted(kestra, rita, app)

    shown = text(rita.get(page(app, execution)))
    assert "You made this request, so you may not decide on it." in shown
    assert ">Approve</button>" not in shown
    refused = approve(rita, app, execution)
    assert refused.status_code == 403
    assert "You made this request, so you may not decide on it." in text(refused)
    rejected = rita.post(page(app, execution, "cancel/"), {"portal.comment": "never mind"})
    assert rejected.status_code == 403

    assert still_paused(kestra, execution)
    assert not Decision.objects.exists() and not Vote.objects.exists()
    assert ">Approve</button>" in text(signed_in(hr["mona"]).get(page(app, execution)))


def test_two_approvals_resume_once_with_the_deciding_votes_values(kestra, hr):
    app = vacation_app("approval:\n  quorum: 2\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    mona, nick = signed_in(hr["mona"]), signed_in(hr["nick"])

    first = approve(mona, app, execution, "Fine by me")
    assert first.status_code == 302
    after_first = text(mona.get(page(app, execution)))
    assert "Your vote is recorded: 1 of 2 approvals." in after_first
    assert "1 of 2 approvals" in after_first and "Fine by me" in after_first
    assert "You have already voted on this request." in after_first
    assert still_paused(kestra, execution)
    again = approve(mona, app, execution)
    assert again.status_code == 403 and "already voted" in text(again)

    data = {"input.approved": "true", "input.comment": "See you in January"}
    assert nick.post(page(app, execution, "resume/"), data).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)
    decision = Decision.objects.get()
    assert (decision.user, decision.values["comment"]) == (hr["nick"], "See you in January")
    assert list(Vote.objects.values_list("username", "status")) == [
        ("mona", "COUNTED"),
        ("nick", "COUNTED"),
    ]
    late = approve(signed_in(hr["olga"]), app, execution)
    assert late.status_code == 409


def test_only_the_named_approvers_decide(kestra, hr):
    app = vacation_app("approval:\n  approvers: {users: [mona]}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)

    refused = approve(signed_in(hr["pat"]), app, execution)
    assert refused.status_code == 403
    assert "The approvers of this step are mona." in text(refused)
    assert still_paused(kestra, execution)
    assert approve(signed_in(hr["mona"]), app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})


def test_a_rejection_needs_a_reason_which_the_requester_then_reads(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = signed_in(hr["rita"])
    execution = submitted(kestra, rita, app)
    mona = signed_in(hr["mona"])

    missing = mona.post(page(app, execution, "cancel/"), {"portal.comment": "  "})
    assert missing.status_code == 400
    assert "Please give a reason for the rejection." in text(missing)
    assert still_paused(kestra, execution)

    reason = "Two people of the team are away that week"
    assert mona.post(page(app, execution, "cancel/"), {"portal.comment": reason}).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"KILLED"})
    decision = Decision.objects.get()
    assert (decision.action, decision.reason) == ("CANCEL", reason)
    services.execution_poll(execution_id=execution.pk)
    shown = text(rita.get(page(app, execution)))
    assert "Rejected" in shown and reason in shown


def test_request_changes_then_resubmit_with_the_answers_prefilled(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = signed_in(hr["rita"])
    execution = submitted(kestra, rita, app)
    mona = signed_in(hr["mona"])

    bare = mona.post(page(app, execution, "changes/"), {})
    assert bare.status_code == 400 and "Please say what should change." in text(bare)
    ask = "Please take the Friday off as well"
    assert mona.post(page(app, execution, "changes/"), {"portal.comment": ask}).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"KILLED"})
    assert Decision.objects.get().action == "CHANGES"
    services.execution_poll(execution_id=execution.pk)

    shown = text(rita.get(page(app, execution)))
    assert "Sent back for changes" in shown and ask in shown
    link = f"/apps/{app.uid}/?resubmit={execution.kestra_id}"
    assert link in shown
    assert link not in text(mona.get(page(app, execution)))  # only the requester resubmits

    form = text(rita.get(link))
    assert 'value="Zebulon Quist"' in form and 'value="Family visit"' in form
    assert signed_in(hr["mona"]).get(link).content.decode().count('value="Zebulon Quist"') == 0

    changed = {
        **FORM,
        "input.request.end_date": "2027-01-09",
        "portal.resubmits": execution.kestra_id,
    }
    assert rita.post(f"/apps/{app.uid}/", changed).status_code == 302
    later = Execution.objects.latest("created")
    assert later.resubmission_of == execution
    assert later.inputs["request.end_date"] == "2027-01-09"
    services.execution_deliver(execution_id=later.pk)
    later.refresh_from_db()
    assert later.kestra_id in text(rita.get(page(app, execution)))
    assert execution.kestra_id in text(rita.get(page(app, later)))


def test_a_vote_after_kestra_moved_on_is_kept_as_too_late_and_nothing_is_sent(own_kestra):
    app, _ = app_save_source(source=kestra_http.app_on("quick_timeout"))
    root = signed_in(User.objects.create_superuser("root", password="pw-root-12"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "quick_timeout", {})
    url = f"/apps/{app.uid}/executions/{kestra_id}/"
    assert root.get(url).status_code == 200
    kestra_http.wait_for(own_kestra, kestra_id, {"CANCELLED"})  # its pause ran out
    before = kestra_http.history(own_kestra, kestra_id)

    late = root.post(f"{url}resume/", {})
    assert late.status_code == 409
    assert "Too late: Kestra has moved on (CANCELLED)." in text(late)
    assert kestra_http.history(own_kestra, kestra_id) == before
    assert not Decision.objects.exists()
    assert list(Vote.objects.values_list("status", flat=True)) == ["TOO_LATE"]


def test_the_deadline_of_the_pause_is_shown_on_the_page_and_in_the_inbox(own_kestra):
    app, _ = app_save_source(source=kestra_http.app_on("timed_approval"))
    root = User.objects.create_superuser("root", password="pw-root-12")
    kestra_id = kestra_http.start_paused(own_kestra, "test", "timed_approval", {})
    client = signed_in(root)
    assert client.get(f"/apps/{app.uid}/executions/{kestra_id}/").status_code == 200
    execution = Execution.objects.get(kestra_id=kestra_id)
    services.execution_poll(execution_id=execution.pk)

    shown = text(client.get(f"/apps/{app.uid}/executions/{kestra_id}/"))
    assert "Time left: " in shown and "59\xa0minutes" in shown
    assert "then the request is cancelled" in shown
    inbox = text(client.get("/apps/approvals/"))
    assert kestra_id in inbox and "59\xa0minutes" in inbox


def test_an_approver_hands_the_decision_to_someone_who_then_decides(kestra, hr):
    app = vacation_app("approval:\n  approvers: {users: [mona]}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    mona, pat = signed_in(hr["mona"]), signed_in(hr["pat"])
    assert execution.kestra_id not in text(pat.get("/apps/approvals/"))

    to_self = mona.post(page(app, execution, "delegate/"), {"to": "mona"})
    assert to_self.status_code == 403
    to_requester = mona.post(page(app, execution, "delegate/"), {"to": "rita"})
    assert to_requester.status_code == 403 and "made the request" in text(to_requester)
    handed = mona.post(page(app, execution, "delegate/"), {"to": "pat", "note": "I am away"})
    assert handed.status_code == 302

    assert execution.kestra_id in text(pat.get("/apps/approvals/"))
    assert execution.kestra_id not in text(mona.get("/apps/approvals/"))
    shown = text(pat.get(page(app, execution)))
    assert "mona handed the decision to pat" in shown and "I am away" in shown
    refused = approve(mona, app, execution)
    assert refused.status_code == 403 and "You handed this decision to pat." in text(refused)

    assert approve(pat, app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert Vote.objects.get().seat == "mona"


def test_steps_go_in_order_and_escalation_adds_approvers_when_its_time_comes(kestra, hr):
    boss = make_user("boss", groups=["HR"])
    app = vacation_app(
        "approval:\n"
        "  steps:\n"
        "    - name: Team lead\n"
        "      approvers: {users: [mona]}\n"
        "    - name: Payroll\n"
        "      approvers: {users: [nick]}\n"
        "  escalateAfter: PT2S\n"
        "  escalateTo: {users: [boss]}\n"
    )
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    nick, mona = signed_in(hr["nick"]), signed_in(hr["mona"])

    early = approve(nick, app, execution)
    assert early.status_code == 403 and "The approvers of this step are mona." in text(early)
    assert approve(signed_in(boss), app, execution).status_code == 403
    assert "If nobody decides within 2 s, boss may decide too." in text(
        mona.get(page(app, execution))
    )
    assert approve(mona, app, execution).status_code == 302
    assert "Step 2 of 2: Payroll" in text(nick.get(page(app, execution)))
    assert still_paused(kestra, execution)

    time.sleep(2.1)
    shown = text(signed_in(boss).get(page(app, execution)))
    assert "Escalated: boss may decide too." in shown
    assert approve(signed_in(boss), app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)


def test_an_escalation_approver_stands_in_for_one_step_not_for_every_step(kestra, hr):
    boss = signed_in(make_user("boss", groups=["HR"]))
    app = vacation_app(
        "approval:\n"
        "  steps:\n"
        "    - name: Team lead\n"
        "      approvers: {users: [mona]}\n"
        "    - name: Payroll\n"
        "      approvers: {users: [nick]}\n"
        "  escalateAfter: PT1S\n"
        "  escalateTo: {users: [boss]}\n"
    )
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    time.sleep(1.1)
    assert approve(boss, app, execution).status_code == 302
    assert "Step 2 of 2: Payroll" in text(boss.get(page(app, execution)))

    second = approve(boss, app, execution)
    assert second.status_code == 403
    assert "You decided an earlier step of this request as its escalation approver" in text(second)
    assert still_paused(kestra, execution)
    assert approve(signed_in(hr["nick"]), app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)


def test_kestra_learns_who_asked_and_who_decided(kestra, hr):
    app = vacation_app("approval: {selfApproval: false}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    labels = kestra_http.execution(kestra, execution.kestra_id)["labels"]
    assert {"key": "portal.requester", "value": "rita"} in labels

    assert approve(signed_in(hr["mona"]), app, execution).status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    services.execution_poll(execution_id=execution.pk)
    labels = kestra_http.execution(kestra, execution.kestra_id)["labels"]
    assert {"key": "portal.decision", "value": "approved"} in labels
    assert {"key": "portal.decidedBy", "value": "mona"} in labels
    assert {"key": "portal.requester", "value": "rita"} in labels
    assert {"key": "portal.submission", "value": execution.token} in labels
