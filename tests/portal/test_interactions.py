"""executions.interactions: what a person asks of an app, whatever the door, with a Kestra
that answers as each test tells it (the pages, the API and the permission matrices ask the
same of the emulator over HTTP). Each test reads what the person would see: the result, the
notice, the fields and their errors, and what is stored or sent to Kestra."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone

from accounts import policy
from apps_catalog import approval
from apps_catalog.services import app_save_source
from executions import actions, forms, interactions
from executions.interactions import Result
from executions.kestra import KestraError, KestraNotFound, KestraRejected, KestraUnavailable
from executions.models import Decision, Delegation, Execution, Vote
from notifications.models import Notification
from tests.approvals import vacation_app
from tests.conftest import EXAMPLES, import_example
from tests.personas import APPROVERS, make_user

pytestmark = pytest.mark.django_db

FLOW = {
    "id": "feedback",
    "namespace": "demo",
    "inputs": [
        {"id": "email", "type": "EMAIL"},
        {"id": "code", "type": "SECRET", "required": False},
        {"id": "note", "type": "STRING", "required": False},
        {"id": "photo", "type": "FILE", "required": False},
    ],
}
# The same with an input that depends on another: only Kestra can draw the form.
DYNAMIC = {
    **FLOW,
    "inputs": [
        *FLOW["inputs"],
        {"id": "later", "type": "STRING", "dependsOn": {"inputs": ["email"]}},
    ],
}
RESUME_INPUTS = [
    {"id": "approved", "type": "BOOL"},
    {"id": "passphrase", "type": "SECRET", "required": False},
    {"id": "evidence", "type": "FILE", "required": False},
]


class Kestra:
    """Kestra as the asks need it: what it was asked, and the answers it was told to give.
    `errors`: input id → the message its validation gives; `disabled`: inputs it reports
    as not enabled; `down`: call name → the error that call raises."""

    def __init__(self) -> None:
        self.flow_definition: dict[str, Any] = FLOW
        self.errors: dict[str, str] = {}
        self.disabled: set[str] = set()
        self.down: dict[str, KestraError] = {}
        self.state = "PAUSED"
        self.calls: list[tuple[Any, ...]] = []
        self.revisions: list[int | None] = []  # the flow revision each flow call named

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.down:
            raise self.down[name]

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> dict:
        self._call("flow", namespace, flow_id)
        self.revisions.append(revision)
        return self.flow_definition

    def validate_inputs(self, namespace, flow_id, values, files, revision=None) -> dict:
        self.revisions.append(revision)
        self._call("validate", values, sorted(files))
        return self._validation(forms.flow_inputs(self.flow_definition), values)

    def validate_resume(self, kestra_id: str, values: dict, files: Any = None) -> dict:
        self._call("validate_resume", values)
        return self._validation(RESUME_INPUTS, values)

    def _validation(self, inputs: list[dict], values: dict) -> dict:
        return {
            "inputs": [
                {
                    "input": definition,
                    "value": values.get(definition["id"]),
                    "enabled": definition["id"] not in self.disabled,
                    "errors": [{"message": self.errors[definition["id"]]}]
                    if definition["id"] in self.errors
                    else [],
                }
                for definition in inputs
            ]
        }

    def execution(self, kestra_id: str) -> dict:
        self._call("execution", kestra_id)
        return {"state": {"current": self.state}}

    def resume(self, kestra_id: str, values: dict, files: Any) -> None:
        self._call("resume", kestra_id, values)
        self.resumed_files = {key: spec[0] for key, spec in (files or {}).items()}

    def kill(self, kestra_id: str) -> None:
        self._call("kill", kestra_id)


@pytest.fixture
def kestra(monkeypatch) -> Kestra:
    client = Kestra()
    for module in (forms, interactions, actions):
        monkeypatch.setattr(module, "get_client", lambda: client)
    return client


@pytest.fixture
def app():
    return import_example("feedback_form")


def _post(**values: str) -> QueryDict:
    post = QueryDict(mutable=True)
    post.update({f"input.{key}": value for key, value in values.items()})
    return post


def _submit(app, post: QueryDict, *, uploaded=None, user=None, session=None):
    return interactions.submit(
        app=app,
        post=post,
        uploaded=uploaded or {},
        user=user or AnonymousUser(),
        session=session,
    )


# -- the form ---------------------------------------------------------------------------


def test_a_form_of_static_inputs_is_drawn_from_the_flow_without_a_validation(kestra, app):
    outcome = interactions.open_form(app, {"email": "ada@example.org"})

    assert outcome.result is Result.DONE and outcome.ok and outcome.notice == ""
    assert [f.id for f in outcome.fields] == ["email", "code", "note", "photo"]
    assert outcome.fields[0].value == "ada@example.org"
    assert kestra.names() == ["flow"]


def test_a_form_with_dependent_inputs_asks_kestra_and_opens_without_complaints(kestra, app):
    kestra.flow_definition = DYNAMIC
    kestra.errors = {"email": "email is required"}

    outcome = interactions.open_form(app, {"note": "hello"})

    assert outcome.ok and kestra.calls[-1] == ("validate", {"note": "hello"}, [])
    fields = {f.id: f for f in outcome.fields}
    assert fields["note"].value == "hello" and fields["email"].errors == []
    assert "later" in fields


def test_a_form_whose_flow_kestra_does_not_have_says_so(kestra, app):
    kestra.down["flow"] = KestraNotFound(404, "no such flow")

    for outcome in (interactions.open_form(app), _submit(app, _post(email="a@b.org"))):
        assert (outcome.result, outcome.notice) == (Result.UNAVAILABLE, interactions.FLOW_MISSING)
        assert not outcome.ok
    assert not Execution.objects.exists()


def test_kestra_down_before_any_copy_of_the_flow_is_kept_shows_no_form(kestra, app):
    kestra.down["flow"] = KestraUnavailable("timed out")

    for outcome in (interactions.open_form(app), _submit(app, _post(email="a@b.org"))):
        assert (outcome.result, outcome.notice) == (Result.UNAVAILABLE, interactions.UNAVAILABLE)
        assert outcome.fields == []
    assert not Execution.objects.exists()


def test_kestra_down_with_a_kept_copy_of_the_flow_shows_it_and_queues_the_submission(kestra, app):
    kestra.flow_definition = DYNAMIC
    interactions.open_form(app)  # Kestra answered once: the portal keeps the flow
    app.refresh_from_db()
    kestra.down = {"flow": KestraUnavailable("down"), "validate": KestraUnavailable("down")}
    forms.cache.clear()

    outcome = interactions.open_form(app, {"note": "kept"})

    assert outcome.ok and outcome.notice == interactions.QUEUED_NOTICE
    fields = {f.id: f for f in outcome.fields}
    assert fields["note"].value == "kept" and "later" not in fields  # no dependent input
    assert outcome.result is Result.DONE


def test_a_form_kestra_refuses_to_validate_says_why(kestra, app):
    kestra.flow_definition = DYNAMIC
    kestra.down["validate"] = KestraRejected(422, "inputs are malformed")

    shown = interactions.open_form(app)
    sent = _submit(app, _post(email="a@b.org"))

    assert (shown.result, shown.notice) == (
        Result.UNAVAILABLE,
        "Kestra refused the form: inputs are malformed",
    )
    assert (sent.result, sent.notice) == (
        Result.INVALID,
        "Kestra refused the form: inputs are malformed",
    )
    assert not Execution.objects.exists()


# -- a submission -------------------------------------------------------------------------


def test_a_valid_submission_is_stored_with_its_secret_masked_and_tied_to_the_browser(kestra, app):
    session = SessionStore()
    photo = SimpleUploadedFile("a.png", b"png", content_type="image/png")

    outcome = _submit(
        app,
        _post(email="ada@example.org", code="s3cret"),
        uploaded={"input.photo": photo},
        session=session,
    )

    assert (outcome.result, outcome.ok) == (Result.CREATED, True)
    stored = Execution.objects.get()
    assert outcome.execution == stored
    assert stored.payload == {"email": "ada@example.org", "code": "s3cret"}
    assert stored.inputs == {"email": "ada@example.org", "code": forms.MASK}
    assert session.session_key and stored.session_key == session.session_key
    assert stored.submitted_by is None and stored.resubmission_of is None
    assert [(f.input_id, f.name) for f in stored.files.all()] == [("photo", "a.png")]
    assert kestra.calls[-1] == (
        "validate",
        {"email": "ada@example.org", "code": "s3cret"},
        ["photo"],
    )


def test_a_submission_by_a_signed_in_user_without_a_session_is_theirs(kestra, app):
    user = make_user("ada")

    _submit(app, _post(email="ada@example.org"), user=user)

    stored = Execution.objects.get()
    assert (stored.submitted_by, stored.session_key) == (user, "")


def test_a_value_kestra_refuses_shows_the_form_again_and_stores_nothing(kestra, app):
    kestra.errors = {"email": "not an email address"}

    outcome = _submit(app, _post(email="nope", note="kept"))

    assert (outcome.result, outcome.notice) == (Result.INVALID, interactions.FIX_FIELDS)
    fields = {f.id: f for f in outcome.fields}
    assert fields["email"].errors == ["not an email address"]
    assert (fields["email"].value, fields["note"].value) == ("nope", "kept")
    assert not Execution.objects.exists()


def test_the_values_of_inputs_kestra_disabled_are_not_sent(kestra, app):
    kestra.disabled = {"note"}
    photo = SimpleUploadedFile("a.png", b"png", content_type="image/png")
    kestra.disabled.add("photo")

    _submit(app, _post(email="ada@example.org", note="dropped"), uploaded={"input.photo": photo})

    stored = Execution.objects.get()
    assert stored.payload == {"email": "ada@example.org"}
    assert not stored.files.exists()


def test_while_kestra_is_down_a_submission_is_stored_unchecked(kestra, app):
    interactions.open_form(app)
    app.refresh_from_db()
    kestra.down["validate"] = KestraUnavailable("down")

    outcome = _submit(app, _post(email="not checked"))

    assert outcome.result is Result.CREATED
    assert Execution.objects.get().payload == {"email": "not checked"}


def test_a_file_too_large_is_refused_next_to_its_field_whether_or_not_kestra_answers(
    kestra, app, settings
):
    settings.PORTAL_MAX_UPLOAD_MB = 1
    big = b"x" * (1024 * 1024 + 1)
    too_large = "The file is larger than the 1 MB allowed."

    for down in (False, True):
        if down:
            kestra.down["validate"] = KestraUnavailable("down")
        upload = SimpleUploadedFile("big.bin", big)
        outcome = _submit(app, _post(email="ada@example.org"), uploaded={"input.photo": upload})

        assert (outcome.result, outcome.notice) == (Result.INVALID, interactions.FIX_FIELDS)
        assert {f.id: f.errors for f in outcome.fields}["photo"] == [too_large]
    assert not Execution.objects.exists()


def test_an_app_pinned_to_a_flow_revision_asks_kestra_for_that_revision(kestra):
    source = (EXAMPLES / "apps" / "feedback_form.yml").read_text() + "flowRevision: 3\n"
    pinned, _ = app_save_source(source=source)
    kestra.flow_definition = DYNAMIC

    interactions.open_form(pinned)
    _submit(pinned, _post(email="ada@example.org"))

    assert kestra.revisions and set(kestra.revisions) == {3}


def test_a_resubmission_names_the_request_it_replaces(kestra, app):
    user = make_user("ada")
    sent_back = Execution.objects.create(app=app, submitted_by=user, verdict="CHANGES")

    outcome = interactions.submit(
        app=app,
        post=_post(email="ada@example.org"),
        uploaded={},
        user=user,
        session=None,
        resubmits=sent_back,
    )

    assert outcome.execution is not None
    assert outcome.execution.resubmission_of == sent_back


def test_a_request_sent_back_for_changes_is_filled_in_again_but_its_secrets(kestra, app):
    user = make_user("ada")
    sent_back = Execution.objects.create(
        app=app,
        submitted_by=user,
        verdict=approval.CHANGES_REQUESTED,
        inputs={"email": "ada@example.org", "code": forms.MASK},
    )
    Execution.objects.create(app=app, submitted_by=user)  # not sent back

    found = interactions.resubmitting(app, sent_back.token, user, "")

    assert found == sent_back
    assert interactions.earlier_answers(sent_back) == {"email": "ada@example.org"}
    assert interactions.resubmitting(app, sent_back.token, make_user("bob"), "") is None


# -- decisions ----------------------------------------------------------------------------


@pytest.fixture
def requester():
    return make_user("rita", groups=[APPROVERS])


def _paused(requester, rule: str = "", **fields: Any) -> Execution:
    """A vacation request by `requester`, paused in Kestra and waiting for a decision."""
    values = {
        "app": vacation_app(rule),
        "kestra_id": "k-1",
        "delivery": "DELIVERED",
        "state": "PAUSED",
        "stage": "PAUSE",
        "pause_key": "run-1",
        "resume_form": {"inputs": [{"input": d} for d in RESUME_INPUTS]},
        "submitted_by": requester,
        "snapshot": {"state": {"current": "PAUSED", "histories": [{"state": "PAUSED"}]}},
        **fields,
    }
    return Execution.objects.create(**values)


WRITTEN = "approval:\n  quorum: 1\n"  # a policy of the app's own: its defaults, delegation on


def _voter(user) -> interactions.Voter:
    return interactions.Voter(user=user, session_key="", actor=actions.Actor(user=user))


def _with_comment(post: QueryDict, comment: str) -> QueryDict:
    post[interactions.COMMENT_FIELD] = comment
    return post


def _approve(execution: Execution, user, **values: str) -> interactions.Outcome:
    post = _post(**values)
    if "comment" in values:
        _with_comment(post, post.pop("input.comment")[0])
    return interactions.resume(
        app=execution.app, execution=execution, post=post, uploaded={}, voter=_voter(user)
    )


def _against(action, execution: Execution, user, comment: str = "") -> interactions.Outcome:
    post = QueryDict(mutable=True)
    if comment:
        post[interactions.COMMENT_FIELD] = comment
    return action(app=execution.app, execution=execution, voter=_voter(user), post=post)


def test_an_approval_resumes_kestra_once_with_its_values_and_records_them(kestra, requester):
    execution = _paused(requester)
    mona = make_user("mona", groups=[APPROVERS])

    evidence = SimpleUploadedFile("memo.txt", b"ok")

    outcome = interactions.resume(
        app=execution.app,
        execution=execution,
        post=_with_comment(_post(approved="true", passphrase="open-sesame"), "Enjoy"),
        uploaded={"input.evidence": evidence},
        voter=_voter(mona),
    )

    assert (outcome.result, outcome.execution) == (Result.DONE, execution)
    values = {"approved": "true", "passphrase": "open-sesame"}
    assert kestra.calls == [
        ("execution", "k-1"),
        ("validate_resume", values),
        ("resume", "k-1", values),
    ]
    assert kestra.resumed_files == {"evidence": "memo.txt"}
    decision = Decision.objects.get()
    assert (decision.action, decision.label, decision.user) == ("RESUME", "Approve", mona)
    assert decision.reason == "Enjoy"
    assert decision.values == {
        "approved": "true",
        "passphrase": forms.MASK,
        "evidence": "file: memo.txt",
    }
    told = Notification.objects.get(event="decision")
    assert told.user == requester
    vote = Vote.objects.get()
    assert (vote.status, vote.values["passphrase"]) == (Vote.Status.COUNTED, forms.MASK)
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.verdict, stored.stage) == (approval.APPROVED, "RESUME")


def test_a_decision_on_a_request_that_no_longer_waits_is_a_conflict(kestra, requester):
    execution = _paused(requester, stage="SUCCESS", state="SUCCESS")
    mona = make_user("mona", groups=[APPROVERS])

    for outcome in (
        _approve(execution, mona, approved="true"),
        _against(interactions.request_changes, execution, mona, "More days"),
        interactions.delegate(execution=execution, voter=_voter(mona), post=QueryDict("to=x")),
    ):
        assert outcome.result is Result.CONFLICT and not outcome.ok
    assert _approve(execution, mona).notice == interactions.NOT_PAUSED
    assert kestra.calls == [] and not Vote.objects.exists()


def test_someone_the_policy_does_not_let_decide_is_refused_with_the_rule(kestra, requester):
    execution = _paused(requester, "approval:\n  approvers: {users: [mona]}\n")
    pat = make_user("pat", groups=[APPROVERS])

    for outcome in (
        _approve(execution, pat, approved="true"),
        _against(interactions.cancel, execution, pat, "No"),
        _against(interactions.request_changes, execution, pat, "More"),
    ):
        assert (outcome.result, outcome.rule) == (Result.FORBIDDEN, "not-an-approver")
        assert outcome.notice == "The approvers of this step are mona."
        assert outcome.execution == execution
    assert kestra.calls == [] and not Vote.objects.exists()


@pytest.mark.parametrize(
    ("rule", "choice", "notice"),
    [
        ("approval:\n  reason: {approve: REQUIRED}\n", "approve", "Please say why you approve"),
        (WRITTEN, "reject", "Please give a reason for the rejection."),
        ("", "changes", "Please say what should change."),
    ],
)
def test_a_comment_the_policy_requires_is_asked_for(kestra, requester, rule, choice, notice):
    execution = _paused(requester, rule)
    mona = make_user("mona", groups=[APPROVERS])

    if choice == "approve":
        outcome = _approve(execution, mona, approved="true", comment="   ")
    else:
        action = interactions.cancel if choice == "reject" else interactions.request_changes
        outcome = _against(action, execution, mona, "   ")

    assert (outcome.result, outcome.rule) == (Result.INVALID, "reason-required")
    assert outcome.notice.startswith(notice) and outcome.execution == execution
    assert kestra.calls == [] and not Vote.objects.exists()


def test_a_comment_is_kept_trimmed_and_cut_or_dropped_when_the_policy_takes_none(kestra, requester):
    mona = make_user("mona", groups=[APPROVERS])
    execution = _paused(requester)

    _approve(execution, mona, approved="true", comment=f"  {'y' * 2500}  ")
    assert Vote.objects.get().comment == "y" * interactions.MAX_COMMENT

    silent = _paused(requester, "approval:\n  reason: {approve: NONE}\n", kestra_id="k-2")
    _approve(silent, mona, approved="true", comment="not kept")
    assert Vote.objects.get(execution=silent).comment == ""


def test_a_resume_value_kestra_refuses_is_shown_and_nothing_is_decided(kestra, requester):
    execution = _paused(requester)
    kestra.errors = {"approved": "approved must be a boolean"}

    outcome = _approve(execution, make_user("mona", groups=[APPROVERS]), approved="maybe")

    assert (outcome.result, outcome.notice) == (Result.INVALID, interactions.FIX_FIELDS)
    assert {f.id: f.errors for f in outcome.fields}["approved"] == ["approved must be a boolean"]
    assert "resume" not in kestra.names() and not Vote.objects.exists()


def test_a_resume_file_too_large_is_refused_next_to_its_field(kestra, requester, settings):
    settings.PORTAL_MAX_UPLOAD_MB = 1
    execution = _paused(requester)
    big = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))

    outcome = interactions.resume(
        app=execution.app,
        execution=execution,
        post=_post(approved="true"),
        uploaded={"input.evidence": big},
        voter=_voter(make_user("mona", groups=[APPROVERS])),
    )

    assert (outcome.result, outcome.notice) == (Result.INVALID, interactions.FIX_FIELDS)
    errors = {f.id: f.errors for f in outcome.fields}
    assert errors["evidence"] == ["The file is larger than the 1 MB allowed."]
    assert "resume" not in kestra.names() and not Vote.objects.exists()


def test_a_vote_after_kestra_moved_on_is_kept_as_too_late_and_nothing_is_sent(kestra, requester):
    execution = _paused(requester)
    kestra.state = "SUCCESS"

    outcome = _approve(execution, make_user("mona", groups=[APPROVERS]), passphrase="hush")

    assert (outcome.result, outcome.rule) == (Result.CONFLICT, "too-late")
    assert outcome.notice == (
        "Too late: Kestra has moved on (SUCCESS). Your vote is kept as too late."
    )
    assert kestra.names() == ["execution"]
    vote = Vote.objects.get()
    assert (vote.status, vote.choice, vote.values) == (
        Vote.Status.TOO_LATE,
        approval.APPROVE,
        {"approved": "false", "passphrase": forms.MASK},
    )
    assert Execution.objects.get(pk=execution.pk).next_action_at <= timezone.now()


@pytest.mark.parametrize(
    ("call", "error", "result", "notice"),
    [
        ("execution", KestraUnavailable("down"), Result.UNAVAILABLE, interactions.UNAVAILABLE),
        (
            "validate_resume",
            KestraRejected(409, "not paused"),
            Result.CONFLICT,
            "Kestra refused the decision: not paused",
        ),
    ],
)
def test_a_decision_kestra_cannot_take_says_why_and_counts_no_vote(
    kestra, requester, call, error, result, notice
):
    execution = _paused(requester)
    kestra.down[call] = error

    outcome = _approve(execution, make_user("mona", groups=[APPROVERS]), approved="true")

    assert (outcome.result, outcome.notice, outcome.execution) == (result, notice, execution)
    assert not Vote.objects.exists() and not Decision.objects.exists()


def test_a_vote_refused_because_kestra_moved_on_meanwhile_is_kept_as_too_late(kestra, requester):
    """Another approver's verdict lands between the ask "still paused?" and the validation:
    Kestra refuses the validation, and the vote is too late, as if the ask had seen it."""
    execution = _paused(requester)
    real_execution = kestra.execution
    answers = iter(["PAUSED", "SUCCESS"])

    def execution_state(kestra_id: str) -> dict:
        kestra.state = next(answers)
        return real_execution(kestra_id)

    kestra.execution = execution_state
    kestra.down["validate_resume"] = KestraRejected(409, "not paused, can't resume it")

    outcome = _approve(execution, make_user("mona", groups=[APPROVERS]), approved="true")

    assert (outcome.result, outcome.rule) == (Result.CONFLICT, "too-late")
    assert outcome.notice == (
        "Too late: Kestra has moved on (SUCCESS). Your vote is kept as too late."
    )
    assert Vote.objects.get().status == Vote.Status.TOO_LATE
    assert "resume" not in kestra.names()


def test_a_verdict_kestra_cannot_take_is_undone_so_it_can_be_made_again(kestra, requester):
    execution = _paused(requester)
    kestra.down["resume"] = KestraUnavailable("down")
    mona = make_user("mona", groups=[APPROVERS])

    outcome = _approve(execution, mona, approved="true")

    assert (outcome.result, outcome.notice) == (Result.UNAVAILABLE, interactions.UNAVAILABLE)
    assert not Vote.objects.exists() and not Decision.objects.exists()
    assert Execution.objects.get(pk=execution.pk).verdict == ""
    del kestra.down["resume"]
    assert _approve(execution, mona, approved="true").result is Result.DONE


def test_a_verdict_on_what_kestra_already_ended_keeps_the_vote_as_too_late(kestra, requester):
    execution = _paused(requester)
    mona = make_user("mona", groups=[APPROVERS])
    real_execution = kestra.execution
    answers = iter(["PAUSED", "SUCCESS"])  # paused when asked first, over at the kill

    def execution_state(kestra_id: str) -> dict:
        kestra.state = next(answers)
        return real_execution(kestra_id)

    kestra.execution = execution_state

    outcome = _against(interactions.cancel, execution, mona, "No")

    assert (outcome.result, outcome.rule) == (Result.CONFLICT, "too-late")
    assert outcome.notice == "Too late: the request ended in Kestra. Your vote is kept as too late."
    assert Vote.objects.get().status == Vote.Status.TOO_LATE
    assert "kill" not in kestra.names()


TWO_STEPS = (
    "approval:\n  steps:\n    - approvers: {groups: [HR]}\n    - approvers: {users: [nick]}\n"
)


@pytest.mark.parametrize(
    ("rule", "notice"),
    [
        ("approval:\n  quorum: 2\n", "Your vote is recorded: 1 of 2 approvals."),
        (TWO_STEPS, "Your vote is recorded: 0 of 1 approval in step 2 of 2."),
    ],
)
def test_each_vote_short_of_the_policy_says_where_the_decision_stands(
    kestra, requester, rule, notice
):
    execution = _paused(requester, rule)

    outcome = _approve(execution, make_user("mona", groups=[APPROVERS]), approved="true")

    assert (outcome.result, outcome.notice) == (Result.DONE, notice)
    assert "resume" not in kestra.names() and Execution.objects.get().verdict == ""


@pytest.mark.parametrize(
    ("action", "recorded", "label"),
    [
        (interactions.cancel, Decision.Action.CANCEL, "Reject"),
        (interactions.request_changes, Decision.Action.CHANGES, "Request changes"),
    ],
)
def test_a_vote_against_kills_the_request_and_records_why(
    kestra, requester, action, recorded, label
):
    execution = _paused(requester)
    mona = make_user("mona", groups=[APPROVERS])

    outcome = _against(action, execution, mona, "Not this week")

    assert outcome.result is Result.DONE
    assert kestra.calls == [("execution", "k-1"), ("execution", "k-1"), ("kill", "k-1")]
    decision = Decision.objects.get()
    assert (decision.action, decision.label, decision.reason) == (recorded, label, "Not this week")
    assert Execution.objects.get(pk=execution.pk).state == "KILLING"


def test_a_running_request_is_cancelled_by_those_who_may_act_on_it(kestra, requester):
    execution = _paused(requester, stage="RUNNING", state="RUNNING", resume_form={})
    outsider = make_user("olga")

    refused = _against(interactions.cancel, execution, outsider)
    assert (refused.result, refused.rule, refused.notice) == (
        Result.FORBIDDEN,
        "not-allowed",
        policy.ACT_REFUSED,
    )
    assert kestra.calls == []

    done = _against(interactions.cancel, execution, requester)
    assert (done.result, done.execution) == (Result.DONE, execution)
    assert kestra.names() == ["execution", "kill"]
    decision = Decision.objects.get()
    assert (decision.action, decision.label) == (Decision.Action.CANCEL, "")  # no button shown


@pytest.mark.parametrize(
    ("fields", "answer", "error", "result", "notice"),
    [
        ({"kestra_id": None}, "RUNNING", None, Result.CONFLICT, interactions.NOT_CANCELLABLE),
        ({"state": "KILLING"}, "RUNNING", None, Result.CONFLICT, interactions.NOT_CANCELLABLE),
        ({}, "SUCCESS", None, Result.CONFLICT, interactions.NOT_CANCELLABLE),
        (
            {},
            "RUNNING",
            KestraRejected(409, "busy"),
            Result.CONFLICT,
            "Kestra refused to cancel: busy",
        ),
        ({}, "RUNNING", KestraUnavailable("down"), Result.UNAVAILABLE, interactions.UNAVAILABLE),
    ],
)
def test_a_cancel_there_is_nothing_to_do_for_or_kestra_refuses_says_so(
    kestra, requester, fields, answer, error, result, notice
):
    execution = _paused(
        requester, stage="RUNNING", resume_form={}, **{"state": "RUNNING", **fields}
    )
    kestra.state = answer
    if error is not None:
        kestra.down["kill"] = error

    outcome = _against(interactions.cancel, execution, requester)

    assert (outcome.result, outcome.notice) == (result, notice)
    assert not Decision.objects.exists()


def test_an_approver_hands_the_decision_to_someone_else(kestra, requester):
    execution = _paused(requester, WRITTEN)
    mona = make_user("mona", groups=[APPROVERS])
    make_user("nick", groups=[APPROVERS])
    post = QueryDict(mutable=True)
    post.update({"to": " nick ", "note": f" {'n' * 2100} "})

    outcome = interactions.delegate(execution=execution, voter=_voter(mona), post=post)

    assert (outcome.result, outcome.notice) == (Result.DONE, "The decision is handed to nick.")
    delegation = Delegation.objects.get()
    assert (delegation.from_username, delegation.to_username) == ("mona", "nick")
    assert delegation.note == "n" * interactions.MAX_COMMENT


def test_a_delegation_names_someone_eligible(kestra, requester):
    execution = _paused(requester, WRITTEN)
    mona = make_user("mona", groups=[APPROVERS])

    nobody = interactions.delegate(execution=execution, voter=_voter(mona), post=QueryDict())
    unknown = interactions.delegate(
        execution=execution, voter=_voter(mona), post=QueryDict("to=zed")
    )

    assert (nobody.result, nobody.notice) == (
        Result.INVALID,
        "Name the person to hand this decision to.",
    )
    assert (unknown.result, unknown.rule) == (Result.FORBIDDEN, "delegate-not-eligible")
    assert unknown.notice == "No user is named 'zed'."
    assert not Delegation.objects.exists()


# -- the execution a link names -------------------------------------------------------------


@pytest.fixture
def adopted(monkeypatch) -> list[str]:
    """What is asked of Kestra to adopt: the Kestra ids, and the answer set by the test."""
    asked: list[str] = []

    def adopt(*, app, kestra_id):
        asked.append(kestra_id)
        if kestra_id == "down":
            raise KestraUnavailable("down")
        if kestra_id == "unknown":
            return None
        return Execution.objects.create(app=app, kestra_id=kestra_id)

    monkeypatch.setattr(interactions, "execution_adopt", adopt)
    return asked


def _open(app, execution_id: str, session, *, user=None, link: str = "") -> Execution:
    return interactions.execution_for(
        app, execution_id, user=user or AnonymousUser(), session=session, link=link
    )


def test_an_execution_is_named_by_its_kestra_id_or_its_token_under_its_own_app(app):
    other_app = vacation_app()
    session = SessionStore()
    session.save()
    mine = Execution.objects.create(app=app, kestra_id="k-mine", session_key=session.session_key)

    assert _open(app, "k-mine", session) == mine
    assert _open(app, mine.token, session) == mine
    assert interactions.tracked_execution(app.uid, "k-mine") == mine
    assert interactions.tracked_execution(app.uid, mine.token) == mine
    assert interactions.tracked_execution(other_app.uid, "k-mine") is None


def test_someone_elses_execution_of_a_public_app_opens_by_its_signed_link_from_then_on(app):
    theirs = Execution.objects.create(app=app, kestra_id="k-theirs", submitted_by=make_user("t"))
    other = Execution.objects.create(app=app, kestra_id="k-other", submitted_by=make_user("o"))
    session = SessionStore()
    link = policy.execution_link(theirs)

    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-theirs", session)
    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-theirs", session, link=policy.execution_link(other))
    assert session.get(interactions.OPENED_LINKS) is None  # a link to another is not kept

    assert _open(app, "k-theirs", session, link=link) == theirs
    assert _open(app, "k-theirs", session) == theirs  # the page's live part, without the link
    assert _open(app, "k-theirs", session, link=link) == theirs
    assert session[interactions.OPENED_LINKS] == [link]  # kept once
    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-other", session)


def test_a_session_keeps_the_latest_signed_links_only(app):
    executions = [Execution.objects.create(app=app, kestra_id=f"k-{n}") for n in range(51)]
    session = SessionStore()

    for execution in executions:
        _open(app, execution.kestra_id, session, link=policy.execution_link(execution))

    assert len(session[interactions.OPENED_LINKS]) == interactions.MAX_OPENED_LINKS == 50
    assert _open(app, "k-50", session) == executions[50]
    assert _open(app, "k-1", session) == executions[1]
    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-0", session)  # the oldest is forgotten


def test_an_execution_started_in_kestra_is_adopted_only_for_those_who_open_every_one(app, adopted):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    session = SessionStore()

    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-outside", session)  # anonymous, on a public app: never adopted
    assert adopted == []

    found = _open(app, "k-outside", session, user=admin)
    assert (found.kestra_id, found.app, adopted) == ("k-outside", app, ["k-outside"])

    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "unknown", session, user=admin)
    with pytest.raises(interactions.KestraPageUnavailable):
        _open(app, "down", session, user=admin)


def test_an_execution_another_app_tracks_is_not_adopted_again(app, adopted):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    Execution.objects.create(app=vacation_app(), kestra_id="k-elsewhere")

    with pytest.raises(interactions.ExecutionNotFound):
        _open(app, "k-elsewhere", SessionStore(), user=admin)
    assert adopted == []
