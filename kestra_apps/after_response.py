"""Work a request leaves for once its response has gone out.

A message to the workers (Celery's publish, one to two milliseconds) need not hold up the
page the visitor is waiting for. While a view runs, `later` keeps what it is given, and
`AfterResponseMiddleware` does it when the server closes the response, after its last byte
went out. Outside a request (a worker, a command), or for a streamed response (which may stay
open for minutes), the work is done at once.

Nothing may depend on this work for correctness: a server that never closes the response,
or a process that dies first, loses it. What goes through here is a wake-up call for work a
periodic task hands out anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

Work = Callable[[], object]

_pending: ContextVar[list[Work] | None] = ContextVar("after_response", default=None)


def later(work: Work) -> None:
    """Do `work` once the current request's response has gone out; at once outside one."""
    pending = _pending.get()
    if pending is None:
        work()
    else:
        pending.append(work)


def _do(pending: list[Work]) -> None:
    """Each piece of work in turn; one that fails is logged and the others still run."""
    for work in pending:
        try:
            work()
        except Exception:
            logger.exception("work after the response failed")


class AfterResponseMiddleware:
    """Collects what `later` is given while the view runs; hands it to the response, which
    does it on close. A streamed response, or a view that raised, gets it done at once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pending: list[Work] = []
        token = _pending.set(pending)
        try:
            response = self.get_response(request)
        except BaseException:
            _do(pending)
            raise
        finally:
            _pending.reset(token)
        if pending:
            if response.streaming:
                _do(pending)
            else:
                # Django's own hook (not in its stubs): the response's close() runs these,
                # as it closes a FileResponse's file, then sends request_finished.
                closers = response._resource_closers  # type: ignore[attr-defined]
                closers.append(lambda: _do(pending))
        return response
