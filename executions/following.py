"""Following watched executions through Kestra's event streams, instead of polling them.

`manage.py follow_executions` runs a `Follower`: one asyncio process that, every
FOLLOW_SCAN_SECONDS and whenever the live channel tells of a change to an execution it
does not follow (a delivery, say), reads which executions someone watches (the mark
`execution_watch` sets: an open page, an API stream, a tracking view) and follows each of
them through two streams, `GET /executions/{id}/follow` and `GET /logs/{id}/follow`.

- It takes a watched execution with the same claim as a worker (`leases`), under one claim
  token of its own, and renews that lease while it follows: the hand-out of due work skips
  a held execution, so a followed execution is not polled.
- Each change is written by the poll's own code, `services.execution_poll`, given what the
  streams pushed instead of reading it (`services.Pushed`): the same masking, pause,
  resume-form and output reads, the same conditional write, the same messages. At the end
  it reads the logs and outputs in full and lets go, as a final poll does.
- A stream that drops, is refused, or goes quiet for FOLLOW_QUIET_SECONDS: the execution is
  let go with its next poll due now, so polling carries on where the stream stopped; the
  stream is tried again after FOLLOW_RETRY_SECONDS (doubling up to FOLLOW_RETRY_MAX_SECONDS).
  A 404 is about that execution (Kestra may not know it yet); a Kestra that refuses streams
  otherwise (another 4xx, 501) is not asked for any stream until then.
- Nobody watches any more: the stream is closed and the execution let go to polling.
- The process dies: its lease runs out and the hand-out polls what it held.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from celery import current_app
from django.conf import settings
from django.db import close_old_connections
from django.db.models import F
from django.utils import timezone

from executions import leases, live, request_counts, services
from executions.kestra import KestraError, KestraUnavailable
from executions.kestra.streams import KestraStreams, StreamRefused, get_streams
from executions.models import Execution

logger = logging.getLogger(__name__)

T = TypeVar("T")
NOT_FOUND = 404
DATABASE_THREADS = 4
SCAN_GAP_SECONDS = 0.05  # scans woken by the live channel: at most this often


@dataclass(frozen=True)
class FollowConfig:
    max_streams: int
    scan_seconds: float
    retry_seconds: float
    retry_max_seconds: float

    @classmethod
    def from_settings(cls) -> FollowConfig:
        return cls(
            max_streams=settings.FOLLOW_MAX_STREAMS,
            scan_seconds=settings.FOLLOW_SCAN_SECONDS,
            retry_seconds=settings.FOLLOW_RETRY_SECONDS,
            retry_max_seconds=settings.FOLLOW_RETRY_MAX_SECONDS,
        )


# --- the database side (run in threads) -------------------------------------------------------


def _watched(limit: int) -> dict[int, str | None]:
    """Executions someone watches that Kestra has: pk → Kestra id, None for one that cannot
    change any more (final: its follower is finishing, nothing to start)."""
    now = timezone.now()
    rows = (
        Execution.objects.watched(now)
        .filter(delivery=Execution.Delivery.DELIVERED)
        .exclude(kestra_id=None)
        .order_by(F("next_action_at").asc(nulls_last=True))  # those that may change first
        .values_list("pk", "kestra_id", "next_action_at")
    )
    return {
        pk: str(kestra_id) if due is not None else None for pk, kestra_id, due in rows[: 2 * limit]
    }


def _take(execution_id: int, claim: str) -> bool:
    """Hold the execution under the follower's claim, if nobody (a poll) holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=leases.tracking_config().lease_seconds)
    rows = Execution.objects.filter(
        pk=execution_id, delivery=Execution.Delivery.DELIVERED, next_action_at__isnull=False
    )
    return bool(rows.claim(claim, now=now, until=until))


def _renew(claim: str) -> int:
    """Keep holding everything the follower follows for another lease."""
    now = timezone.now()
    until = now + timedelta(seconds=leases.tracking_config().lease_seconds)
    return Execution.objects.filter(claim=claim).renew(claim, now=now, until=until)


def _let_go(claim: str, execution_id: int | None = None) -> int:
    """Hand back to polling, with a poll due now: it reads whatever the stream missed."""
    rows = Execution.objects.filter(claim=claim)
    if execution_id is not None:
        rows = rows.filter(pk=execution_id)
    return rows.release(claim, next_action_at=timezone.now())


# --- the streams ----------------------------------------------------------------------------


async def _either(first: asyncio.Event, second: asyncio.Event, timeout: float) -> None:
    """Until one of the two is set, or `timeout` seconds have passed."""
    waits = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


