"""An app execution's files (meta, preview, download) and its logs as a text file.

Only files that the execution's inputs or outputs name can be reached, as on the web
pages; logs are the ones the portal stored, so reading them never calls Kestra.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.lookups import LINK_PARAM, PROBLEM, execution_of, usable_app
from api.media import OctetStreamRenderer, PlainTextRenderer
from api.problems import Problem
from api.query import bad_request
from api.serializers import FileMetasSerializer
from api.views.base import RuntimeView
from apps_catalog.blocks import LOG_LEVELS
from apps_catalog.models import App, site_url
from executions import interactions, presenters
from executions.blocks import LogFilter, app_stage_blocks, log_text, shown_logs
from executions.kestra import KestraError, KestraNotFound, KestraRejected, get_client
from executions.models import Execution

# kestra:///<namespace as folders>/<flow>/executions/<id>/...: the execution a file is of.
_EXECUTION_IN_PATH = re.compile(r"^kestra:///.*?/executions/(?P<id>[^/]+)/")
PATH_PARAM = OpenApiParameter("path", str, required=True, description="The kestra:/// URI")
EXECUTION_PARAM = OpenApiParameter(
    "executionId", str, description="The execution (by default the one the path names)"
)
MAX_PREVIEW_ROWS = 10_000


def execution_file(request: Request, app: App) -> tuple[Execution, str]:
    """The execution and the path asked for, if the path is one of that execution's files."""
    path = request.query_params.get("path", "")
    if not path:
        raise bad_request("path is required", "path")
    execution_id = request.query_params.get("executionId", "")
    if not execution_id:
        match = _EXECUTION_IN_PATH.match(path)
        execution_id = match["id"] if match else ""
    tracked = interactions.tracked_execution(app.uid, execution_id)
    execution = execution_of(request, app, execution_id, tracked) if tracked else None
    if (
        execution is None
        or not execution.kestra_id
        or path not in presenters.known_files(execution)
    ):
        raise NotFound(_("This execution has no such file."))
    return execution, path


def kestra_failure(exc: KestraError) -> Exception:
    if isinstance(exc, KestraNotFound):
        return NotFound(_("The file is no longer in Kestra."))
    return Problem(503, _("Kestra cannot be reached right now; try again in a minute."))


class FileMetaView(RuntimeView):
    @extend_schema(
        operation_id="fileMetaFromAppExecution",
        summary="The size of a file of an app execution",
        parameters=[PATH_PARAM, EXECUTION_PARAM, LINK_PARAM],
        responses={200: FileMetasSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str) -> Response:
        execution, path = execution_file(request, usable_app(request, uid))
        try:
            chunks, headers = get_client().download(execution.kestra_id or "", path)
            length = headers.get("Content-Length")
            # Counted when Kestra does not say; reading to the end also frees the connection.
            size = int(length) if length and length.isdigit() else sum(len(c) for c in chunks)
        except KestraError as exc:
            raise kestra_failure(exc) from exc
        return Response({"size": size})


class FilePreviewView(RuntimeView):
    @extend_schema(
        operation_id="filePreviewFromAppExecution",
        summary="Kestra's preview of a file of an app execution (its FileRender)",
        parameters=[
            PATH_PARAM,
            EXECUTION_PARAM,
            LINK_PARAM,
            OpenApiParameter("maxRows", int, description=f"1 to {MAX_PREVIEW_ROWS}"),
            OpenApiParameter("encoding", str, description="Only UTF-8 is served"),
        ],
        responses={200: OpenApiTypes.OBJECT, 404: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str) -> Response:
        execution, path = execution_file(request, usable_app(request, uid))
        raw = request.query_params.get("maxRows") or str(presenters.PREVIEW_ROWS)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PREVIEW_ROWS:
            raise bad_request(f"maxRows must be between 1 and {MAX_PREVIEW_ROWS}", "maxRows")
        try:
            rendered = get_client().preview(execution.kestra_id or "", path, int(raw))
        except KestraRejected as exc:
            if isinstance(exc, KestraNotFound):
                raise kestra_failure(exc) from exc
            rendered = {"type": None, "content": None, "truncated": False}
        except KestraError as exc:
            raise kestra_failure(exc) from exc
        return Response(rendered)


class FileDownloadView(RuntimeView):
    renderer_classes = [OctetStreamRenderer, JSONRenderer]

    @extend_schema(
        operation_id="downloadFileFromAppExecution",
        summary="Download a file of an app execution",
        parameters=[PATH_PARAM, EXECUTION_PARAM, LINK_PARAM],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str) -> StreamingHttpResponse:
        execution, path = execution_file(request, usable_app(request, uid))
        try:
            chunks, _headers = get_client().download(execution.kestra_id or "", path)
        except KestraError as exc:
            raise kestra_failure(exc) from exc
        return StreamingHttpResponse(chunks, headers=presenters.download_headers(path))


def log_lines(request: Request, app: App, execution: Execution, asked: LogFilter) -> str:
    """The lines the execution's page shows now (its stage's Logs blocks), as asked for."""
    shown = app_stage_blocks(app, execution.stage, execution, site_url(request)).log_filters()
    return log_text(shown_logs(execution, shown, asked))


class LogsDownloadView(RuntimeView):
    renderer_classes = [PlainTextRenderer, OctetStreamRenderer, JSONRenderer]

    @extend_schema(
        operation_id="logsFromAppExecution",
        summary="An app execution's logs as a text file, one line per entry",
        parameters=[
            OpenApiParameter("executionId", str, required=True),
            OpenApiParameter("minLevel", str, enum=list(LOG_LEVELS)),
            OpenApiParameter("taskIds", str, many=True),
            LINK_PARAM,
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR, 404: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str) -> HttpResponse:
        app = usable_app(request, uid)
        execution_id = request.query_params.get("executionId", "")
        if not execution_id:
            raise bad_request("executionId is required", "executionId")
        tracked = interactions.tracked_execution(app.uid, execution_id)
        if tracked is None:
            raise NotFound(_("No such execution for this app."))
        execution = execution_of(request, app, execution_id, tracked)
        min_level = request.query_params.get("minLevel", "")
        if min_level and min_level not in LOG_LEVELS:
            raise bad_request(f"minLevel must be one of {', '.join(LOG_LEVELS)}", "minLevel")
        asked = LogFilter.of(
            {"logLevel": min_level or None, "taskIds": request.query_params.getlist("taskIds")}
        )
        text = log_lines(request, app, execution, asked)
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = presenters.attachment(f"{execution.public_id}.log")
        if not execution.is_settled:
            response["Cache-Control"] = "no-cache"
        return response
