"""executions.services, the lifecycle of an execution against Kestra, with a Kestra that
answers as each test tells it (the tracking tests run the same against the emulator over
HTTP): what is sent to Kestra, what is stored, what a person later reads of it (the error,
the logs, the outputs, the labels that say who decided), and when the next step is due."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps_catalog import approval
from apps_catalog.services import app_save_source
from executions import enqueue, forms, leases, services, tracking
from executions.kestra import KestraError, KestraNotFound, KestraRejected, KestraUnavailable
from executions.models import Execution, ExecutionLog, Vote
from executions.presenters import failure_text
from kestra_apps import logs
from notifications.models import Notification
from tests.approvals import vacation_app
from tests.conftest import EXAMPLES, import_example
from tests.personas import APPROVERS, make_user

pytestmark = pytest.mark.django_db

FLOW = {
    "id": "feedback",
    "namespace": "demo",
    "inputs": [{"id": "email", "type": "EMAIL"}, {"id": "code", "type": "SECRET"}],
    "tasks": [{"id": "wait", "type": "io.kestra.plugin.core.flow.Pause"}],
}
RESUME_FORM = {"inputs": [{"input": {"id": "approved", "type": "BOOL"}, "enabled": True}]}


def _state(current: str, runs: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """Kestra's execution: its state, inputs and task runs (id, state)."""
    return {
        "id": "k-1",
        "state": {"current": current, "histories": [{"state": current}]},
        "inputs": {"email": "ada@example.org", "code": "hush-hush"},
        "taskRunList": [
            {"id": run_id, "taskId": "wait", "state": {"current": state}} for run_id, state in runs
        ],
    }


class Kestra:
    """Kestra as the lifecycle needs it: what it was asked, and what it was told to answer;
    `down`: call name → the error that call raises."""

    def __init__(self) -> None:
        self.answer = _state("RUNNING")
        self.found: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.outputs: dict[str, Any] = {}
        self.down: dict[str, KestraError] = {}
        self.calls: list[tuple[Any, ...]] = []

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.down:
            raise self.down[name]

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> dict:
        return FLOW

    def find_executions(self, namespace: str, flow_id: str, labels: dict) -> list[dict]:
        self._call("find", namespace, flow_id, labels)
        return self.found

    def create_execution(self, namespace, flow_id, values, *, files, labels, revision) -> dict:
        self._call("create", namespace, flow_id, values, labels)
        self.revision = revision
        return _state("CREATED")

    def execution(self, kestra_id: str) -> dict:
        self._call("execution", kestra_id)
        return self.answer

    def task_outputs(self, snapshot: dict, known: dict | None = None) -> dict:
        self._call("task_outputs")
        return {"wait": {"said": "the code is hush-hush"}}

    def logs(self, kestra_id: str) -> list[dict]:
        self._call("logs", kestra_id)
        return self.lines

    def validate_resume(self, kestra_id: str, values: dict) -> dict:
        self._call("validate_resume", kestra_id)
        return RESUME_FORM

    def execution_outputs(self, snapshot: dict) -> dict:
        self._call("outputs")
        return self.outputs

    def set_labels(self, kestra_id: str, labels: dict) -> None:
        self._call("set_labels", kestra_id, labels)


@pytest.fixture
def kestra(monkeypatch) -> Kestra:
    client = Kestra()
    for module in (forms, services):
        monkeypatch.setattr(module, "get_client", lambda: client)
    return client


@pytest.fixture
def app():
    return import_example("feedback_form")


def _holds(caplog) -> list[tuple[str, str]]:
    """The kind and outcome of each piece of tracking work, as the operators' log says."""
    lines = [r.getMessage() for r in caplog.records if r.name == "executions.leases"]
    words = [dict(w.split("=", 1) for w in line.split() if "=" in w) for line in lines]
    return [(w["kind"], w["outcome"]) for w in words if "outcome" in w]


def _submitted(app, user=None) -> Execution:
    values = {"email": "ada@example.org", "code": "hush-hush"}
    shown = forms.shown_values(values, FLOW["inputs"])
    return services.execution_submit(app=app, values=values, shown=shown, user=user)


