"""The API's event stream: the app's view (an AppResponse) again each time it changes,
until a final stage or API_STREAM_SECONDS; the loop and the caps are kestra_apps.streams."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder

from api.app_response import Viewer, app_response
from apps_catalog.models import App
from executions import forms, services
from executions.models import Execution
from kestra_apps.streams import EventStream


class LayoutStream(EventStream):
    """An event each time the view changes, while the caller may still open the app and
    the execution (`still_open`; else the stream ends). Reads the portal's database only;
    a stream counts as someone watching, so the worker follows that execution as for an
    open page."""

    def __init__(
        self,
        app: App,
        execution: Execution | None,
        viewer: Viewer,
        fields: list[forms.Field] | None,
        still_open: Callable[[Execution | None], bool],
    ) -> None:
        super().__init__(execution.pk if execution is not None else None)
        self.app, self.execution, self.viewer, self.fields = app, execution, viewer, fields
        self.still_open = still_open
        self.last = ""

    def step(self) -> tuple[str, bool]:
        execution = self.execution
        if execution is not None:
            execution = Execution.objects.select_related("app").filter(pk=execution.pk).first()
            if execution is None:
                return "", True
            services.execution_watch(execution=execution)
            self.execution, self.known = execution, execution.shown_version
        body = json.dumps(
            app_response(self.app, execution, self.viewer, fields=self.fields),
            cls=DjangoJSONEncoder,
        )
        chunk = ""
        if body != self.last:
            if not self.still_open(execution):
                return "", True
            self.last = body
            chunk = self.event("layout", body)
        else:
            chunk = self.keep_alive()
        done = execution is None or execution.is_settled or self.timed_out
        return chunk, done
