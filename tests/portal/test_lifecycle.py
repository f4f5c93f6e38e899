"""The execution lifecycle on the model, without Kestra: when to act next, the claim and its
release, watching, what Kestra said, and the hand-off to the workers by task name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from executions import enqueue, tasks
from executions.models import (
    Decision,
    Execution,
    ExecutionLog,
    delivery_backoff,
    next_action_at,
    next_interval,
    state_fingerprint,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def app(data_request_app):  # type: ignore[no-untyped-def]
    return data_request_app


def _row(app, **fields: Any) -> Execution:  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {"delivery": Execution.Delivery.DELIVERED, "kestra_id": None}
    values.update(fields)
    return Execution.objects.create(app=app, **values)


def _reloaded(execution: Execution) -> Execution:
    return Execution.objects.get(pk=execution.pk)


# --- when to act next: the one rule ------------------------------------------------------------


def test_a_final_execution_is_never_due_again():
    assert next_action_at(now=NOW, final=True, interval=5, watched_at=NOW) is None


def test_without_an_interval_or_a_watcher_it_is_due_now():
    assert next_action_at(now=NOW) == NOW


def test_when_the_watched_time_is_the_same_it_is_a_plain_time():
    assert next_action_at(now=NOW, interval=1, watched_at=NOW + SECOND) == NOW + SECOND


@pytest.mark.parametrize(("watched_for", "expected_offset"), [(10, 0), (-10, 30), (None, 30)])
def test_a_watcher_at_the_moment_of_writing_brings_the_time_forward(
    app, watched_for, expected_offset
):
    now = timezone.now()
    watched_until = None if watched_for is None else now + timedelta(seconds=watched_for)
    execution = _row(app, watched_until=watched_until)
    Execution.objects.filter(pk=execution.pk).update(
        next_action_at=next_action_at(now=now, interval=30)
    )
    assert _reloaded(execution).next_action_at == now + timedelta(seconds=expected_offset)


def test_a_watched_execution_gets_the_watched_time_given(app):
    now = timezone.now()
    watched = _row(app, watched_until=now + 10 * SECOND)
    unwatched = _row(app, kestra_id="other")
    value = next_action_at(now=now, interval=30, watched_at=now + 2 * SECOND)
    Execution.objects.filter(pk__in=[watched.pk, unwatched.pk]).update(next_action_at=value)
    assert _reloaded(watched).next_action_at == now + 2 * SECOND
    assert _reloaded(unwatched).next_action_at == now + 30 * SECOND


@pytest.mark.parametrize(
    ("current", "changed", "expected"),
    [
        (0, False, 1.0),  # never checked: the fastest pace
        (-1, False, 1.0),
        (8, True, 1.0),  # a change: back to the fastest pace
        (1, False, 2.0),  # nothing changed: twice as long
        (0.2, False, 1.0),  # never faster than the fastest pace
        (4, False, 8.0),
        (20, False, 30.0),  # up to the bound
        (30, False, 30.0),
    ],
)
def test_the_interval_of_an_unwatched_execution(current, changed, expected):
    assert next_interval(current, changed=changed, fastest=1.0, slowest=30.0) == expected


@pytest.mark.parametrize(
    ("attempt", "expected"), [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0)]
)
def test_the_delivery_backoff_doubles_up_to_its_cap(attempt, expected):
    assert delivery_backoff(attempt, cap=60) == expected


# --- the claim ---------------------------------------------------------------------------------


def test_unleased_means_no_lease_or_one_that_ran_out(app):
    now = timezone.now()
    free = _row(app, kestra_id="free")
    ran_out = _row(app, kestra_id="ran-out", lease_until=now - SECOND)
    _row(app, kestra_id="held", lease_until=now + SECOND)
    _row(app, kestra_id="ends-now", lease_until=now)
    assert set(Execution.objects.unleased(now)) == {free, ran_out}


def test_due_means_due_by_the_horizon(app):
    now = timezone.now()
    due = _row(app, kestra_id="due", next_action_at=now)
    at_horizon = _row(app, kestra_id="at-horizon", next_action_at=now + SECOND)
    _row(app, kestra_id="later", next_action_at=now + 2 * SECOND)
    _row(app, kestra_id="never")
    assert set(Execution.objects.due(now + SECOND)) == {due, at_horizon}


def test_watched_and_unwatched_split_at_now(app):
    now = timezone.now()
    watched = _row(app, kestra_id="watched", watched_until=now + SECOND)
    ran_out = _row(app, kestra_id="ran-out", watched_until=now)
    never = _row(app, kestra_id="never")
    assert list(Execution.objects.watched(now)) == [watched]
    assert set(Execution.objects.unwatched(now)) == {ran_out, never}


def test_a_claim_takes_only_what_nobody_holds(app):
    now = timezone.now()
    until = now + 30 * SECOND
    free = _row(app, kestra_id="free", lease_until=now - SECOND, claim="old")
    held = _row(app, kestra_id="held", lease_until=now + SECOND, claim="theirs")
    assert Execution.objects.all().claim("mine", now=now, until=until) == 1
    free, held = _reloaded(free), _reloaded(held)
    assert (free.claim, free.lease_until) == ("mine", until)
    assert (held.claim, held.lease_until) == ("theirs", now + SECOND)
    assert Execution.objects.all().claim("again", now=now, until=until) == 0


def test_a_claim_is_renewed_only_while_it_is_still_ours(app):
    now = timezone.now()
    later = now + 30 * SECOND
    ours = _row(app, kestra_id="ours", claim="mine", lease_until=now)
    ran_out = _row(app, kestra_id="ran-out", claim="mine", lease_until=now - SECOND)
    theirs = _row(app, kestra_id="theirs", claim="theirs", lease_until=now + SECOND)
    assert Execution.objects.all().renew("mine", now=now, until=later) == 1
    assert _reloaded(ours).lease_until == later
    assert _reloaded(ran_out).lease_until == now - SECOND
    assert _reloaded(theirs).lease_until == now + SECOND


def test_a_held_write_lands_only_while_the_claim_is_ours_and_holds_on(app):
    now = timezone.now()
    later = now + 30 * SECOND
    ours = _row(app, kestra_id="ours", claim="mine", lease_until=now)
    ran_out = _row(app, kestra_id="ran-out", claim="mine", lease_until=now - SECOND)
    theirs = _row(app, kestra_id="theirs", claim="theirs", lease_until=now + SECOND)
    assert Execution.objects.all().write_held("mine", now=now, until=later, error="boom") == 1
    ours, ran_out, theirs = _reloaded(ours), _reloaded(ran_out), _reloaded(theirs)
    assert (ours.error, ours.lease_until) == ("boom", later)
    assert (ran_out.error, ran_out.lease_until) == ("", now - SECOND)
    assert (theirs.error, theirs.lease_until) == ("", now + SECOND)


def test_release_writes_and_lets_go_only_under_our_claim(app):
    now = timezone.now()
    ours = _row(app, kestra_id="ours", claim="mine", lease_until=now + SECOND)
    theirs = _row(app, kestra_id="theirs", claim="theirs", lease_until=now + SECOND)
    assert Execution.objects.all().release("mine", error="boom") == 1
    ours, theirs = _reloaded(ours), _reloaded(theirs)
    assert (ours.claim, ours.lease_until, ours.error) == ("", None, "boom")
    assert (theirs.claim, theirs.lease_until, theirs.error) == ("theirs", now + SECOND, "")


# --- watching and acting -------------------------------------------------------------------------


def test_a_first_watcher_brings_the_next_poll_forward_never_back(app):
    now = timezone.now()
    until = now + 10 * SECOND
    later = _row(app, kestra_id="later", next_action_at=now + 60 * SECOND)
    sooner = _row(app, kestra_id="sooner", next_action_at=now - SECOND)
    never = _row(app, kestra_id="never")
    rows = Execution.objects.filter(pk__in=[later.pk, sooner.pk, never.pk])
    assert rows.mark_watched(now=now, until=until, poll_now=True) == 3
    assert [_reloaded(e).next_action_at for e in (later, sooner, never)] == [
        now,
        now - SECOND,
        None,
    ]
    assert {_reloaded(e).watched_until for e in (later, sooner, never)} == {until}


def test_renewing_a_watch_leaves_the_next_poll_alone(app):
    now = timezone.now()
    execution = _row(app, next_action_at=now + 60 * SECOND, watched_until=now + SECOND)
    rows = Execution.objects.filter(pk=execution.pk)
    rows.mark_watched(now=now, until=now + 10 * SECOND, poll_now=False)
    execution = _reloaded(execution)
    assert execution.next_action_at == now + 60 * SECOND
    assert execution.watched_until == now + 10 * SECOND


def test_an_action_makes_the_next_poll_due_now(app):
    now = timezone.now()
    execution = _row(app, next_action_at=now + 60 * SECOND)
    assert Execution.objects.filter(pk=execution.pk).poll_soon(now) == 1
    assert _reloaded(execution).next_action_at == now


# --- what Kestra said ---------------------------------------------------------------------------


STATE = {
    "current": "PAUSED",
    "histories": [
        {"state": "CREATED", "date": "2026-01-05T11:00:00Z"},
        {"state": "RUNNING", "date": "2026-01-05T11:00:01Z"},
        {"state": "PAUSED", "date": "2026-01-05T11:00:02Z"},
    ],
}
PAUSED_AT = datetime(2026, 1, 5, 11, 0, 2, tzinfo=UTC)


def test_the_fingerprint_is_the_state_and_the_length_of_its_history():
    assert state_fingerprint(STATE) == ("PAUSED", 3)
    assert state_fingerprint({}) == ("", 0)
    assert state_fingerprint({"current": None, "histories": None}) == ("", 0)
    assert Execution(snapshot={"state": STATE}).fingerprint == ("PAUSED", 3)
    assert Execution(snapshot={}).fingerprint == ("", 0)


def test_applying_a_snapshot_keeps_it_and_its_current_state():
    execution = Execution(state="RUNNING")
    execution.apply_snapshot({"id": "k1", "state": STATE})
    assert execution.snapshot == {"id": "k1", "state": STATE} and execution.state == "PAUSED"
    execution.apply_snapshot({"id": "k1"})
    assert execution.state == ""


def test_a_delivered_execution_forgets_its_form_values_and_its_error():
    execution = Execution(payload={"name": "Ada"}, error="503", delivery="QUEUED")
    execution.mark_delivered({"id": "k1", "state": STATE})
    assert (execution.kestra_id, execution.delivery) == ("k1", "DELIVERED")
    assert execution.payload == {} and execution.error == ""
    assert execution.state == "PAUSED" and execution.snapshot["id"] == "k1"


def test_a_new_stage_begins_at_kestras_date():
    execution = Execution(delivery="DELIVERED", stage="RUNNING", stage_since=NOW)
    execution.apply_snapshot({"state": STATE})
    execution.settle_stage(stage_before="RUNNING", now=NOW)
    assert (execution.stage, execution.stage_since) == ("PAUSE", PAUSED_AT)


def test_the_same_stage_keeps_its_start():
    execution = Execution(delivery="DELIVERED", stage="PAUSE", stage_since=NOW)
    execution.apply_snapshot({"state": STATE})
    execution.settle_stage(stage_before="PAUSE", now=NOW + SECOND)
    assert (execution.stage, execution.stage_since) == ("PAUSE", NOW)


def test_a_stage_without_a_start_gets_one():
    execution = Execution(delivery="DELIVERED", stage="PAUSE", stage_since=None)
    execution.apply_snapshot({"state": STATE})
    execution.settle_stage(stage_before="PAUSE", now=NOW)
    assert execution.stage_since == PAUSED_AT


@pytest.mark.parametrize(
    ("delivery", "snapshot"),
    [
        ("FAILED", {"state": STATE}),  # not delivered: Kestra's dates are not this stage's
        ("DELIVERED", {"state": {"current": "RUNNING", "histories": []}}),
        ("DELIVERED", {"state": {"current": "RUNNING", "histories": [{"date": "garbage"}]}}),
    ],
)
def test_a_new_stage_without_kestras_date_begins_now(delivery, snapshot):
    execution = Execution(delivery=delivery, stage="CREATED", stage_since=NOW - SECOND)
    execution.snapshot = snapshot
    execution.state = snapshot["state"]["current"]
    execution.settle_stage(stage_before="CREATED", now=NOW)
    assert execution.stage != "CREATED" and execution.stage_since == NOW


def test_a_discovered_execution_is_due_at_once_and_held_as_asked(app):
    until = NOW + 30 * SECOND
    execution = Execution.discovered(
        app, {"id": "k9", "state": STATE}, now=NOW, claim="mine", until=until
    )
    assert (execution.kestra_id, execution.delivery, execution.origin) == (
        "k9",
        "DELIVERED",
        "DISCOVERED",
    )
    assert (execution.state, execution.stage, execution.stage_since) == (
        "PAUSED",
        "PAUSE",
        PAUSED_AT,
    )
    assert (execution.next_action_at, execution.claim, execution.lease_until) == (
        NOW,
        "mine",
        until,
    )
    bare = Execution.discovered(app, {"id": "k10"}, now=NOW)
    assert (bare.stage_since, bare.claim, bare.lease_until, bare.state) == (NOW, "", None, "")


@pytest.mark.parametrize(
    ("stage", "next_at", "final", "settled"),
    [
        ("SUCCESS", None, True, True),
        ("SUCCESS", NOW, True, False),
        ("RUNNING", None, False, False),
    ],
)
def test_settled_means_a_final_stage_and_nothing_more_to_read(stage, next_at, final, settled):
    execution = Execution(stage=stage, next_action_at=next_at)
    assert (execution.is_final, execution.is_settled) == (final, settled)


@pytest.mark.parametrize(
    ("stage", "kestra_id", "resume_form", "awaits"),
    [
        ("PAUSE", "k1", {"inputs": []}, True),
        ("PAUSE", "k1", {}, False),
        ("PAUSE", None, {"inputs": []}, False),
        ("RESUME", "k1", {"inputs": []}, False),
    ],
)
def test_a_decision_waits_for_the_resume_form(stage, kestra_id, resume_form, awaits):
    execution = Execution(stage=stage, kestra_id=kestra_id, resume_form=resume_form)
    assert execution.awaits_decision is awaits


@pytest.mark.parametrize(
    ("stage", "state", "kestra_id", "cancellable"),
    [
        ("RUNNING", "RUNNING", "k1", True),
        ("PAUSE", "PAUSED", "k1", True),
        ("RUNNING", "KILLING", "k1", False),
        ("SUCCESS", "SUCCESS", "k1", False),
        ("CREATED", "", None, False),
    ],
)
def test_what_can_be_cancelled(stage, state, kestra_id, cancellable):
    execution = Execution(stage=stage, state=state, kestra_id=kestra_id)
    assert execution.is_cancellable is cancellable


# --- the hand-off to the workers ------------------------------------------------------------------


def test_the_task_names_are_the_tasks():
    assert tasks.deliver.name == enqueue.DELIVER
    assert tasks.poll.name == enqueue.POLL


def test_work_is_sent_by_name_once_the_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[tuple[str, tuple[int, ...]]] = []
    monkeypatch.setattr(
        enqueue.current_app, "send_task", lambda name, args: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        enqueue.on_commit(enqueue.POLL, 7)
        assert sent == []
    assert sent == [(enqueue.POLL, (7,))]


# --- how the admin names the records ---------------------------------------------------------


def test_a_decision_names_who_made_it():
    resumed = Decision(action=Decision.Action.RESUME, username="mona", session="9f2c")
    cancelled = Decision(action=Decision.Action.CANCEL, session="9f2c")
    assert str(resumed) == "Resumed (approved) by mona"
    assert str(cancelled) == "Cancelled (rejected) by anonymous 9f2c"


def test_a_log_line_shows_its_level_task_and_the_start_of_its_message():
    line = ExecutionLog(level="WARN", task_id="extract", message="x" * 80 + "cut")
    assert str(line) == f"WARN extract: {'x' * 80}"