def _delivered(app, **fields: Any) -> Execution:
    values = {
        "app": app,
        "kestra_id": "k-1",
        "delivery": Execution.Delivery.DELIVERED,
        "state": "RUNNING",
        "stage": "RUNNING",
        "next_action_at": timezone.now(),
        **fields,
    }
    return Execution.objects.create(**values)


# -- submit and deliver -------------------------------------------------------------------


def test_a_stored_submission_is_handed_to_a_worker_once_its_transaction_commits(
    app, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level("INFO")
    sent: list[tuple] = []

    class Celery:
        def send_task(self, name: str, args: tuple = ()) -> None:
            sent.append((name, args))

    monkeypatch.setattr(enqueue, "current_app", Celery())

    with django_capture_on_commit_callbacks(execute=True):
        execution = _submitted(app)
        assert sent == []  # not before the row is there for the worker to read

    assert sent == [(enqueue.DELIVER, (execution.pk,))]
    assert "submission stored files=0" in caplog.messages
    assert execution.stage_since is not None and execution.stage_since <= timezone.now()


def test_work_on_an_execution_names_it_on_every_log_line(app):
    execution = _delivered(app)

    with services.about(execution.pk):
        record = logging.LogRecord("x", logging.INFO, "", 0, "work", None, None)
        logs.ContextFilter().filter(record)
    with services.about(0):  # no such execution: nothing to name
        nameless = logging.LogRecord("x", logging.INFO, "", 0, "work", None, None)
        logs.ContextFilter().filter(nameless)

    assert record.context == {"execution": execution.token, "kestra_id": "k-1", "app": app.uid}
    assert nameless.context == {}


def test_a_submission_is_stored_due_now_and_delivered_once_with_its_labels(kestra, app, caplog):
    caplog.set_level("INFO")
    user = make_user("ada")
    execution = _submitted(app, user)
    assert execution.delivery == Execution.Delivery.QUEUED
    assert execution.next_action_at <= timezone.now()

    delivered = services.execution_deliver(execution_id=execution.pk)

    assert delivered is not None and delivered.pk == execution.pk
    assert kestra.calls == [
        (
            "create",
            "demo",
            "feedback",
            {"email": "ada@example.org", "code": "hush-hush"},
            {
                services.SUBMISSION_LABEL: execution.token,
                services.APP_LABEL: "feedback_form",
                services.UID_LABEL: app.uid,
                services.REQUESTER_LABEL: "ada",
            },
        )
    ]
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.kestra_id, stored.delivery, stored.state) == ("k-1", "DELIVERED", "CREATED")
    assert (stored.payload, stored.error, stored.attempts) == ({}, "", 1)
    assert stored.inputs == {"email": "ada@example.org", "code": forms.MASK}
    assert services.execution_deliver(execution_id=execution.pk) is None  # not twice
    assert kestra.names() == ["create"]
    assert _holds(caplog) == [("deliver", "delivered")]


def test_an_app_pinned_to_a_flow_revision_runs_that_revision(kestra):
    source = (EXAMPLES / "apps" / "feedback_form.yml").read_text() + "flowRevision: 3\n"
    pinned, _ = app_save_source(source=source)

    services.execution_deliver(execution_id=_submitted(pinned).pk)

    assert kestra.revision == 3


def test_an_anonymous_submission_is_labelled_anonymous(kestra, app):
    execution = _submitted(app)

    services.execution_deliver(execution_id=execution.pk)

    assert kestra.calls[0][4][services.REQUESTER_LABEL] == "anonymous"
    assert services.requester_label(execution) == "anonymous"


def test_a_retry_adopts_what_an_earlier_attempt_created_instead_of_creating_again(kestra, app):
    execution = _submitted(app)
    Execution.objects.filter(pk=execution.pk).update(attempts=1)
    kestra.found = [{**_state("RUNNING"), "id": "k-earlier"}]

    services.execution_deliver(execution_id=execution.pk)

    assert kestra.calls == [
        ("find", "demo", "feedback", {services.SUBMISSION_LABEL: execution.token})
    ]
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.kestra_id, stored.state, stored.attempts) == ("k-earlier", "RUNNING", 2)


