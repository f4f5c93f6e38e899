"""One execution's pages: the page, its live part, its files, and the actions on it."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from accounts.access import can_act_on
from apps_catalog.models import App
from executions import actions, forms, layout, presenters, services, stages
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution
from executions.views.common import (
    FIX_FIELDS,
    app_view,
    execution_url,
    live_context,
    live_version,
    render_execution,
    with_execution,
)


@require_GET
@app_view
@with_execution
def execution_page(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    return render_execution(request, app, execution)


@require_GET
@app_view
@with_execution
def execution_live(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    """The page's changing part; 204 when it is the same as the version the browser has."""
    services.execution_watch(execution=execution)  # poll it every second while it is open
    can_act = can_act_on(request, app, execution)
    version = live_version(app, execution, can_act)
    if request.GET.get("v") == version:
        response = HttpResponse(status=204)
    else:
        context = live_context(request, app, execution)
        response = HttpResponse(render_to_string("executions/_live.html", context, request=request))
    response["X-Live-Version"] = version
    response["X-Live-Final"] = "1" if execution.is_final else "0"
    response["Cache-Control"] = "no-store"
    return response


FileView = Callable[[HttpRequest, App, Execution, str], HttpResponse]


def _file_view(view: FileView) -> Callable[[HttpRequest, App, Execution], HttpResponse]:
    """Only files the execution names, from Kestra: 400 without a path, 404 for any other
    file or one Kestra no longer has, 503 while Kestra cannot be reached."""

    @wraps(view)
    def wrapper(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
        path = request.GET.get("path", "")
        if not path:
            return HttpResponseBadRequest("The path of the file is missing.")
        if path not in presenters.known_files(execution) or not execution.kestra_id:
            raise Http404("This execution has no such file")
        try:
            return view(request, app, execution, path)
        except KestraRejected:
            raise Http404("The file is no longer in Kestra") from None
        except KestraUnavailable:
            return render(request, "errors/kestra_unavailable.html", status=503)

    return wrapper


@require_GET
@app_view
@with_execution
@_file_view
def execution_file(request: HttpRequest, app: App, execution: Execution, path: str) -> HttpResponse:
    chunks, _headers = get_client().download(execution.kestra_id or "", path)
    name = presenters.file_name(path)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@app_view
@with_execution
@_file_view
def execution_file_preview(
    request: HttpRequest, app: App, execution: Execution, path: str
) -> HttpResponse:
    try:
        rendered = get_client().preview(execution.kestra_id or "", path)
    except KestraNotFound:
        raise
    except KestraRejected:
        rendered = {}  # a kind of file Kestra cannot preview
    context = {
        "app": app,
        "execution": execution,
        "name": presenters.file_name(path),
        "preview": presenters.preview(path, rendered),
    }
    template = (
        "executions/_preview.html" if request.GET.get("partial") else "executions/preview.html"
    )
    return render(request, template, context)


def _refuse_unless_allowed(
    request: HttpRequest, app: App, execution: Execution
) -> HttpResponse | None:
    if not can_act_on(request, app, execution):
        return render(request, "errors/403.html", status=403)
    return None


def _button_label(app: App, execution: Execution, block_type: str) -> str:
    """The text of the button the person pressed ("Reject", "Approve"), for the record."""
    for block in layout.blocks_for_stage(app.parsed, execution.stage):
        if block.type == block_type:
            return str(block.props.get("text") or "")
    return ""


@require_POST
@app_view
@with_execution
def execution_cancel(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    refused = _refuse_unless_allowed(request, app, execution)
    if refused:
        return refused
    try:
        actions.execution_cancel(
            execution=execution,
            actor=actions.Actor.from_request(request),
            label=_button_label(app, execution, "CancelExecutionButton"),
        )
    except KestraError:
        return render(request, "errors/kestra_unavailable.html", status=503)
    return redirect(execution_url(app, execution))


@require_POST
@app_view
@with_execution
def execution_resume(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    refused = _refuse_unless_allowed(request, app, execution)
    if refused:
        return refused
    if execution.stage != stages.PAUSE or not execution.kestra_id:
        notice = "This request is not waiting for a decision any more."
        return render_execution(request, app, execution, notice=notice, status=409)
    inputs = [entry.get("input") or {} for entry in execution.resume_form.get("inputs") or []]
    values = forms.read_values(request.POST, inputs)
    files, too_large = forms.read_files(request.FILES, inputs)
    client = get_client()
    try:
        result = client.validate_resume(execution.kestra_id, values, forms.file_fields(files))
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return render_execution(
                request, app, execution, fields=fields, notice=FIX_FIELDS, status=400
            )
        actions.execution_resume(
            execution=execution,
            actor=actions.Actor.from_request(request),
            values=values,
            files=forms.file_fields(files),
            label=_button_label(app, execution, "ResumeExecutionButton"),
        )
    except KestraUnavailable:
        return render(request, "errors/kestra_unavailable.html", status=503)
    except KestraRejected as exc:
        notice = f"Kestra refused the decision: {exc.message}"
        return render_execution(request, app, execution, notice=notice, status=409)
    return redirect(execution_url(app, execution))
