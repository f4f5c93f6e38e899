"""Task outputs from Kestra 2.x, which serves them one task run per request: a poll (or a
pushed change) asks only for those of the runs that changed since the last read, never
again for a run that had ended then, except a pause's whose SECRET answers the masking
needs. The emulator over HTTP in the 2.0 dialect."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from apps_catalog.services import app_save_source
from executions import services
from executions.adoption import execution_adopt
from executions.models import Execution
from tests import kestra_http
from tests.portal.test_secrets_at_rest import stored_anywhere
from tests.tracking import wait_until

pytestmark = pytest.mark.django_db

PASSPHRASE = kestra_http.PASSPHRASE


def _poll(execution: Execution) -> None:
    """A poll of the execution, due now (as the hand-out or the follower would make it)."""
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    assert services.execution_poll(execution_id=execution.pk) in {"polled", "final"}
    execution.refresh_from_db()


def _tracked_at_pause(kestra: str) -> Execution:
    app, _ = app_save_source(source=kestra_http.app_on("relay"))
    kestra_id = kestra_http.start_paused(kestra, "test", "relay", {})
    execution = execution_adopt(app=app, kestra_id=kestra_id)
    assert execution is not None
    _poll(execution)  # reads `first`'s outputs
    assert execution.task_outputs == {"first": {"value": "one"}}
    return execution


def _task_state(kestra: str, execution: Execution, task_id: str) -> str:
    runs = kestra_http.execution(kestra, execution.kestra_id or "")["taskRunList"]
    return next((r["state"]["current"] for r in runs if r["taskId"] == task_id), "")


def test_a_poll_asks_only_for_the_outputs_of_task_runs_that_changed(
    own_kestra, kestra_calls: Counter[str]
) -> None:
    execution = _tracked_at_pause(own_kestra)
    kestra_http.resume(own_kestra, execution.kestra_id or "", {"passphrase": PASSPHRASE})
    assert kestra_http.wait_for(own_kestra, execution.kestra_id or "", {"SUCCESS"}) == "SUCCESS"
    kestra_calls.clear()

    _poll(execution)

    # The list of the runs with outputs, then wait's, second's and echo's, not first's again.
    runs = {run["taskId"]: run["id"] for run in execution.snapshot["taskRunList"]}
    outputs_of = f"GET /outputs/tasks/{execution.kestra_id}"
    read = {call for call in kestra_calls if call.startswith(outputs_of)}
    assert read == {outputs_of} | {f"{outputs_of}/{runs[t]}" for t in ("wait", "second", "echo")}
    outputs = execution.task_outputs
    assert set(outputs) == {"first", "wait", "second", "echo"}
    assert (outputs["first"], outputs["second"]) == ({"value": "one"}, {"value": "two"})
    assert outputs["wait"]["onResume"] == {"passphrase": "******"}
    assert outputs["echo"] == {"value": "said ******"}


def test_a_secret_answer_is_masked_where_a_task_echoes_it_after_the_pause_ended(
    own_kestra,
) -> None:
    execution = _tracked_at_pause(own_kestra)
    kestra_http.resume(own_kestra, execution.kestra_id or "", {"passphrase": PASSPHRASE})
    wait_until(lambda: _task_state(own_kestra, execution, "work") == "RUNNING", 10, "work runs")
    _poll(execution)  # the pause has ended; echo has not run yet
    assert execution.task_outputs["wait"]["onResume"] == {"passphrase": "******"}
    assert "echo" not in execution.task_outputs
    assert kestra_http.wait_for(own_kestra, execution.kestra_id or "", {"SUCCESS"}) == "SUCCESS"

    _poll(execution)

    assert execution.task_outputs["echo"] == {"value": "said ******"}
    assert PASSPHRASE not in stored_anywhere(execution)