def test_a_retry_that_finds_nothing_creates_it(kestra, app):
    execution = _submitted(app)
    Execution.objects.filter(pk=execution.pk).update(attempts=1)

    services.execution_deliver(execution_id=execution.pk)

    assert kestra.names() == ["find", "create"]
    assert Execution.objects.get(pk=execution.pk).kestra_id == "k-1"


def test_kestra_down_keeps_the_submission_for_a_later_attempt_then_gives_up(
    kestra, app, settings, caplog
):
    caplog.set_level("INFO")
    settings.DELIVERY_MAX_ATTEMPTS = 2
    kestra.down["create"] = KestraUnavailable("connection refused")
    execution = _submitted(app)

    assert services.execution_deliver(execution_id=execution.pk) is None

    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.delivery, stored.error, stored.attempts) == ("QUEUED", "connection refused", 1)
    assert stored.payload == {"email": "ada@example.org", "code": "hush-hush"}
    assert stored.next_action_at > timezone.now()  # after a backoff

    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_deliver(execution_id=execution.pk)

    stored = Execution.objects.get(pk=execution.pk)
    assert stored.delivery == "FAILED" and stored.payload == {}
    assert failure_text(stored) == "Kestra could not be reached after 2 attempts."
    assert stored.error == ""  # the last attempt's error, shown in the admin, is cleared
    assert stored.next_action_at is None
    assert _holds(caplog) == [("deliver", "unavailable")] * 2


def test_a_submission_kestra_rejects_fails_with_kestras_reason(kestra, app, caplog):
    caplog.set_level("INFO")
    kestra.down["create"] = KestraRejected(422, "email: not an address")
    execution = _submitted(app)

    assert services.execution_deliver(execution_id=execution.pk) is None

    stored = Execution.objects.get(pk=execution.pk)
    assert stored.delivery == "FAILED" and stored.payload == {}
    assert failure_text(stored) == "Kestra rejected the submission: email: not an address"
    assert stored.next_action_at is None  # never handed out again
    assert _holds(caplog) == [("deliver", "rejected")]


def test_deliveries_handed_out_together_each_count_their_own_attempts(kestra, app):
    first, second = _submitted(app), _submitted(app)
    due = tracking.executions_claim_due()
    assert sorted(due.deliveries) == sorted([first.pk, second.pk])  # under one claim

    services.execution_deliver(execution_id=first.pk, claim=due.claim)

    # One attempt more would make its delivery look for an earlier one first.
    assert Execution.objects.get(pk=first.pk).attempts == 1
    assert Execution.objects.get(pk=second.pk).attempts == 0


def test_an_execution_another_worker_took_over_is_neither_counted_nor_sent(
    kestra, app, monkeypatch
):
    execution = _submitted(app)
    hold = leases.hold

    def held_then_taken(*args: Any, **kwargs: Any) -> leases.LeaseClock | None:
        clock = hold(*args, **kwargs)
        Execution.objects.filter(pk=execution.pk).update(claim="another-worker")
        return clock

    monkeypatch.setattr(leases, "hold", held_then_taken)

    assert services.execution_deliver(execution_id=execution.pk) is None

    assert kestra.calls == []
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.attempts, stored.claim, stored.delivery) == (0, "another-worker", "QUEUED")


def test_a_delivery_whose_claim_was_lost_during_the_call_is_not_reported_delivered(
    kestra, app, monkeypatch
):
    """The worker that took over writes what it finds; this one neither writes nor starts
    the first poll, which it would do for a delivery it reports."""
    execution = _submitted(app)
    create = kestra.create_execution

    def created_while_taken(*args: Any, **kwargs: Any) -> dict:
        Execution.objects.filter(pk=execution.pk).update(claim="another-worker")
        return create(*args, **kwargs)

    monkeypatch.setattr(kestra, "create_execution", created_while_taken)

    assert services.execution_deliver(execution_id=execution.pk) is None
    assert Execution.objects.get(pk=execution.pk).kestra_id is None  # not written by this one


