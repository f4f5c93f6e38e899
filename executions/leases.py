"""Leases on executions: a worker claims an execution with one conditional UPDATE that
sets a lease and a claim token, stops calling Kestra before the lease ends, and writes its
results back only where the token is still its own. Work whose lease ran out is due again.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.utils import timezone

from executions import live
from executions.models import Execution, next_action_at, next_interval

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackingConfig:
    poll_seconds: float  # watched executions: at least this often
    poll_max_seconds: float  # nobody watching: checks back off up to this
    dispatch_seconds: float  # how often due work is handed out, and how far ahead it looks
    lease_seconds: float  # how long a claim holds
    watch_seconds: float  # how long one page view counts as someone watching
    delivery_backoff_max_seconds: float
    delivery_max_attempts: int
    kestra_timeout: float
    lost_after_polls: int  # answers "not found" in a row before Kestra has lost it

    def unwatched_interval(self, current: float, *, changed: bool) -> float:
        """`models.next_interval` at the configured pace."""
        return next_interval(
            current, changed=changed, fastest=self.poll_seconds, slowest=self.poll_max_seconds
        )


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


def hold(execution_id: int, claim: str, *, delivery: str) -> LeaseClock | None:
    """Hold the execution: renew a claim the hand-out made for us, or, without one, claim
    it if it is due and nobody holds it. None when someone else has it."""
    config = tracking_config()
    now = timezone.now()
    until = now + timedelta(seconds=config.lease_seconds)
    rows = Execution.objects.filter(pk=execution_id, delivery=delivery)
    if claim:
        held = rows.renew(claim, now=now, until=until)
    else:
        claim = new_claim()
        horizon = now + timedelta(seconds=config.dispatch_seconds)
        held = rows.due(horizon).claim(claim, now=now, until=until)
    if not held:
        return None
    logger.info("tracking start kind=%s ids=%s claim=%s", delivery, execution_id, claim)
    return LeaseClock.start(claim, config, now)


def write_back(
    execution: Execution,
    clock: LeaseClock,
    *,
    stage_before: str,
    fields: list[str],
    final: bool = False,
    interval: float = 0.0,
    watched_at: datetime | None = None,
    shown_before: str = "",
    keep: bool = False,
) -> bool:
    """Store what the worker learnt, set when to act next (`models.next_action_at`, from
    `final`, `interval` and `watched_at`) and let go of the claim, only if it is still ours.
    `keep`: hold on to it for another lease instead (a follower keeps following).
    Pages showing the execution hear of it on commit (executions.live) when `fields` were
    written and what they show differs from `shown_before` (its `shown_version` when read)."""
    clock.finish()
    now = timezone.now()
    execution.settle_stage(stage_before=stage_before, now=now)
    values: dict[str, Any] = {name: getattr(execution, name) for name in fields}
    execution.next_action_at = next_action_at(
        now=now, final=final, interval=interval, watched_at=watched_at
    )
    rows = Execution.objects.filter(pk=execution.pk)
    if keep:
        until = now + timedelta(seconds=tracking_config().lease_seconds)
        write = partial(rows.write_held, clock.claim, now=now, until=until)
    else:
        write = partial(rows.release, clock.claim)
    written = write(
        **values,
        stage=execution.stage,
        stage_since=execution.stage_since,
        next_action_at=execution.next_action_at,
        updated=now,
    )
    if not written:
        logger.warning("tracking lost claim %s on execution %s", clock.claim, execution.pk)
    elif fields and execution.shown_version != shown_before:
        live.publish(execution.pk, execution.shown_version)
    return bool(written)
