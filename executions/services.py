"""Writes on executions: submit, deliver to Kestra, poll, cancel.

Delivery and polling run in Celery workers; each claims its execution with a conditional
UPDATE first, so two workers never act on the same execution at the same moment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps_catalog.models import App
from executions import stages, uploads
from executions.kestra import KestraClient, KestraRejected, KestraUnavailable, get_client
from executions.models import Execution, ExecutionLog

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60
SUBMISSION_LABEL = "portal.submission"
APP_LABEL = "portal.app"


class Next(NamedTuple):
    """What a worker should do next with an execution, and in how many seconds."""

    action: str  # "deliver" or "poll"
    delay: float


def _backoff(attempt: int) -> float:
    return float(min(60, 2 ** max(0, attempt - 1)))


def _claim(execution_id: int, *, delivery: str) -> Execution | None:
    """Take the execution for this worker if it is due and nobody else holds it."""
    now = timezone.now()
    claimed = (
        Execution.objects.filter(pk=execution_id, delivery=delivery, next_action_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS))
    )
    return Execution.objects.select_related("app").get(pk=execution_id) if claimed else None


def _release(execution: Execution, *, next_action_at: datetime | None, fields: list[str]) -> None:
    execution.lease_until = None
    execution.next_action_at = next_action_at
    execution.refresh_stage()
    execution.save(update_fields=[*fields, "lease_until", "next_action_at", "stage", "updated"])


@transaction.atomic
def execution_submit(
    *,
    app: App,
    values: dict[str, str],
    shown: dict[str, str],
    files: Mapping[str, UploadedFile] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    session_key: str = "",
) -> Execution:
    """Store a submission, then hand it to a worker for delivery once the transaction commits."""
    from executions.tasks import deliver

    execution = Execution.objects.create(
        app=app,
        inputs=shown,
        payload=values,
        submitted_by=user if user is not None and user.is_authenticated else None,
        session_key=session_key,
        next_action_at=timezone.now(),
    )
    uploads.store(execution, files or {})
    deliver.delay_on_commit(execution.pk)
    return execution


def _adopt(execution: Execution, kestra_execution: dict[str, Any]) -> None:
    execution.kestra_id = kestra_execution["id"]
    execution.delivery = Execution.Delivery.DELIVERED
    execution.payload = {}
    execution.error = ""
    _apply_snapshot(execution, kestra_execution)


def _apply_snapshot(execution: Execution, kestra_execution: dict[str, Any]) -> None:
    execution.snapshot = kestra_execution
    execution.state = kestra_execution.get("state", {}).get("current", "")


def _find_earlier_delivery(client: KestraClient, execution: Execution) -> dict[str, Any] | None:
    found = client.find_executions(
        execution.app.namespace, execution.app.flow_id, {SUBMISSION_LABEL: execution.token}
    )
    return found[0] if found else None


def execution_deliver(*, execution_id: int) -> Next | None:
    """Create the Kestra execution of a stored submission, exactly once.

    An attempt is counted before Kestra is called,
    so a retry after a timeout looks for the earlier attempt's execution by its label first.
    """
    execution = _claim(execution_id, delivery=Execution.Delivery.QUEUED)
    if execution is None:
        return None
    execution.attempts += 1
    execution.save(update_fields=["attempts"])
    client = get_client()
    definition = execution.app.parsed
    fields = ["kestra_id", "delivery", "payload", "error", "snapshot", "state", "attempts"]
    try:
        earlier = _find_earlier_delivery(client, execution) if execution.attempts > 1 else None
        with uploads.opened(execution) as files:
            created = earlier or client.create_execution(
                definition.namespace,
                definition.flow_id,
                execution.payload,
                files=files,
                labels={SUBMISSION_LABEL: execution.token, APP_LABEL: definition.id},
                revision=definition.flow_revision,
            )
    except KestraUnavailable as exc:
        if execution.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
            execution.delivery = Execution.Delivery.FAILED
            execution.error = f"Kestra could not be reached after {execution.attempts} attempts."
            _release(execution, next_action_at=None, fields=fields)
            return None
        execution.error = str(exc)
        delay = _backoff(execution.attempts)
        _release(execution, next_action_at=timezone.now() + timedelta(seconds=delay), fields=fields)
        return Next("deliver", delay)
    except KestraRejected as exc:
        execution.delivery = Execution.Delivery.FAILED
        execution.error = f"Kestra rejected the submission: {exc.message}"
        _release(execution, next_action_at=None, fields=fields)
        return None
    _adopt(execution, created)
    uploads.discard(execution)
    _release(execution, next_action_at=timezone.now(), fields=fields)
    return Next("poll", 0.0)


def _store_new_logs(execution: Execution, entries: list[dict[str, Any]]) -> None:
    known = execution.logs.count()
    ExecutionLog.objects.bulk_create(
        [
            ExecutionLog(
                execution=execution,
                position=position,
                timestamp=parse_datetime(entry.get("timestamp") or ""),
                level=str(entry.get("level") or "INFO"),
                task_id=str(entry.get("taskId") or ""),
                message=str(entry.get("message") or ""),
            )
            for position, entry in enumerate(entries)
            if position >= known
        ],
        ignore_conflicts=True,
    )


def _task_runs(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (run.get("id", ""), run.get("state", {}).get("current", ""))
        for run in snapshot.get("taskRunList") or []
    ]


def _refresh_from_kestra(client: KestraClient, execution: Execution) -> None:
    """State and logs on every poll; task outputs when a task run changed; the resume form
    when the execution pauses; flow outputs at the end."""
    kestra_id = execution.kestra_id or ""
    before = _task_runs(execution.snapshot)
    was_paused = execution.state == "PAUSED"
    _apply_snapshot(execution, client.execution(kestra_id))
    _store_new_logs(execution, client.logs(kestra_id))
    if _task_runs(execution.snapshot) != before:
        execution.task_outputs = client.task_outputs(execution.snapshot)
    if execution.state == "PAUSED" and not was_paused:
        execution.resume_form = client.validate_resume(kestra_id, {})
    elif execution.state != "PAUSED":
        execution.resume_form = {}
    if execution.state in stages.TERMINAL_STATES:
        execution.outputs = client.execution_outputs(execution.snapshot)


def execution_poll(*, execution_id: int) -> Next | None:
    """Refresh state, logs and (when final) outputs from Kestra; None once it is final."""
    execution = _claim(execution_id, delivery=Execution.Delivery.DELIVERED)
    if execution is None:
        return None
    client = get_client()
    fields = [
        "snapshot",
        "state",
        "outputs",
        "task_outputs",
        "resume_form",
        "error",
        "last_polled_at",
    ]
    try:
        _refresh_from_kestra(client, execution)
    except (KestraUnavailable, KestraRejected) as exc:
        # A 404 right after creation is normal on an eventually consistent 2.x server.
        execution.error = str(exc)
        delay = _backoff(3)
        _release(
            execution, next_action_at=timezone.now() + timedelta(seconds=delay), fields=["error"]
        )
        return Next("poll", delay)
    execution.error = ""
    execution.last_polled_at = timezone.now()
    execution.refresh_stage()
    if execution.state in stages.TERMINAL_STATES:
        _release(execution, next_action_at=None, fields=fields)
        return None
    delay = settings.EXECUTION_POLL_SECONDS
    _release(execution, next_action_at=timezone.now() + timedelta(seconds=delay), fields=fields)
    return Next("poll", delay)


def overdue_executions(*, grace_seconds: float) -> list[tuple[int, str]]:
    """(id, delivery) of executions whose worker should have acted by now: dropped work."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    now = timezone.now()
    rows = (
        Execution.objects.filter(
            delivery__in=[Execution.Delivery.QUEUED, Execution.Delivery.DELIVERED],
            next_action_at__lt=cutoff,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", "delivery")
    )
    return list(rows)
