"""A delivery retry can adopt an execution that has already ended: its logs and outputs are
still read in full before it counts as final, even when that first poll fails."""

import time

import pytest
import requests
from django.utils import timezone

from executions import services
from executions.models import Execution

pytestmark = pytest.mark.django_db


def test_an_ended_execution_adopted_from_a_search_is_still_polled_in_full(kestra, data_request_app):
    created = requests.post(
        f"{kestra}/api/v1/main/executions/demo/data_request",
        files={"dataset": (None, "stores"), "rows": (None, "2")},
        timeout=5,
    ).json()
    deadline = time.monotonic() + 15
    while True:
        found = requests.get(f"{kestra}/api/v1/main/executions/{created['id']}", timeout=5).json()
        if found["state"]["current"] == "SUCCESS":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id=created["id"],
        delivery="DELIVERED",
        state="SUCCESS",
        snapshot={"id": created["id"], "state": found["state"]},
        next_action_at=timezone.now(),
    )
    requests.post(f"{kestra}/_emulator/faults", json={"fail_rate": 1.0}, timeout=5)
    try:
        services.execution_poll(execution_id=execution.pk)
    finally:
        requests.post(f"{kestra}/_emulator/faults", json={"fail_rate": 0.0}, timeout=5)
    execution.refresh_from_db()
    assert execution.next_action_at is not None, "a failed poll is tried again"

    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.next_action_at is None and execution.stage == "SUCCESS"
    assert execution.logs.filter(message__startswith="Preparing 2 rows").exists()
    assert execution.outputs["row_count"] == 2
