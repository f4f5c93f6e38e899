"""Celery tasks: thin, idempotent wrappers over the services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from executions import services
from executions.models import Execution

TASK_OPTIONS = {"acks_late": True, "soft_time_limit": 60, "time_limit": 90}


def _schedule(execution_id: int, step: services.Next | None) -> None:
    if step is None:
        return
    task = deliver if step.action == "deliver" else poll
    task.apply_async((execution_id,), countdown=step.delay)


@shared_task(**TASK_OPTIONS)
def deliver(execution_id: int) -> None:
    _schedule(execution_id, services.execution_deliver(execution_id=execution_id))


@shared_task(**TASK_OPTIONS)
def poll(execution_id: int) -> None:
    _schedule(execution_id, services.execution_poll(execution_id=execution_id))


@shared_task(**TASK_OPTIONS)
def sweep() -> None:
    """Pick up what a dead worker dropped: anything overdue gets its task again."""
    grace = max(5.0, settings.EXECUTION_POLL_SECONDS * 5)
    for execution_id, delivery in services.overdue_executions(grace_seconds=grace):
        task = deliver if delivery == Execution.Delivery.QUEUED else poll
        task.delay(execution_id)
