"""What a person does to a running execution: resume it (approve) or cancel it (reject).

Each call goes to Kestra straight away; the worker's next poll, brought forward, shows the
result. The decision is stored on the execution so the page shows it at once.
"""

from __future__ import annotations

from django.utils import timezone

from executions.kestra import get_client
from executions.kestra.client import FileField
from executions.models import Execution


def _poll_soon(execution: Execution) -> None:
    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())


def execution_cancel(*, execution: Execution) -> None:
    """Ask Kestra to kill the execution (KILLING, then KILLED)."""
    if execution.kestra_id is None or execution.is_final:
        return
    get_client().kill(execution.kestra_id)
    _poll_soon(execution)


def execution_resume(
    *, execution: Execution, values: dict[str, str], files: dict[str, FileField] | None = None
) -> None:
    """Resume the paused execution with the onResume values; the page moves to RESUME."""
    assert execution.kestra_id is not None
    get_client().resume(execution.kestra_id, values, files)
    execution.state = "RESTARTED"
    execution.resume_form = {}
    execution.refresh_stage()
    execution.save(update_fields=["state", "resume_form", "stage", "updated"])
    _poll_soon(execution)
