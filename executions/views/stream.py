"""An execution page's live part as server-sent events: the same part, for the same
person, as `execution_live` answers, sent each time the live channel says the execution
changed (executions.live). The page falls back to asking `/live/` when this is refused."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from apps_catalog.models import App
from executions import interactions, services
from executions.models import Execution
from executions.views.common import (
    LINK,
    can_act_on,
    execution_view,
    live_context,
    live_version,
)
from kestra_apps import streams


class LiveStream(streams.EventStream):
    """A `live` event ({html, version, final}) when the page's version changes, from the
    version the page holds, while the person may still open the execution (else the
    stream ends); a `reopen` event when API_STREAM_SECONDS are up first."""

    def __init__(self, request: HttpRequest, app: App, execution: Execution, version: str):
        super().__init__(execution.pk)
        self.pk, self.request, self.app, self.version = execution.pk, request, app, version

    def step(self) -> tuple[str, bool]:
        execution = Execution.objects.select_related("app").filter(pk=self.pk).first()
        if execution is None:
            return "", True
        services.execution_watch(execution=execution)
        self.known = execution.shown_version
        version = live_version(self.app, execution, can_act_on(self.request, execution))
        chunk = ""
        if version != self.version:
            if not self._still_open(execution):
                return "", True
            self.version = version
            context = live_context(self.request, self.app, execution)
            html = render_to_string("executions/_live.html", context, request=self.request)
            data = {"html": html, "version": version, "final": execution.is_settled}
            chunk = self.event("live", json.dumps(data))
        done = execution.is_settled
        if not done and self.timed_out:
            chunk, done = chunk + self.event("reopen", "{}"), True
        return chunk or self.keep_alive(), done

    def _still_open(self, execution: Execution) -> bool:
        request = self.request
        return interactions.still_open(
            self.app,
            execution,
            user=request.user,
            session=request.session,
            link=request.GET.get(LINK, ""),
        )


def _refused(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(streams.RETRY_SECONDS)
    return response


@require_GET
@execution_view
def execution_stream(request: HttpRequest, app: App, execution: Execution) -> HttpResponseBase:
    """503 where streams are not served (under WSGI a stream would hold a thread), 429 past
    the caps on open streams: the page asks `/live/` instead."""
    if not streams.served(request):
        return _refused(503, "Live updates are not streamed here; ask /live/.")
    stream = LiveStream(request, app, execution, request.GET.get("v", ""))
    response = streams.open_stream(request, stream)
    if response is None:
        return _refused(429, "Too many open streams; close one first.")
    return response
