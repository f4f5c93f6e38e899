"""How a saved change to an execution reaches the pages and API streams that show it.

The code that saves what a page shows of an execution (the worker's write-back, a vote, a
decision) calls `publish`: once the transaction commits, a small message (the execution's
id and `Execution.shown_version`) goes out on the channel LIVE_CHANNEL names:

- "postgres": `NOTIFY portal_live` on the portal's own database, heard with `LISTEN`;
- a redis:// URL: `PUBLISH portal_live` and a subscription;
- "database" (the default on SQLite, for `make run`): a row in `LiveChange`, which each web
  process reads every LIVE_CHANNEL_POLL_SECONDS (one query per process, not per page).

Each web process under ASGI runs one listener (`HUB`) in its event loop; an open stream
waits on it for its execution (`Hub.watching`) and reads the database only when told. The
follower (executions.following) hears every change the same way (`Hub.hearing`), to take
a watched execution the moment it is delivered. While the channel is down (`Hub.up`
false) streams read every API_STREAM_POLL_SECONDS instead, so nothing stalls; the
listener connects again by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import lru_cache, partial

import psycopg
import redis
import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from executions.models import LiveChange

logger = logging.getLogger(__name__)

CHANNEL = "portal_live"
KEEP_ROWS = timedelta(minutes=1)  # "database": how long a change stays for the listeners
CHECK_SECONDS = 5.0  # how long the listener waits in silence before it checks the channel
FAILURES = (redis.RedisError, psycopg.Error, DatabaseError, OSError, ConnectionError)


def publish(execution_id: int, version: str = "") -> None:
    """Tell the listeners, once the current transaction commits, that this execution
    changed (`version`: its `shown_version` now, "" when the caller does not know it). A
    channel that cannot be reached is logged, never raised: pages then read by themselves."""
    transaction.on_commit(partial(_send, execution_id, version))


def _is_redis(channel: str) -> bool:
    return channel.startswith(("redis://", "rediss://", "unix://"))


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _send(execution_id: int, version: str) -> None:
    channel = settings.LIVE_CHANNEL
    message = f"{execution_id} {version}"
    try:
        if _is_redis(channel):
            _redis_client(channel).publish(CHANNEL, message)
        elif channel == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, message])
        else:
            change = LiveChange.objects.create(execution_id=execution_id, version=version)
            if change.pk % 100 == 0:
                LiveChange.objects.filter(created__lt=timezone.now() - KEEP_ROWS).delete()
    except FAILURES as exc:
        logger.warning("live channel: cannot publish a change (%s): %s", channel, exc)


def _parse(payload: str | bytes) -> tuple[int, str] | None:
    text = payload.decode() if isinstance(payload, bytes) else payload
    head, _, version = text.partition(" ")
    return (int(head), version) if head.isdigit() else None


class Waiter:
    """One stream's wait for news of its execution. `known`: the version it showed last;
    a message with that same version does not wake it."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.known = ""

    def wake(self, version: str) -> None:
        if not version or version != self.known:
            self.event.set()

    async def wait(self, timeout: float) -> bool:
        """Until there is news (maybe already: True) or `timeout` seconds have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        woken = self.event.is_set()
        self.event.clear()
        return woken


class Hub:
    """This process's listener on the channel, and the streams waiting on it."""

    def __init__(self) -> None:
        self._waiting: defaultdict[int, set[Waiter]] = defaultdict(set)
        self._hearing: set[Callable[[int], None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.up = False  # listening now: news arrives without reading the database

    @contextlib.asynccontextmanager
    async def watching(self, execution_id: int | None) -> AsyncIterator[Waiter]:
        """A waiter for this execution's changes (for None, only for the channel's state),
        registered before the stream's first read so no change is missed in between."""
        self._start()
        waiter = Waiter()
        if execution_id is not None:
            self._waiting[execution_id].add(waiter)
        try:
            yield waiter
        finally:
            if execution_id is not None:
                self._waiting[execution_id].discard(waiter)
                if not self._waiting[execution_id]:
                    del self._waiting[execution_id]

    @contextlib.asynccontextmanager
    async def hearing(self, listener: Callable[[int], None]) -> AsyncIterator[None]:
        """`listener(execution_id)` is called for every change heard, while inside."""
        self._start()
        self._hearing.add(listener)
        try:
            yield
        finally:
            self._hearing.discard(listener)

    @property
    def watched(self) -> int:
        return sum(len(waiters) for waiters in self._waiting.values())

    def deliver(self, execution_id: int, version: str) -> None:
        for waiter in self._waiting.get(execution_id, ()):
            waiter.wake(version)
        for listener in self._hearing:
            listener(execution_id)

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop, self.up = loop, False
        self._task = loop.create_task(self._run(), name="live channel")

    def _went_up(self) -> None:
        self.up = True
        self._wake_all()  # streams reading by themselves go back to waiting

    def _wake_all(self) -> None:
        for waiters in self._waiting.values():
            for waiter in waiters:
                waiter.event.set()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            channel = settings.LIVE_CHANNEL
            try:
                async for execution_id, version in self._messages(channel):
                    backoff = 0.2
                    self.deliver(execution_id, version)
            except FAILURES as exc:
                logger.warning("live channel: not listening (%s): %s", channel, exc)
            if self.up:
                self.up = False
                self._wake_all()  # they read by themselves until the channel is back
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _messages(self, channel: str) -> AsyncIterator[tuple[int, str]]:
        if _is_redis(channel):
            return self._redis_messages(channel)
        if channel == "postgres":
            return self._postgres_messages()
        return self._table_messages()

    async def _redis_messages(self, url: str) -> AsyncIterator[tuple[int, str]]:
        client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=None)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            self._went_up()
            heard = time.monotonic()
            while True:
                message = await pubsub.get_message(timeout=CHECK_SECONDS)
                if message is not None:
                    heard = time.monotonic()
                    parsed = _parse(message["data"]) if message["type"] == "message" else None
                    if parsed:
                        yield parsed
                elif time.monotonic() - heard > 2 * CHECK_SECONDS:
                    raise ConnectionError("Redis does not answer")
                else:
                    await pubsub.ping()  # its pong is heard as a message
        finally:
            await pubsub.aclose()
            await client.aclose()

    async def _postgres_messages(self) -> AsyncIterator[tuple[int, str]]:
        db = connection.settings_dict
        params = {
            "dbname": db["NAME"],
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
        }
        listener = await psycopg.AsyncConnection.connect(
            autocommit=True, connect_timeout=2, **{k: v for k, v in params.items() if v}
        )
        async with listener:
            await listener.execute(f"LISTEN {CHANNEL}")
            self._went_up()
            while True:
                async for notice in listener.notifies(timeout=CHECK_SECONDS):
                    parsed = _parse(notice.payload)
                    if parsed:
                        yield parsed
                await listener.execute("SELECT 1")  # silence: is the server still there?

    async def _table_messages(self) -> AsyncIterator[tuple[int, str]]:
        read = sync_to_async(_changes_after, thread_sensitive=False)
        last, _ = await read(None)
        self._went_up()
        while True:
            last, changes = await read(last)
            for change in changes:
                yield change
            await asyncio.sleep(settings.LIVE_CHANNEL_POLL_SECONDS)


def _changes_after(last: int | None) -> tuple[int, list[tuple[int, str]]]:
    """The changes saved after row `last` (None: none, only where the table ends now)."""
    rows = LiveChange.objects.order_by("pk")
    if last is None:
        newest = rows.values_list("pk", flat=True).last()
        return newest or 0, []
    changes = list(rows.filter(pk__gt=last).values_list("pk", "execution_id", "version"))
    if not changes:
        return last, []
    return changes[-1][0], [(execution_id, version) for _, execution_id, version in changes]


HUB = Hub()
