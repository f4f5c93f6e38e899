"""Kestra's follow streams (server-sent events), read asynchronously: one execution's
changes (`GET /executions/{id}/follow`) and its log lines (`GET /logs/{id}/follow`).

Both paths are the same in the 1.3 and 2.x dialects (reference §4, §7.3). Frames carry an
`id:` (start, progress, end) and one JSON `data:`. The logs stream never ends by itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from executions.kestra.client import authorization, tell_observers
from executions.kestra.errors import KestraRejected, KestraUnavailable, error_message

NOT_IMPLEMENTED = 501


class StreamRefused(KestraRejected):
    """Kestra answered a follow request with a 4xx or 501: it does not stream this (an
    older or proxied Kestra, an execution it does not know yet). Poll instead."""


@dataclass(frozen=True)
class Event:
    id: str  # start, progress, end
    data: dict[str, Any]


class KestraStreams:
    """One HTTP client (a pool of connections) for every stream a process follows."""

    def __init__(
        self,
        *,
        base_url: str,
        tenant: str = "main",
        username: str = "",
        password: str = "",
        token: str = "",
        connect_timeout: float = 10.0,
        quiet_seconds: float = 60.0,
        max_streams: int = 1000,
    ) -> None:
        headers = {
            "Accept": "text/event-stream",
            **authorization(username=username, password=password, token=token),
        }
        self.tenant = tenant
        self._requests: list[tuple[str, str, float]] = []
        # A stream quiet for `quiet_seconds` counts as dropped (a silently dead connection).
        timeout = httpx.Timeout(connect_timeout, read=quiet_seconds)
        limits = httpx.Limits(max_connections=max_streams, max_keepalive_connections=0)
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=limits,
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _answered(self, endpoint: str, status: str, started: float) -> None:
        self._requests.append((endpoint, status, time.monotonic() - started))

    def tell_observers(self) -> None:
        """Tell the Kestra client's observers (metrics) of the streams opened since the last
        call. Not from the event loop: an observer may write to the database."""
        requests, self._requests = self._requests, []
        for endpoint, status, seconds in requests:
            tell_observers(endpoint, status, seconds)

    def _api(self, *segments: str) -> str:
        return "/api/v1/" + "/".join(quote(str(s), safe="") for s in (self.tenant, *segments))

    def execution(self, execution_id: str) -> AsyncIterator[Event]:
        return self._events("follow_execution", self._api("executions", execution_id, "follow"))

    def logs(self, execution_id: str) -> AsyncIterator[Event]:
        return self._events("follow_logs", self._api("logs", execution_id, "follow"))

    async def _events(self, endpoint: str, path: str) -> AsyncIterator[Event]:
        """The stream's events until it ends; KestraUnavailable when it cannot be opened,
        drops or sends what is not JSON, StreamRefused when Kestra will not stream it."""
        started, answered = time.monotonic(), False
        try:
            async with self.http.stream("GET", path) as response:
                answered = True
                self._answered(endpoint, str(response.status_code), started)
                status = response.status_code
                if status >= 500 and status != NOT_IMPLEMENTED:
                    raise KestraUnavailable(f"Kestra answered {status}")
                if status >= 400:
                    await response.aread()
                    raise _refused(response)
                async for event in _parse(response.aiter_lines()):
                    yield event
        except httpx.HTTPError as exc:
            if not answered:
                self._answered(endpoint, "unreachable", started)
            raise KestraUnavailable(f"Kestra's stream dropped: {type(exc).__name__}") from None
        except ValueError:
            raise KestraUnavailable("Kestra's stream sent an event that is not JSON") from None


def _refused(response: httpx.Response) -> StreamRefused:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500]
    message = error_message(body, f"Kestra answered {response.status_code}")
    return StreamRefused(response.status_code, message, body)


async def _parse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    """Server-sent events: fields up to a blank line; `data` lines joined by newlines."""
    event_id, data = "", list[str]()
    async for line in lines:
        if not line:
            if data:
                yield Event(event_id, json.loads("\n".join(data)))
            event_id, data = "", []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))


def get_streams(max_streams: int) -> KestraStreams:
    return KestraStreams(
        base_url=settings.KESTRA_URL,
        tenant=settings.KESTRA_TENANT,
        username=settings.KESTRA_USERNAME,
        password=settings.KESTRA_PASSWORD,
        token=settings.KESTRA_API_TOKEN,
        connect_timeout=settings.KESTRA_TIMEOUT,
        quiet_seconds=settings.FOLLOW_QUIET_SECONDS,
        max_streams=max_streams,
    )
