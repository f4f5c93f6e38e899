"""Server-sent event streams (follow an execution, follow its logs) and their faults.

Frames are what Kestra sends: an ``id:`` line and a ``data:`` line, no ``event:`` name
(reference §4, §7.3). A stream's events are produced by a generator that also yields ``b""``
at least once a second while nothing happens, so that the stream notices a cut (the
``cut_streams`` fault) or the emulator stopping without waiting for the next event.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .errors import ApiError, kind_of_status

if TYPE_CHECKING:
    from .server import Emulator

FOLLOW_IDLE_TIMEOUT_S = 3600


def frame(event_id: str, data: dict[str, Any]) -> bytes:
    return f"id: {event_id}\ndata: {json.dumps(data)}\n\n".encode()


def refuse_if_asked(emu: Emulator) -> None:
    """The `refuse_streams` fault: answer its status instead of a stream."""
    status = emu.faults.refuse_streams
    if status:
        raise ApiError(kind_of_status(status), "Streams are refused (injected fault)")


def _cut(request: Request) -> None:
    """Close the connection under the stream, without an end: a dropped connection."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def event_stream(emu: Emulator, request: Request, events: Iterator[bytes]) -> Response:
    """A text/event-stream response of `events`, cut when `cut_streams` is set after it opened."""
    generation = emu.faults.stream_generation

    def guarded() -> Iterator[bytes]:
        for chunk in events:
            if emu.faults.stream_generation != generation:
                _cut(request)
                return
            if emu.stopping:
                return
            if chunk:
                yield chunk

    return Response(
        guarded(),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
        direct_passthrough=True,
    )
