"""Tracking services called directly (no worker): claims, delivery exactly once, batching,
watchers, discovery, and the operators' summary. Kestra is the emulator over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from apps_catalog.services import app_save_source
from executions import services, tracking
from executions.models import Execution
from executions.presenters import failure_text
from tests import kestra_http
from tests.conftest import EXAMPLES, import_example

pytestmark = pytest.mark.django_db

VACATION = {
    "request.name": "Ada",
    "request.start_date": "2027-01-04",
    "request.end_date": "2027-01-08",
}


@pytest.fixture
def faults(kestra: str) -> Iterator[str]:
    yield f"{kestra}/_emulator/faults"
    requests.post(
        f"{kestra}/_emulator/faults",
        json={"fail_rate": 0, "fail_after_create_rate": 0, "unreachable": False, "latency_ms": 0},
        timeout=5,
    )


def _submit(app, **values: str) -> Execution:
    return services.execution_submit(app=app, values=values, shown=values)


def _make_due(*executions: Execution) -> None:
    Execution.objects.filter(pk__in=[e.pk for e in executions]).update(
        next_action_at=timezone.now(), lease_until=None, claim=""
    )


def _in_kestra(kestra: str, label: str) -> list[dict]:
    response = requests.get(
        f"{kestra}/api/v1/main/executions/search",
        params={"filters[labels][EQUALS][portal.submission]": label, "size": "100"},
        timeout=5,
    )
    return response.json()["results"]


def _wait_in_kestra(kestra: str, kestra_id: str, state: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = requests.get(f"{kestra}/api/v1/main/executions/{kestra_id}", timeout=5).json()
        if body["state"]["current"] == state:
            return
        time.sleep(0.05)
    raise AssertionError(f"{kestra_id} never reached {state}")


def _delivered_and_paused(kestra: str, app, count: int) -> list[Execution]:
    executions = [_submit(app, **VACATION) for _ in range(count)]
    for execution in executions:
        services.execution_deliver(execution_id=execution.pk)
    executions = [Execution.objects.get(pk=e.pk) for e in executions]
    for execution in executions:
        _wait_in_kestra(kestra, execution.kestra_id, "PAUSED")
        _make_due(execution)
        services.execution_poll(execution_id=execution.pk)
    return [Execution.objects.get(pk=e.pk) for e in executions]


def test_the_hand_out_gives_a_due_submission_once(kestra, data_request_app):
    execution = _submit(data_request_app, dataset="stores")
    first = tracking.executions_claim_due()
    assert first.deliveries == [execution.pk] and not first.polls and not first.flows
    assert tracking.executions_claim_due().deliveries == []  # held by the first claim
    # The task delivers under the hand-out's claim; an older claim would do nothing.
    assert services.execution_deliver(execution_id=execution.pk, claim="someone-else") is None
    assert services.execution_deliver(execution_id=execution.pk, claim=first.claim) is not None
    execution.refresh_from_db()
    assert execution.delivery == "DELIVERED" and execution.claim == "" and execution.kestra_id


def test_a_creation_that_failed_after_creating_is_found_by_its_label(
    kestra, faults, data_request_app
):
    execution = _submit(data_request_app, dataset="stores")
    requests.post(faults, json={"fail_after_create_rate": 1.0}, timeout=5)
    assert services.execution_deliver(execution_id=execution.pk) is None
    execution.refresh_from_db()
    assert (execution.delivery, execution.stage, execution.attempts) == ("QUEUED", "CREATED", 1)
    assert execution.next_action_at > timezone.now()  # backoff
    assert len(_in_kestra(kestra, execution.token)) == 1

    requests.post(faults, json={"fail_after_create_rate": 0.0}, timeout=5)
    _make_due(execution)
    assert services.execution_deliver(execution_id=execution.pk) is not None
    execution.refresh_from_db()
    found = _in_kestra(kestra, execution.token)
    assert [e["id"] for e in found] == [execution.kestra_id]
    assert execution.attempts == 2


def test_delivery_gives_up_after_the_last_attempt(kestra, faults, settings, data_request_app):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    execution = _submit(data_request_app, dataset="stores")
    requests.post(faults, json={"fail_rate": 1.0}, timeout=5)
    services.execution_deliver(execution_id=execution.pk)
    _make_due(execution)
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    assert (execution.delivery, execution.stage) == ("FAILED", "ERROR")
    assert execution.next_action_at is None and "after 2 attempts" in failure_text(execution)


def test_one_search_checks_every_unwatched_execution_of_a_flow(kestra, kestra_calls):
    app = import_example("vacation_approval")
    executions = _delivered_and_paused(kestra, app, 3)
    assert {e.stage for e in executions} == {"PAUSE"}
    assert all(e.resume_form for e in executions)
    _make_due(executions[0])  # one due is enough to check them all

    kestra_calls.clear()
    claimed = tracking.executions_claim_due()
    assert claimed.flows == [("demo", "vacation_request")] and not claimed.polls
    changed = tracking.executions_check_flow(
        namespace="demo", flow_id="vacation_request", claim=claimed.claim
    )
    assert changed == []
    assert sum(kestra_calls.values()) == 1 and kestra_calls["GET /executions/search"] == 1
    first = Execution.objects.get(pk=executions[0].pk)
    assert first.claim == "" and first.lease_until is None
    assert first.poll_interval == 2.0  # nothing changed: twice as long before the next check

    # Approved in Kestra: the next check sees it and hands that one over for a full poll.
    kestra_http.resume(kestra, first.kestra_id or "", {"approved": "true", "comment": "ok"})
    _make_due(*executions)
    claimed = tracking.executions_claim_due()
    changed = tracking.executions_check_flow(
        namespace="demo", flow_id="vacation_request", claim=claimed.claim
    )
    assert changed == [first.pk]
    assert Execution.objects.get(pk=first.pk).claim == claimed.claim  # still held for the poll
    services.execution_poll(execution_id=first.pk, claim=claimed.claim)
    first.refresh_from_db()
    assert first.stage in {"RESUME", "SUCCESS"} and first.poll_interval == 1.0


def test_a_flow_check_skips_an_execution_that_ended_after_the_claim(kestra):
    app = import_example("vacation_approval")
    ended, paused = _delivered_and_paused(kestra, app, 2)
    _make_due(ended, paused)
    claimed = tracking.executions_claim_due()
    assert claimed.flows == [("demo", "vacation_request")]
    # Meanwhile something else saw it end: it has no next action, but is still held.
    Execution.objects.filter(pk=ended.pk).update(next_action_at=None)

    changed = tracking.executions_check_flow(
        namespace="demo", flow_id="vacation_request", claim=claimed.claim
    )

    assert changed == []
    assert Execution.objects.get(pk=ended.pk).next_action_at is None  # not brought back
    assert Execution.objects.get(pk=paused.pk).poll_interval == 2.0  # checked as usual


def test_a_watched_execution_is_polled_by_itself_every_second(kestra, settings):
    app = import_example("vacation_approval")
    (execution,) = _delivered_and_paused(kestra, app, 1)
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now() + timedelta(60))
    execution.refresh_from_db()

    services.execution_watch(execution=execution)
    execution.refresh_from_db()
    assert execution.watched_until > timezone.now()
    assert execution.next_action_at <= timezone.now()  # brought forward
    claimed = tracking.executions_claim_due()
    assert claimed.polls == [execution.pk] and not claimed.flows

    before = timezone.now()
    services.execution_poll(execution_id=execution.pk, claim=claimed.claim)
    execution.refresh_from_db()
    assert execution.last_polled_at >= before
    second = timedelta(seconds=settings.EXECUTION_POLL_SECONDS)
    assert execution.next_action_at <= execution.last_polled_at + second


def test_watching_writes_only_every_few_seconds(
    kestra, data_request_app, django_assert_num_queries
):
    execution = _submit(data_request_app, dataset="stores")
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    services.execution_watch(execution=execution)
    execution.refresh_from_db()
    with django_assert_num_queries(0):
        services.execution_watch(execution=execution)
    execution.watched_until = timezone.now() + timedelta(seconds=2)  # about to run out
    with django_assert_num_queries(1):
        services.execution_watch(execution=execution)


def test_a_worker_that_lost_its_claim_writes_nothing_back(kestra, data_request_app):
    execution = _submit(data_request_app, dataset="stores")
    services.execution_deliver(execution_id=execution.pk)
    claimed = tracking.executions_claim_due()
    _make_due(execution)
    taken = tracking.executions_claim_due()  # the first claim ran out; another took it
    assert taken.claim != claimed.claim
    services.execution_poll(execution_id=execution.pk, claim=claimed.claim)
    execution.refresh_from_db()
    assert execution.claim == taken.claim and execution.last_polled_at is None


def test_polling_stops_at_a_final_state(kestra, data_request_app):
    execution = _submit(data_request_app, dataset="stores", rows="3")
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    _wait_in_kestra(kestra, execution.kestra_id, "SUCCESS")
    _make_due(execution)
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.stage == "SUCCESS" and execution.next_action_at is None
    assert execution.outputs.get("row_count") == 3
    assert execution.logs.exists()
    claimed = tracking.executions_claim_due()
    assert not claimed.polls and not claimed.flows


def test_paused_executions_started_in_kestra_are_discovered_once(kestra):
    requests.post(f"{kestra}/_emulator/reset", timeout=5)  # paused ones of earlier tests
    app = import_example("vacation_approval")
    response = requests.post(
        f"{kestra}/api/v1/main/executions/demo/vacation_request",
        files={key: (None, value) for key, value in VACATION.items()},
        timeout=5,
    )
    kestra_id = response.json()["id"]
    _wait_in_kestra(kestra, kestra_id, "PAUSED")

    claim, found = tracking.executions_discover()
    (execution,) = Execution.objects.filter(kestra_id=kestra_id)
    assert found == [execution.pk] and execution.claim == claim
    assert (execution.origin, execution.delivery, execution.stage) == (
        "DISCOVERED",
        "DELIVERED",
        "PAUSE",
    )
    assert execution.submitted_by is None and execution.app == app
    services.execution_poll(execution_id=execution.pk, claim=claim)
    execution.refresh_from_db()
    assert execution.resume_form and execution.task_outputs

    assert tracking.executions_discover()[1] == []
    assert Execution.objects.filter(kestra_id=kestra_id).count() == 1


def test_apps_without_an_approval_screen_discover_nothing(kestra, data_request_app):
    app_save_source(
        source="""
