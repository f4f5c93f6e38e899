"""A state saved as the worker saves what it learnt from Kestra (leases.hold, then
apply_snapshot and leases.write_back): for the live channel's tests and `make bench`,
which need to know the moment a change is saved. Needs Django set up."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from executions import leases, stages
from executions.models import Execution


def save_state(execution_id: int, state: str) -> float:
    """Save `state` (final when Kestra's state is terminal) through the worker's lifecycle
    code; the time.time() at which it committed."""
    clock = leases.hold(execution_id, "", delivery=Execution.Delivery.DELIVERED)
    assert clock is not None, "the execution is held by someone else"
    execution = Execution.objects.select_related("app").get(pk=execution_id)
    stage_before, shown_before = execution.stage, execution.shown_version
    histories = list(execution.snapshot.get("state", {}).get("histories") or [])
    histories.append({"state": state, "date": timezone.now().isoformat()})
    snapshot = {**execution.snapshot, "id": execution.kestra_id}
    snapshot["state"] = {"current": state, "histories": histories}
    execution.apply_snapshot(snapshot)
    with transaction.atomic():
        written = leases.write_back(
            execution,
            clock,
            stage_before=stage_before,
            fields=["snapshot", "state"],
            final=state in stages.TERMINAL_STATES,
            shown_before=shown_before,
        )
    assert written
    return time.time()