def test_a_delivery_whose_lease_ran_out_calls_kestra_not_and_leaves_it_queued(
    kestra, app, caplog, monkeypatch
):
    """A worker that stalled after its claim (a pause, a slow disk) would call Kestra past
    its lease, when another worker may hold the execution: it lets go instead."""
    caplog.set_level("INFO")
    spent = classmethod(lambda cls, claim, config, now: cls(claim, now, time.monotonic() - 1))
    monkeypatch.setattr(leases.LeaseClock, "start", spent)
    execution = _submitted(app)

    assert services.execution_deliver(execution_id=execution.pk) is None

    assert kestra.calls == []
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.delivery, stored.kestra_id, stored.claim) == ("QUEUED", None, "")
    assert stored.payload == {"email": "ada@example.org", "code": "hush-hush"}
    assert _holds(caplog) == [("deliver", "lease-ran-out")]


def test_a_submission_that_can_no_longer_be_read_fails_and_says_so_in_the_log(
    kestra, app, caplog, settings
):
    caplog.set_level("INFO")
    execution = _submitted(app)
    settings.SECRET_KEY = "another-key-" + "x" * 50  # its values were sealed with the old one

    assert services.execution_deliver(execution_id=execution.pk) is None

    assert kestra.calls == []
    stored = Execution.objects.get(pk=execution.pk)
    assert stored.delivery == "FAILED" and stored.next_action_at is None
    assert _holds(caplog) == [("deliver", "unreadable")]


# -- poll -----------------------------------------------------------------------------------


def test_a_poll_keeps_the_state_the_new_log_lines_and_the_task_outputs_secrets_masked(
    kestra, app, caplog
):
    caplog.set_level("INFO")
    execution = _delivered(app, log_count=1, poll_errors=2, error="earlier failure")
    ExecutionLog.objects.create(execution=execution, position=0, level="INFO", message="old")
    kestra.answer = _state("RUNNING", [("run-a", "RUNNING")])
    kestra.lines = [
        {"message": "old"},
        {
            "timestamp": "2026-12-07T04:00:00Z",
            "level": "WARN",
            "taskId": "wait",
            "message": "code hush-hush",
        },
        {},
    ]

    services.execution_poll(execution_id=execution.pk)

    stored = Execution.objects.get(pk=execution.pk)
    assert stored.state == "RUNNING" and stored.snapshot["inputs"]["code"] == forms.MASK
    assert stored.task_outputs == {"wait": {"said": f"the code is {forms.MASK}"}}
    assert (stored.poll_errors, stored.error, stored.log_count) == (0, "", 3)
    assert stored.last_polled_at is not None
    lines = list(stored.logs.order_by("position").values_list("level", "task_id", "message"))
    assert lines == [("INFO", "", "old"), ("WARN", "wait", f"code {forms.MASK}"), ("INFO", "", "")]
    assert stored.logs.get(position=1).timestamp.isoformat() == "2026-12-07T04:00:00+00:00"
    assert stored.next_action_at > timezone.now()
    assert _holds(caplog) == [("poll", "polled")]


def test_task_outputs_are_read_again_only_when_a_task_run_changed(kestra, app):
    execution = _delivered(app, snapshot=_state("RUNNING", [("run-a", "RUNNING")]))
    kestra.answer = _state("RUNNING", [("run-a", "RUNNING")])

    services.execution_poll(execution_id=execution.pk)

    assert "task_outputs" not in kestra.names()
    assert kestra.names() == ["execution", "logs"]


def test_a_pause_reads_the_resume_form_once_and_an_end_drops_it(kestra, app):
    execution = _delivered(app)
    kestra.answer = _state("PAUSED", [("run-a", "PAUSED")])

    services.execution_poll(execution_id=execution.pk)

    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.resume_form, stored.pause_key) == (RESUME_FORM, "run-a")
    assert kestra.calls.count(("validate_resume", "k-1")) == 1

    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)
    assert kestra.calls.count(("validate_resume", "k-1")) == 1  # still the same pause

    kestra.answer = _state("RUNNING", [("run-a", "SUCCESS")])
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)
    assert Execution.objects.get(pk=execution.pk).resume_form == {}