@dataclass
class _Seen:
    """What one execution's streams pushed so far."""

    snapshot: dict[str, Any] | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Follower:
    def __init__(self, config: FollowConfig | None = None) -> None:
        self.config = config or FollowConfig.from_settings()
        self.claim = leases.new_claim()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.retry_at: dict[int, float] = {}
        self.failures: dict[int, int] = {}
        self.refused_until = 0.0
        self.refusals = 0
        self.renew_at = 0.0
        # Celery's current app is per thread: the threads that write must send the tasks a
        # write causes (notifications) with the portal's app, not a default one.
        celery_app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.executor = ThreadPoolExecutor(
            DATABASE_THREADS, thread_name_prefix="follow-db", initializer=celery_app.set_current
        )
        self.streams: KestraStreams | None = None

    async def _db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run database (and blocking Kestra) work in a thread, with a usable connection."""

        def run() -> T:
            close_old_connections()
            return function(*args, **kwargs)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(run))

    async def run(self, stop: asyncio.Event) -> None:
        self.streams = get_streams(2 * self.config.max_streams)
        logger.info("following watched executions claim=%s", self.claim)
        news = asyncio.Event()

        def heard(execution_id: int) -> None:
            if execution_id not in self.tasks:
                news.set()  # maybe one just delivered that a page watches: scan now

        try:
            async with live.HUB.hearing(heard):
                while not stop.is_set():
                    scanned = time.monotonic()
                    await self.scan()
                    await _either(stop, news, self.config.scan_seconds)
                    news.clear()
                    await asyncio.sleep(scanned + SCAN_GAP_SECONDS - time.monotonic())
        finally:
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            await self.streams.close()
            await self._db(_let_go, self.claim)
            await self._db(self._report)
            self.executor.shutdown(wait=True)

    def _report(self) -> None:
        assert self.streams is not None
        self.streams.tell_observers()
        request_counts.flush()

    async def scan(self) -> None:
        """Follow what became watched, stop following what nobody watches any more."""
        watched = await self._db(_watched, self.config.max_streams)
        if time.monotonic() >= self.renew_at:
            await self._db(_renew, self.claim)
            self.renew_at = time.monotonic() + leases.tracking_config().lease_seconds / 4
        assert self.streams is not None
        await self._db(self.streams.tell_observers)  # an observer writes to the database
        for pk, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[pk]
            elif pk not in watched:
                task.cancel()
        now = time.monotonic()
        if now < self.refused_until:
            return
        for pk, kestra_id in watched.items():
            if kestra_id is None or pk in self.tasks or self.retry_at.get(pk, 0.0) > now:
                continue
            if len(self.tasks) >= self.config.max_streams:
                break  # the others are polled
            self.tasks[pk] = asyncio.create_task(self._follow(pk, kestra_id))

    def _retry_later(self, pk: int) -> float:
        self.failures[pk] = failures = self.failures.get(pk, 0) + 1
        delay = min(self.config.retry_max_seconds, self.config.retry_seconds * 2 ** (failures - 1))
        self.retry_at[pk] = time.monotonic() + delay
        return delay

    async def _follow(self, pk: int, kestra_id: str) -> None:
        if not await self._db(_take, pk, self.claim):
            return  # a poll holds it right now; the next scan tries again
        outcome = "dropped"
        try:
            outcome = await self._stream(pk, kestra_id)
        except StreamRefused as exc:
            outcome = "refused"
            if exc.status == NOT_FOUND:
                # This execution (one Kestra does not know yet, or a Kestra without the
                # endpoint: then every one): polled, its stream asked for again later.
                delay = self._retry_later(pk)
            else:
                # The whole Kestra (or a proxy) refuses streams: ask for none for a while.
                self.refusals += 1
                delay = min(
                    self.config.retry_max_seconds, self.config.retry_seconds * 2**self.refusals
                )
                self.refused_until = time.monotonic() + delay
            logger.warning(
                "follow refused by Kestra (%s): polling, streams again in %.0f s", exc, delay
            )
        except KestraError as exc:
            logger.info("follow of execution %s dropped: %s", pk, exc)
        except Exception:
            # A bug or a database error costs this execution its stream, not the others.
            logger.exception("follow of execution %s failed", pk)
        except asyncio.CancelledError:
            outcome = "unwatched"
            raise
        finally:
            if outcome in ("final", "held"):
                self.failures.pop(pk, None)
                self.retry_at.pop(pk, None)
                self.refusals = 0
            else:
                # Whatever happened, polling goes on from what is stored, at once.
                await asyncio.shield(self._db(_let_go, self.claim, pk))
                if outcome not in ("unwatched", "refused"):  # dropped, failed, lease ran out
                    self._retry_later(pk)
            logger.info("follow end id=%s outcome=%s", pk, outcome)

    async def _stream(self, pk: int, kestra_id: str) -> str:
        """Follow until the execution is final (or the follower lost it to someone): the
        outcome of the write that ended it. Raises when a stream drops or is refused."""
        assert self.streams is not None
        seen = _Seen()
        readers = [
            asyncio.create_task(self._read_execution(kestra_id, seen)),
            asyncio.create_task(self._read_logs(kestra_id, seen)),
        ]
        writer = asyncio.create_task(self._write(pk, seen))
        pending: set[asyncio.Task[Any]] = {writer, *readers}
        try:
            while True:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if writer in done:
                    return writer.result()
                for task in done:
                    task.result()  # a stream that failed raises here
        finally:
            for task in (writer, *readers):
                task.cancel()
            await asyncio.gather(writer, *readers, return_exceptions=True)

    async def _read_execution(self, kestra_id: str, seen: _Seen) -> None:
        assert self.streams is not None
        async for event in self.streams.execution(kestra_id):
            if event.id == "start" or "state" not in event.data:
                continue  # a stub holding the id
            seen.snapshot = event.data
            seen.changed.set()
            if event.id == "end":
                return
        raise KestraUnavailable("Kestra's stream closed before the execution ended")

    async def _read_logs(self, kestra_id: str, seen: _Seen) -> None:
        assert self.streams is not None
        async for event in self.streams.logs(kestra_id):
            if event.id == "start":
                continue  # an empty entry
            seen.logs.append(event.data)
            seen.changed.set()
        raise KestraUnavailable("Kestra's logs stream closed")

    async def _write(self, pk: int, seen: _Seen) -> str:
        """Write each change as a poll would; what arrives meanwhile goes with the next write."""
        while True:
            await seen.changed.wait()
            seen.changed.clear()
            if seen.snapshot is None:
                continue
            pushed = services.Pushed(seen.snapshot, list(seen.logs))
            outcome = await self._db(
                services.execution_poll, execution_id=pk, claim=self.claim, pushed=pushed
            )
            if outcome != "polled":
                return outcome
