"""The API's event streams: one loop that turns the view into server-sent events, run
without holding a worker under ASGI (an async iterator: the wait between reads is an
`asyncio.sleep`, each read a short trip to a thread) and as before under WSGI; and a cap on
the streams open at once, per client and in all, so streams can never take the whole site.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, StreamingHttpResponse

from api.app_response import Viewer, app_response
from apps_catalog.models import App
from executions import forms, services, throttle
from executions.models import Execution

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


class LayoutStream:
    """An event each time the view changes, until a final stage or the time is up.

    Reads the portal's database only; a stream counts as someone watching, so the worker
    polls that execution every second, as for an open page."""

    def __init__(
        self,
        app: App,
        execution: Execution | None,
        viewer: Viewer,
        fields: list[forms.Field] | None,
    ) -> None:
        self.app, self.execution, self.viewer, self.fields = app, execution, viewer, fields
        self.deadline = time.monotonic() + settings.API_STREAM_SECONDS
        self.last, self.sent, self.number = "", time.monotonic(), 0

    def step(self) -> tuple[str, bool]:
        """One read: the text to send now ("" for nothing), and whether the stream ends."""
        execution = self.execution
        if execution is not None:
            execution = Execution.objects.select_related("app").filter(pk=execution.pk).first()
            if execution is None:
                return "", True
            services.execution_watch(execution=execution)
            self.execution = execution
        body = json.dumps(
            app_response(self.app, execution, self.viewer, fields=self.fields),
            cls=DjangoJSONEncoder,
        )
        chunk = ""
        if body != self.last:
            self.number += 1
            self.last, self.sent = body, time.monotonic()
            chunk = f"id: {self.number}\nevent: layout\ndata: {body}\n\n"
        elif time.monotonic() - self.sent > KEEP_ALIVE_SECONDS:
            self.sent = time.monotonic()
            chunk = ": keep-alive\n\n"
        done = execution is None or execution.is_settled or time.monotonic() > self.deadline
        return chunk, done

    def __iter__(self) -> Iterator[str]:
        while True:
            chunk, done = self.step()
            if chunk:
                yield chunk
            if done:
                return
            time.sleep(settings.API_STREAM_POLL_SECONDS)

    async def __aiter__(self) -> AsyncIterator[str]:
        read = sync_to_async(self.step, thread_sensitive=False)
        while True:
            chunk, done = await read()
            if chunk:
                yield chunk
            if done:
                return
            await asyncio.sleep(settings.API_STREAM_POLL_SECONDS)


def open_stream(request: HttpRequest, stream: LayoutStream) -> StreamingHttpResponse | None:
    """The response carrying the stream, holding one of the client's slots until it is
    closed; None when the client, or the process, has as many open as allowed. Under ASGI
    the events come from an async iterator, so an open stream holds no thread."""
    client = throttle.client_id(request)
    if not SLOTS.take(client):
        return None
    content: Any = stream.__aiter__() if isinstance(request, ASGIRequest) else iter(stream)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass events on at once
    # Closed with the response (Django's own hook, which it fills with the iterator's close):
    # the slot comes back however the stream ends, also when it never started.
    response._resource_closers.append(lambda: SLOTS.give_back(client))  # type: ignore[attr-defined]
    return response
