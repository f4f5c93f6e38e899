"""What the follower writes (executions.following): a change Kestra's streams pushed goes
through the poll's own code without reading state or logs again, the follower keeps its
hold while the execution runs, and the end is read in full and let go, as a final poll.
Kestra is the emulator over HTTP; the streams themselves: tests/integration/test_following.py."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from executions import services
from executions.models import Execution

pytestmark = pytest.mark.django_db

CLAIM = "follower-claim"


def _delivered(app) -> Execution:
    execution = services.execution_submit(
        app=app, values={"dataset": "stores"}, shown={"dataset": "stores"}
    )
    services.execution_deliver(execution_id=execution.pk)
    return Execution.objects.get(pk=execution.pk)


def _in_kestra(kestra: str, execution: Execution, path: str) -> object:
    url = f"{kestra}/api/v1/main/{path.format(id=execution.kestra_id)}"
    return requests.get(url, timeout=5).json()


def _held_by_the_follower(execution: Execution) -> None:
    now = timezone.now()
    Execution.objects.filter(pk=execution.pk).update(lease_until=None, claim="")
    Execution.objects.filter(pk=execution.pk).claim(
        CLAIM, now=now, until=now + timedelta(seconds=30)
    )


def _until(kestra: str, execution: Execution, state: str) -> dict:
    """The execution as Kestra has it once it is in `state`."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = _in_kestra(kestra, execution, "executions/{id}")
        assert isinstance(body, dict)
        if body["state"]["current"] == state:
            return body
        time.sleep(0.05)
    raise AssertionError(f"the execution never reached {state} in Kestra")


def test_a_pushed_change_is_written_without_reading_it_and_the_hold_is_kept(
    kestra, data_request_app, kestra_calls
):
    execution = _delivered(data_request_app)
    _held_by_the_follower(execution)
    snapshot = _until(kestra, execution, "RUNNING")
    logs = _in_kestra(kestra, execution, "logs/{id}")
    assert isinstance(logs, list)
    kestra_calls.clear()

    outcome = services.execution_poll(
        execution_id=execution.pk, claim=CLAIM, pushed=services.Pushed(snapshot, logs)
    )

    assert outcome == "polled"
    row = Execution.objects.get(pk=execution.pk)
    assert row.state == snapshot["state"]["current"] and row.stage == "RUNNING"
    assert [line.message for line in row.logs.order_by("position")] == [
        entry["message"] for entry in logs
    ]
    read = {call for call in kestra_calls if call.startswith("GET /executions/")}
    assert f"GET /executions/{execution.kestra_id}" not in read, "the state was not read"
    assert f"GET /logs/{execution.kestra_id}" not in kestra_calls, "nor the logs"
    assert row.claim == CLAIM and row.lease_until > timezone.now(), "the follower holds on"


def test_the_end_is_read_in_full_and_let_go_even_when_the_logs_stream_lags(
    kestra, data_request_app
):
    execution = _delivered(data_request_app)
    _held_by_the_follower(execution)
    final = _until(kestra, execution, "SUCCESS")

    # The end event came before the logs stream sent a single line.
    outcome = services.execution_poll(
        execution_id=execution.pk, claim=CLAIM, pushed=services.Pushed(final, [])
    )

    assert outcome == "final"
    row = Execution.objects.get(pk=execution.pk)
    assert row.stage == "SUCCESS" and row.next_action_at is None
    logs = _in_kestra(kestra, execution, "logs/{id}")
    assert isinstance(logs, list) and logs
    assert [line.message for line in row.logs.order_by("position")] == [
        entry["message"] for entry in logs
    ]
    assert row.outputs, "the flow's outputs were read"
    assert row.claim == "" and row.lease_until is None, "let go: nothing more to do"


def test_a_follower_that_lost_its_hold_writes_nothing(kestra, data_request_app):
    execution = _delivered(data_request_app)
    Execution.objects.filter(pk=execution.pk).update(lease_until=None, claim="")
    snapshot = _in_kestra(kestra, execution, "executions/{id}")
    assert isinstance(snapshot, dict)
    before = Execution.objects.get(pk=execution.pk)

    outcome = services.execution_poll(
        execution_id=execution.pk, claim=CLAIM, pushed=services.Pushed(snapshot, [])
    )

    assert outcome == "held"
    after = Execution.objects.get(pk=execution.pk)
    assert (after.snapshot, after.claim, after.updated) == (before.snapshot, "", before.updated)
