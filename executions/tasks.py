"""Celery tasks: thin, idempotent wrappers over the services.

Work on an execution is claimed in the database (a lease and a claim token) before anything
is done, so a task that runs twice, late, or after its worker died does nothing harmful: it
finds the claim gone and stops. That is what makes `acks_late` safe here. Failures of Kestra
are not task retries: the services store them and set when to try again, and
`hand_out_due_work` hands the work out once it is due. Only a database hiccup retries the
task itself.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from executions import leases, services, tracking, uploads

logger = logging.getLogger(__name__)

# A lost database connection or a locked SQLite file: worth trying again soon, and the
# task is idempotent. Anything else is a bug to see in the logs, not to retry.
DATABASE_HICCUPS = (OperationalError, InterfaceError)

TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "soft_time_limit": 60,
    "time_limit": 75,
    "autoretry_for": DATABASE_HICCUPS,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 5,
}
# The periodic tasks run again a moment later anyway: no retry, no late ack.
PERIODIC_OPTIONS: dict[str, Any] = {"soft_time_limit": 30, "time_limit": 45}


def _expires() -> float:
    """A message older than a lease is useless: its claim has run out, the work is due again."""
    return leases.tracking_config().lease_seconds


@shared_task(**TASK_OPTIONS)
def deliver(execution_id: int, claim: str = "") -> None:
    with services.about(execution_id):
        delivered = services.execution_deliver(execution_id=execution_id, claim=claim)
    if delivered is not None:
        # Delivered: the first poll straight away, so the page leaves "queued" at once.
        poll.delay(execution_id)


@shared_task(**TASK_OPTIONS)
def poll(execution_id: int, claim: str = "") -> None:
    with services.about(execution_id):
        services.execution_poll(execution_id=execution_id, claim=claim)


@shared_task(**TASK_OPTIONS)
def check_flow(namespace: str, flow_id: str, claim: str) -> None:
    changed = tracking.executions_check_flow(namespace=namespace, flow_id=flow_id, claim=claim)
    for execution_id in changed:
        poll.apply_async((execution_id, claim), expires=_expires())


@shared_task(**PERIODIC_OPTIONS)
def hand_out_due_work() -> None:
    """Hand out what is due: deliveries, watched polls, one check per flow."""
    claimed = tracking.executions_claim_due()
    expires = _expires()
    for execution_id in claimed.deliveries:
        deliver.apply_async((execution_id, claimed.claim), expires=expires)
    for execution_id in claimed.polls:
        poll.apply_async((execution_id, claimed.claim), expires=expires)
    for namespace, flow_id in claimed.flows:
        check_flow.apply_async((namespace, flow_id, claimed.claim), expires=expires)


@shared_task(**PERIODIC_OPTIONS)
def discover() -> None:
    """Track paused executions of approval apps' flows started outside the portal."""
    claim, found = tracking.executions_discover()
    for execution_id in found:
        poll.apply_async((execution_id, claim), expires=_expires())


@shared_task(**PERIODIC_OPTIONS)
def sweep_uploads() -> int:
    """Remove uploaded files no submission waits for any more."""
    removed = uploads.sweep(now=timezone.now())
    if removed:
        logger.info("uploads swept files=%s", removed)
    return removed