def test_the_end_reads_the_outputs_and_labels_who_decided_then_polls_no_more(kestra, app, caplog):
    caplog.set_level("INFO")
    mona, nick = make_user("mona"), make_user("nick")
    execution = _delivered(app, verdict=approval.APPROVED, pause_key="run-a")
    for user, choice, step in [(mona, "APPROVE", 0), (nick, "REJECT", 0), (mona, "APPROVE", 1)]:
        Vote.objects.create(
            execution=execution,
            pause_key="run-a",
            step=step,
            user=user,
            username=user.username,
            choice=choice,
        )
    Vote.objects.create(execution=execution, pause_key="run-a", choice="APPROVE")  # anonymous
    Vote.objects.create(  # an earlier pause's
        execution=execution, pause_key="run-0", username="old", choice="APPROVE"
    )
    kestra.answer = _state("SUCCESS", [("run-a", "SUCCESS")])
    kestra.outputs = {"message": "the code was hush-hush"}

    services.execution_poll(execution_id=execution.pk)

    stored = Execution.objects.get(pk=execution.pk)
    assert stored.outputs == {"message": f"the code was {forms.MASK}"}
    assert kestra.calls[-1] == (
        "set_labels",
        "k-1",
        {services.DECISION_LABEL: "approved", services.DECIDED_BY_LABEL: "mona,anonymous"},
    )
    assert stored.next_action_at is None and stored.is_settled
    assert _holds(caplog) == [("poll", "final")]


def test_a_rejection_is_labelled_with_those_who_rejected(kestra, app):
    execution = _delivered(app, verdict=approval.REJECTED, pause_key="run-a")
    Vote.objects.create(execution=execution, pause_key="run-a", username="a", choice="APPROVE")
    Vote.objects.create(execution=execution, pause_key="run-a", username="b", choice="REJECT")
    Vote.objects.create(
        execution=execution,
        pause_key="run-a",
        username="late",
        choice="REJECT",
        status=Vote.Status.TOO_LATE,
    )

    assert services.decision_labels(execution) == {
        services.DECISION_LABEL: "rejected",
        services.DECIDED_BY_LABEL: "b",
    }


def test_an_end_without_a_verdict_sets_no_labels(kestra, app):
    execution = _delivered(app)
    kestra.answer = _state("FAILED")

    services.execution_poll(execution_id=execution.pk)

    assert "set_labels" not in kestra.names() and "outputs" in kestra.names()
    assert Execution.objects.get(pk=execution.pk).state == "FAILED"


@pytest.mark.parametrize(
    "error", [KestraUnavailable("timed out"), KestraRejected(400, "bad request")]
)
def test_a_failed_poll_keeps_nothing_of_it_counts_the_failure_and_polls_again(
    kestra, app, error, caplog, settings
):
    caplog.set_level("INFO")
    settings.EXECUTION_POLL_SECONDS, settings.EXECUTION_POLL_MAX_SECONDS = 1, 60
    execution = _delivered(app, poll_errors=1, poll_interval=4.0)
    kestra.answer = _state("SUCCESS")
    kestra.down["logs"] = error  # the state was read, the logs not

    services.execution_poll(execution_id=execution.pk)

    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.state, stored.poll_errors, stored.error) == ("RUNNING", 2, str(error))
    assert stored.delivery == "DELIVERED" and stored.next_action_at is not None
    assert _holds(caplog) == [("poll", "failed")]
    assert stored.poll_interval == 8.0  # a failure backs off as a poll that found nothing


def test_kestra_losing_the_execution_fails_it_after_enough_answers_not_found(kestra, app, settings):
    settings.EXECUTION_LOST_AFTER_POLLS = 2
    execution = _delivered(app)
    kestra.down["execution"] = KestraNotFound(404, "no such execution")

    services.execution_poll(execution_id=execution.pk)
    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.delivery, stored.poll_errors) == ("DELIVERED", 1)

    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)
    stored = Execution.objects.get(pk=execution.pk)
    assert stored.delivery == "FAILED" and stored.next_action_at is None
    assert failure_text(stored) == "Kestra no longer knows this execution: no such execution"


