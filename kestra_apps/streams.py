"""Server-sent event streams, for the API's views and the execution pages alike: one loop
that turns a view into events, and a cap on the streams open at once, per client and in
all, so streams can never take the whole site.

Under ASGI a stream holds no thread: it waits in the event loop for the live channel to say
its execution changed (executions.live), and each read is a short trip to a thread. While
the channel is down, and under WSGI, it reads every API_STREAM_POLL_SECONDS instead.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, StreamingHttpResponse

from executions import live, throttle

KEEP_ALIVE_SECONDS = 15.0
RETRY_SECONDS = 5  # a refused stream: when to try again


class StreamSlots:
    """How many streams are open in this process, per client and in all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_client: Counter[str] = Counter()

    def take(self, client: str) -> bool:
        with self._lock:
            total = sum(self._by_client.values())
            if total >= settings.API_STREAMS_MAX:
                return False
            if self._by_client[client] >= settings.API_STREAMS_PER_CLIENT:
                return False
            self._by_client[client] += 1
            return True

    def give_back(self, client: str) -> None:
        with self._lock:
            self._by_client[client] -= 1
            if self._by_client[client] <= 0:
                del self._by_client[client]

    @property
    def open(self) -> int:
        with self._lock:
            return sum(self._by_client.values())


SLOTS = StreamSlots()


class EventStream:
    """Events until `step` says the stream is done. A subclass's `step` reads once and
    answers the text to send now ("" for nothing) and whether the stream ends; it sets
    `known` to the `Execution.shown_version` it read, so news of that same version does not
    wake it again. `execution_id`: the execution whose changes wake the stream."""

    def __init__(self, execution_id: int | None) -> None:
        self.execution_id = execution_id
        self.deadline = time.monotonic() + settings.API_STREAM_SECONDS
        self.sent = time.monotonic()
        self.number = 0
        self.known = ""

    def step(self) -> tuple[str, bool]:
        raise NotImplementedError

    def event(self, name: str, data: str) -> str:
        self.number += 1
        self.sent = time.monotonic()
        return f"id: {self.number}\nevent: {name}\ndata: {data}\n\n"

    def keep_alive(self) -> str:
        """A comment line when nothing was sent for a while, so proxies keep it open."""
        if time.monotonic() - self.sent <= KEEP_ALIVE_SECONDS:
            return ""
        self.sent = time.monotonic()
        return ": keep-alive\n\n"

    @property
    def timed_out(self) -> bool:
        return time.monotonic() > self.deadline

    def __iter__(self) -> Iterator[str]:
        while True:
            chunk, done = self.step()
            if chunk:
                yield chunk
            if done:
                return
            time.sleep(settings.API_STREAM_POLL_SECONDS)

    def read_and_release(self) -> tuple[str, bool]:
        """`step`, then the database connections it opened closed again (see __aiter__)."""
        try:
            return self.step()
        finally:
            connections.close_all()

    async def __aiter__(self) -> AsyncIterator[str]:
        # Django keeps a database connection per request until the response is closed: held
        # while a stream waits (minutes, between changes), 100 open pages took every
        # connection PostgreSQL allows by default, and the site, the workers and the
        # follower with them. The request's own (its view, its middleware) is closed here,
        # in the thread that opened it, and each read closes the one it opened.
        await sync_to_async(connections.close_all)()
        read = sync_to_async(self.read_and_release, thread_sensitive=False)
        async with live.HUB.watching(self.execution_id) as waiter:
            while True:
                chunk, done = await read()
                if chunk:
                    yield chunk
                if done:
                    return
                waiter.known = self.known
                left = max(0.0, self.deadline - time.monotonic())
                if live.HUB.up:
                    await waiter.wait(min(KEEP_ALIVE_SECONDS, left + 0.01))
                else:
                    await waiter.wait(min(settings.API_STREAM_POLL_SECONDS, left + 0.01))


def served(request: HttpRequest) -> bool:
    """Whether pages may open streams here: only under ASGI, where a stream holds no
    thread (the API's streams are served under WSGI too, reading in a loop)."""
    return isinstance(request, ASGIRequest)


def open_stream(request: HttpRequest, stream: EventStream) -> StreamingHttpResponse | None:
    """The response carrying the stream, holding one of the client's slots until it is
    closed; None when the client, or the process, has as many open as allowed. Under ASGI
    the events come from an async iterator, so an open stream holds no thread."""
    client = throttle.client_id(request)
    if not SLOTS.take(client):
        return None
    content: Any = stream.__aiter__() if served(request) else iter(stream)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass events on at once
    # Closed with the response (Django's own hook, which it fills with the iterator's close):
    # the slot comes back however the stream ends, also when it never started.
    response._resource_closers.append(lambda: SLOTS.give_back(client))  # type: ignore[attr-defined]
    return response
