"""Writes on executions: submit, deliver to Kestra, poll, and say who is watching.

Delivery and polling run in Celery workers. Every piece of work is claimed first with a
conditional UPDATE that sets a lease and a claim token; a worker writes its results back
only where the token is still its own, and stops calling Kestra before its lease ends. So
two workers never act on the same execution at the same moment, and work a dead worker
dropped is claimed again by the dispatcher (`executions.tracking`) once the lease is over.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps_catalog.models import App
from executions import stages, uploads
from executions.kestra import (
    KestraClient,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution, ExecutionLog

logger = logging.getLogger(__name__)

SUBMISSION_LABEL = "portal.submission"
APP_LABEL = "portal.app"
# A page view keeps an execution "watched" this long; the mark is renewed (one write) only
# once less than WATCH_SECONDS - WATCH_RENEW_SECONDS is left, so a page asking every second
# costs one write every few seconds.
WATCH_RENEW_SECONDS = 3.0


@dataclass(frozen=True)
class TrackingConfig:
    poll_seconds: float  # watched executions: at least this often
    poll_max_seconds: float  # nobody watching: checks back off up to this
    dispatch_seconds: float  # how often the dispatcher runs, and how far ahead it looks
    lease_seconds: float  # how long a claim holds
    watch_seconds: float  # how long one page view counts as someone watching
    delivery_backoff_max_seconds: float
    delivery_max_attempts: int
    kestra_timeout: float
    lost_after_polls: int  # answers "not found" in a row before Kestra has lost it


def tracking_config() -> TrackingConfig:
    timeout = float(settings.KESTRA_TIMEOUT)
    return TrackingConfig(
        poll_seconds=settings.EXECUTION_POLL_SECONDS,
        poll_max_seconds=settings.EXECUTION_POLL_MAX_SECONDS,
        dispatch_seconds=settings.EXECUTION_DISPATCH_SECONDS,
        # A lease must outlast the longest call to Kestra, or the stop-in-time check
        # (LeaseClock) would leave no time to work.
        lease_seconds=max(settings.EXECUTION_LEASE_SECONDS, 2 * timeout + 2),
        watch_seconds=settings.EXECUTION_WATCH_SECONDS,
        delivery_backoff_max_seconds=settings.DELIVERY_BACKOFF_MAX_SECONDS,
        delivery_max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
        kestra_timeout=timeout,
        lost_after_polls=settings.EXECUTION_LOST_AFTER_POLLS,
    )


class Next(NamedTuple):
    """What a worker should do next with an execution, and in how many seconds."""

    action: str  # "deliver" or "poll"
    delay: float


class LeaseRunningOut(Exception):
    """Too little of the lease is left to make another call to Kestra safely."""


@dataclass
class LeaseClock:
    """A held claim: its token, when it started, and the last moment to start a Kestra call
    (the lease's end minus the longest call), so nobody else can hold it while we call."""

    claim: str
    started: datetime
    deadline: float  # time.monotonic()
    finished: float | None = None  # time.time() once the last call to Kestra is done

    @classmethod
    def start(cls, claim: str, config: TrackingConfig, now: datetime) -> LeaseClock:
        margin = config.kestra_timeout + 1
        return cls(claim, now, time.monotonic() + config.lease_seconds - margin)

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise LeaseRunningOut

    def finish(self) -> None:
        """No more calls to Kestra: from now on another worker may take the execution."""
        if self.finished is None:
            self.finished = time.time()


def new_claim() -> str:
    return secrets.token_hex(8)


def unleased(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def log_hold(kind: str, ids: list[int], clock: LeaseClock, outcome: str) -> None:
    """One line per piece of work done under a claim: operators (and the tests that check
    no two workers overlap) read who held what, and when."""
    logger.info(
        "tracking hold kind=%s ids=%s claim=%s start=%.3f end=%.3f outcome=%s",
        kind,
        ",".join(str(i) for i in ids),
        clock.claim,
        clock.started.timestamp(),
        clock.finished or time.time(),
        outcome,
    )


def _hold(execution_id: int, claim: str, *, delivery: str) -> LeaseClock | None:
    """Hold the execution: renew a claim the dispatcher made for us, or, without one, claim
    it if it is due and nobody holds it. None when someone else has it."""
    config = tracking_config()
    now = timezone.now()
    until = now + timedelta(seconds=config.lease_seconds)
    rows = Execution.objects.filter(pk=execution_id, delivery=delivery)
    if claim:
        held = rows.filter(claim=claim, lease_until__gte=now).update(lease_until=until)
    else:
        claim = new_claim()
        horizon = now + timedelta(seconds=config.dispatch_seconds)
        held = (
            rows.filter(next_action_at__lte=horizon)
            .filter(unleased(now))
            .update(claim=claim, lease_until=until)
        )
    if not held:
        return None
    logger.info("tracking start kind=%s ids=%s claim=%s", delivery, execution_id, claim)
    return LeaseClock.start(claim, config, now)


def _stage_since(execution: Execution, stage_before: str, now: datetime) -> datetime | None:
    """When the current stage began: Kestra's date for its current state when it has one."""
    if execution.stage == stage_before and execution.stage_since is not None:
        return execution.stage_since
    histories = execution.snapshot.get("state", {}).get("histories") or []
    if histories and execution.delivery == Execution.Delivery.DELIVERED:
        return parse_datetime(str(histories[-1].get("date") or "")) or now
    return now


def _write_back(
    execution: Execution,
    clock: LeaseClock,
    *,
    stage_before: str,
    fields: list[str],
    next_action_at: datetime | None,
    watched_next_action_at: datetime | None = None,
) -> bool:
    """Store what the worker learnt and let go of the claim, only if it is still ours.

    A page opened meanwhile (watched) gets `watched_next_action_at` instead: the sooner one.
    """
    clock.finish()
    now = timezone.now()
    execution.refresh_stage()
    execution.stage_since = _stage_since(execution, stage_before, now)
    values: dict[str, Any] = {name: getattr(execution, name) for name in fields}
    when_watched = watched_next_action_at or next_action_at
    next_value: Any = next_action_at
    if next_action_at is not None and when_watched != next_action_at:
        next_value = Case(
            When(watched_until__gt=now, then=Value(when_watched)), default=Value(next_action_at)
        )
    written = Execution.objects.filter(pk=execution.pk, claim=clock.claim).update(
        **values,
        stage=execution.stage,
        stage_since=execution.stage_since,
        next_action_at=next_value,
        lease_until=None,
        claim="",
        updated=now,
    )
    if not written:
        logger.warning("tracking lost claim %s on execution %s", clock.claim, execution.pk)
    return bool(written)


# --- submit and deliver -------------------------------------------------------------------


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

    now = timezone.now()
    execution = Execution.objects.create(
        app=app,
        inputs=shown,
        payload=values,
        submitted_by=user if user is not None and user.is_authenticated else None,
        session_key=session_key,
        next_action_at=now,
        stage_since=now,
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


def delivery_backoff(attempt: int, *, cap: float) -> float:
    """1, 2, 4 … seconds after the attempts so far, up to `cap`."""
    return float(min(cap, 2 ** max(0, attempt - 1)))


def _count_attempt(execution: Execution, clock: LeaseClock) -> bool:
    """Record the attempt before calling Kestra, so a retry after a timeout knows to look
    for what this attempt may have created."""
    execution.attempts += 1
    return bool(
        Execution.objects.filter(pk=execution.pk, claim=clock.claim).update(
            attempts=execution.attempts
        )
    )


def _create_once(client: KestraClient, execution: Execution, clock: LeaseClock) -> dict[str, Any]:
    definition = execution.app.parsed
    if execution.attempts > 1:
        clock.check()
        earlier = _find_earlier_delivery(client, execution)
        if earlier:
            return earlier
    clock.check()
    with uploads.opened(execution) as files:
        return client.create_execution(
            definition.namespace,
            definition.flow_id,
            execution.payload,
            files=files,
            labels={SUBMISSION_LABEL: execution.token, APP_LABEL: definition.id},
            revision=definition.flow_revision,
        )


def execution_deliver(*, execution_id: int, claim: str = "") -> Next | None:
    """Create the Kestra execution of a stored submission, exactly once.

    A retry (after Kestra failed, timed out, or answered an error after creating it) first
    looks for the earlier attempt's execution by its `portal.submission` label. A failed
    attempt is retried by the dispatcher once its backoff has passed.
    """
    clock = _hold(execution_id, claim, delivery=Execution.Delivery.QUEUED)
    if clock is None:
        return None
    execution = Execution.objects.select_related("app").get(pk=execution_id)
    if not _count_attempt(execution, clock):
        return None
    config = tracking_config()
    stage_before = execution.stage
    fields = ["kestra_id", "delivery", "payload", "error", "snapshot", "state"]
    try:
        created = _create_once(get_client(), execution, clock)
    except LeaseRunningOut:
        _write_back(
            execution, clock, stage_before=stage_before, fields=[], next_action_at=timezone.now()
        )
        log_hold("deliver", [execution_id], clock, "lease-ran-out")
        return None
    except KestraUnavailable as exc:
        if execution.attempts >= config.delivery_max_attempts:
            execution.delivery = Execution.Delivery.FAILED
            execution.error = f"Kestra could not be reached after {execution.attempts} attempts."
            next_at = None
        else:
            execution.error = str(exc)
            delay = delivery_backoff(execution.attempts, cap=config.delivery_backoff_max_seconds)
            next_at = timezone.now() + timedelta(seconds=delay)
        _write_back(
            execution, clock, stage_before=stage_before, fields=fields, next_action_at=next_at
        )
        log_hold("deliver", [execution_id], clock, "unavailable")
        return None
    except KestraRejected as exc:
        execution.delivery = Execution.Delivery.FAILED
        execution.error = f"Kestra rejected the submission: {exc.message}"
        _write_back(execution, clock, stage_before=stage_before, fields=fields, next_action_at=None)
        log_hold("deliver", [execution_id], clock, "rejected")
        return None
    _adopt(execution, created)
    written = _write_back(
        execution, clock, stage_before=stage_before, fields=fields, next_action_at=timezone.now()
    )
    if written:
        uploads.discard(execution)
    log_hold("deliver", [execution_id], clock, "delivered")
    return Next("poll", 0.0) if written else None


# --- poll -----------------------------------------------------------------------------------


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


def state_fingerprint(state: Mapping[str, Any]) -> tuple[str, int]:
    """What tells a change of an execution's state apart, also in a light search result:
    the current state and the length of its history (PAUSED → RUNNING → PAUSED differs)."""
    return str(state.get("current") or ""), len(state.get("histories") or [])


def _refresh_from_kestra(client: KestraClient, execution: Execution, clock: LeaseClock) -> bool:
    """State and logs on every poll; task outputs when a task run changed; the resume form
    when the execution pauses; flow outputs at the end. True if anything changed."""
    kestra_id = execution.kestra_id or ""
    before = _task_runs(execution.snapshot)
    fingerprint = state_fingerprint(execution.snapshot.get("state") or {})
    was_paused = execution.state == "PAUSED"
    clock.check()
    _apply_snapshot(execution, client.execution(kestra_id))
    clock.check()
    _store_new_logs(execution, client.logs(kestra_id))
    changed_runs = _task_runs(execution.snapshot) != before
    if changed_runs:
        clock.check()
        execution.task_outputs = client.task_outputs(execution.snapshot)
    if execution.state == "PAUSED" and not (was_paused and execution.resume_form):
        clock.check()
        execution.resume_form = client.validate_resume(kestra_id, {})
    elif execution.state != "PAUSED":
        execution.resume_form = {}
    if execution.state in stages.TERMINAL_STATES:
        clock.check()
        execution.outputs = client.execution_outputs(execution.snapshot)
    return changed_runs or state_fingerprint(execution.snapshot.get("state") or {}) != fingerprint


def next_interval(current: float, *, changed: bool, config: TrackingConfig) -> float:
    """Seconds until the next check of an execution nobody watches: back to the fastest pace
    after a change, twice as long after each check that found none, up to the bound."""
    if changed or current <= 0:
        return config.poll_seconds
    return min(max(current * 2, config.poll_seconds), config.poll_max_seconds)


POLL_FIELDS = [
    "snapshot",
    "state",
    "outputs",
    "task_outputs",
    "resume_form",
    "error",
    "last_polled_at",
    "poll_interval",
    "poll_errors",
    "delivery",
]


def _poll_failed(execution: Execution, exc: Exception, config: TrackingConfig) -> None:
    execution.poll_errors += 1
    execution.error = str(exc)
    lost = isinstance(exc, KestraNotFound) and execution.poll_errors >= config.lost_after_polls
    if lost:
        # A 404 right after creation is normal on an eventually consistent 2.x server;
        # many in a row mean Kestra no longer has it.
        execution.delivery = Execution.Delivery.FAILED
        execution.error = f"Kestra no longer knows this execution: {exc}"
    execution.poll_interval = next_interval(execution.poll_interval, changed=False, config=config)


def execution_poll(*, execution_id: int, claim: str = "") -> Next | None:
    """Refresh state, logs, task outputs, the resume form and (when final) outputs from Kestra.

    The next poll is set for the dispatcher: a second after this one started while someone
    watches; otherwise after an interval that grows while nothing changes. None once final.
    """
    clock = _hold(execution_id, claim, delivery=Execution.Delivery.DELIVERED)
    if clock is None:
        return None
    config = tracking_config()
    execution = Execution.objects.select_related("app").get(pk=execution_id)
    stage_before = execution.stage
    try:
        changed = _refresh_from_kestra(get_client(), execution, clock)
    except LeaseRunningOut:
        # Nothing half-read is kept: the next holder polls again from what is stored.
        execution = Execution.objects.get(pk=execution_id)
        _write_back(
            execution, clock, stage_before=stage_before, fields=[], next_action_at=timezone.now()
        )
        log_hold("poll", [execution_id], clock, "lease-ran-out")
        return None
    except (KestraUnavailable, KestraRejected) as exc:
        # A poll that failed half-way (the state read, the logs not) keeps nothing of it:
        # a final state stored without its logs and outputs would never be polled again.
        execution = Execution.objects.get(pk=execution_id)
        _poll_failed(execution, exc, config)
        outcome = "failed"
    else:
        execution.error = ""
        execution.poll_errors = 0
        execution.last_polled_at = timezone.now()
        execution.poll_interval = next_interval(
            execution.poll_interval, changed=changed, config=config
        )
        outcome = "polled"
    final = execution.state in stages.TERMINAL_STATES or (
        execution.delivery == Execution.Delivery.FAILED
    )
    now = timezone.now()
    _write_back(
        execution,
        clock,
        stage_before=stage_before,
        fields=POLL_FIELDS,
        next_action_at=None if final else now + timedelta(seconds=execution.poll_interval),
        watched_next_action_at=None
        if final
        else clock.started + timedelta(seconds=config.poll_seconds),
    )
    log_hold("poll", [execution_id], clock, "final" if final else outcome)
    return None


# --- who is watching -------------------------------------------------------------------------


def execution_watch(*, execution: Execution) -> None:
    """Someone has the execution's page open: poll it every second for a while.

    Called on every live refresh of the page; writes only when the mark is about to run
    out (once every few seconds), and brings the next poll forward when nobody watched.
    """
    if execution.is_final or execution.delivery != Execution.Delivery.DELIVERED:
        return
    config = tracking_config()
    now = timezone.now()
    renew_after = now + timedelta(seconds=config.watch_seconds - WATCH_RENEW_SECONDS)
    if execution.watched_until is not None and execution.watched_until > renew_after:
        return
    was_watched = execution.watched_until is not None and execution.watched_until > now
    execution.watched_until = now + timedelta(seconds=config.watch_seconds)
    rows = Execution.objects.filter(pk=execution.pk)
    if was_watched:
        rows.update(watched_until=execution.watched_until)
        return
    rows.update(
        watched_until=execution.watched_until,
        next_action_at=Case(
            When(next_action_at__gt=now, then=Value(now)), default="next_action_at"
        ),
    )