id: vacation_no_pause
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation (no approval screen)
namespace: demo
flowId: vacation_request
"""
    )
    requests.post(
        f"{kestra}/api/v1/main/executions/demo/vacation_request",
        files={key: (None, value) for key, value in VACATION.items()},
        timeout=5,
    )
    assert tracking.executions_discover()[1] == []


def test_a_public_app_is_never_handed_an_execution_started_in_kestra(kestra):
    requests.post(f"{kestra}/_emulator/reset", timeout=5)
    public, _ = app_save_source(
        source=(EXAMPLES / "apps" / "vacation_approval.yml")
        .read_text()
        .replace("id: vacation_approval", "id: vacation_open")
        .replace("type: PRIVATE", "type: PUBLIC")
    )
    assert public.access == "PUBLIC"
    response = requests.post(
        f"{kestra}/api/v1/main/executions/demo/vacation_request",
        files={key: (None, value) for key, value in VACATION.items()},
        timeout=5,
    )
    kestra_id = response.json()["id"]
    _wait_in_kestra(kestra, kestra_id, "PAUSED")
    assert tracking.executions_discover()[1] == []
    # A private app on the same flow, newer than the public one, tracks it.
    private = import_example("vacation_approval")
    tracking.executions_discover()
    assert Execution.objects.get(kestra_id=kestra_id).app == private


def test_tracking_status_prints_the_queue(kestra, faults, data_request_app, capsys):
    queued = _submit(data_request_app, dataset="stores")
    requests.post(faults, json={"fail_rate": 1.0}, timeout=5)
    services.execution_deliver(execution_id=queued.pk)
    Execution.objects.filter(pk=queued.pk).update(
        next_action_at=timezone.now() - timedelta(minutes=5)
    )
    call_command("tracking_status")
    out = capsys.readouterr().out
    assert "Executions by stage:    CREATED 1" in out
    assert "Executions by delivery: QUEUED 1" in out
    assert f"Oldest queued: {queued.token}" in out
    assert "Overdue (> 10 s, held by nobody): 1" in out
    assert "Last error:" in out and "503" in out


def test_a_poll_that_fails_half_way_keeps_nothing_and_polls_again(
    kestra, data_request_app, monkeypatch
):
    from executions.kestra import KestraClient, KestraUnavailable

    execution = _submit(data_request_app, dataset="stores", rows="3")
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    _wait_in_kestra(kestra, execution.kestra_id, "SUCCESS")
    real_logs = KestraClient.logs

    def failing_logs(self, execution_id, min_level=None):  # type: ignore[no-untyped-def]
        raise KestraUnavailable("Kestra answered 503")

    monkeypatch.setattr(KestraClient, "logs", failing_logs)
    _make_due(execution)
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    # The state was read (SUCCESS) but not the logs: nothing of it is kept, it stays tracked.
    assert execution.stage == "CREATED" and execution.next_action_at is not None
    assert execution.poll_errors == 1 and "503" in execution.error

    monkeypatch.setattr(KestraClient, "logs", real_logs)
    _make_due(execution)
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.stage == "SUCCESS" and execution.logs.exists() and execution.outputs
    assert execution.next_action_at is None and execution.poll_errors == 0