def test_a_new_pause_tells_those_who_may_decide_once_and_the_end_tells_the_requester(kestra):
    rita = make_user("rita", groups=[APPROVERS])
    make_user("mona", groups=[APPROVERS])
    execution = _delivered(vacation_app(), submitted_by=rita)
    kestra.answer = _state("PAUSED", [("run-a", "PAUSED")])

    services.execution_poll(execution_id=execution.pk)
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)  # the same pause: nobody told again

    pending = Notification.objects.filter(event="pending")
    assert sorted(n.user.username for n in pending) == ["mona", "rita"]
    assert not Notification.objects.filter(event="finished").exists()

    kestra.answer = _state("SUCCESS", [("run-a", "SUCCESS")])
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)

    assert [n.user for n in Notification.objects.filter(event="finished")] == [rita]


def test_an_execution_started_outside_the_portal_tells_nobody_it_ended(kestra):
    rita = make_user("rita", groups=[APPROVERS])
    execution = _delivered(vacation_app(), submitted_by=rita, origin="DISCOVERED")
    kestra.answer = _state("SUCCESS")

    services.execution_poll(execution_id=execution.pk)

    assert not Notification.objects.exists()


# -- who is watching ------------------------------------------------------------------------


def test_watching_marks_the_execution_and_renews_the_mark_only_when_it_runs_low(app, settings):
    settings.EXECUTION_WATCH_SECONDS = 30
    execution = _delivered(app, next_action_at=timezone.now() + timedelta(minutes=5))

    services.execution_watch(execution=execution)

    stored = Execution.objects.get(pk=execution.pk)
    left = (stored.watched_until - timezone.now()).total_seconds()
    assert 25 < left <= 30
    assert stored.next_action_at <= timezone.now() + timedelta(seconds=1)  # polled soon

    marked = stored.watched_until
    services.execution_watch(execution=stored)
    assert Execution.objects.get(pk=execution.pk).watched_until == marked  # no new write

    stored.watched_until = timezone.now() + timedelta(seconds=1)  # about to run out
    services.execution_watch(execution=stored)
    assert Execution.objects.get(pk=execution.pk).watched_until > marked


def test_the_mark_is_renewed_as_soon_as_the_renewal_margin_is_reached(app, settings, monkeypatch):
    settings.EXECUTION_WATCH_SECONDS = 30
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    execution = _delivered(app)
    execution.watched_until = now + timedelta(seconds=30 - services.WATCH_RENEW_SECONDS)

    services.execution_watch(execution=execution)

    assert Execution.objects.get(pk=execution.pk).watched_until == now + timedelta(seconds=30)


def test_a_watch_ending_this_very_moment_counts_as_nobody_watching(app, settings, monkeypatch):
    settings.EXECUTION_WATCH_SECONDS = 30
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    execution = _delivered(app, next_action_at=now + timedelta(minutes=5), watched_until=now)

    services.execution_watch(execution=execution)

    assert Execution.objects.get(pk=execution.pk).next_action_at == now  # polled at once


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "SUCCESS", "stage": "SUCCESS", "next_action_at": None},
        {
            "delivery": Execution.Delivery.FAILED,
            "kestra_id": None,
            "state": "",
            "stage": "ERROR",
            "next_action_at": None,
        },
    ],
)
def test_nothing_is_watched_once_settled(app, fields):
    execution = _delivered(app, **fields)

    services.execution_watch(execution=execution)

    assert Execution.objects.get(pk=execution.pk).watched_until is None


def test_a_submission_waiting_for_delivery_is_watched_but_not_delivered_sooner(app):
    """Marked, so the follower takes it the moment it is delivered; its delivery, waiting
    out a back-off, keeps its time."""
    retry_at = timezone.now() + timedelta(minutes=2)
    execution = _delivered(
        app, delivery=Execution.Delivery.QUEUED, kestra_id=None, next_action_at=retry_at
    )

    services.execution_watch(execution=execution)

    stored = Execution.objects.get(pk=execution.pk)
    assert stored.watched_until > timezone.now()
    assert stored.next_action_at == retry_at
