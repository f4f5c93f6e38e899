"""The app pages: the form (OPEN), an execution's live page, its files, and the actions."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import LoginRequired, app_for_request, can_act_on
from apps_catalog.models import App
from executions import actions, forms, layout, presenters, services, stages
from executions.adoption import execution_adopt
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution

AppView = Callable[..., HttpResponse]

UNAVAILABLE = (
    "Kestra cannot be reached right now, so this form cannot be shown."
    " Please try again in a minute."
)
QUEUED_NOTICE = (
    "Kestra is not answering right now. You can still submit: your request is kept and sent"
    " as soon as Kestra is back."
)
FLOW_MISSING = "This app's flow does not exist in Kestra. Please tell the app's administrator."
FIX_FIELDS = "Please correct the fields below."


def app_view(view: AppView) -> AppView:
    """Resolve the app named in the URL for this person, or answer 404 / the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, uid: str, **kwargs: Any) -> HttpResponse:
        try:
            app = app_for_request(request, uid)
        except LoginRequired:
            return redirect_to_login(request.get_full_path())
        if not app.is_available():
            context = {"app": app, "now": timezone.now()}
            return render(request, "executions/unavailable.html", context, status=410)
        return view(request, app, **kwargs)

    return wrapper


def _app_url(request: HttpRequest, app: App) -> str:
    path = app.get_absolute_url()
    if settings.PORTAL_BASE_URL:
        return f"{settings.PORTAL_BASE_URL}{path}"
    return request.build_absolute_uri(path)


def _blocks(
    request: HttpRequest, app: App, stage: str, execution: Execution | None
) -> list[dict[str, Any]]:
    definition = app.parsed
    snapshot: dict[str, Any] = {}
    if execution is not None:
        snapshot = {**execution.snapshot, "inputs": presenters.execution_inputs(execution)}
    context = layout.expression_context(
        definition=definition,
        uid=app.uid,
        app_url=_app_url(request, app),
        execution=snapshot,
        outputs=execution.outputs if execution else None,
        task_outputs=execution.task_outputs if execution else None,
    )
    return [
        {"block": block, "data": presenters.block_data(block, execution)}
        for block in layout.resolve(definition, stage, context)
    ]


# The form (OPEN)


def _render_open(
    request: HttpRequest,
    app: App,
    fields: list[forms.Field],
    *,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "app": app,
        "stage": stages.OPEN,
        "blocks": _blocks(request, app, stages.OPEN, None),
        "fields": fields,
        "notice": notice,
    }
    return render(request, "executions/app.html", context, status=status)


def _validate(app: App, values: dict[str, str], files: dict[str, UploadedFile]) -> dict[str, Any]:
    definition = app.parsed
    return get_client().validate_inputs(
        definition.namespace,
        definition.flow_id,
        values,
        forms.file_fields(files),
        revision=definition.flow_revision,
    )


@require_http_methods(["GET", "POST"])
@app_view
def app_page(request: HttpRequest, app: App) -> HttpResponse:
    execution_id = app.parsed.execution_id
    if execution_id:
        if request.method != "GET":
            return HttpResponse("This app shows one execution and starts none.", status=405)
        try:
            return _render_execution(request, app, _execution_for(app, execution_id))
        except KestraPageUnavailable:
            return render(request, "errors/kestra_unavailable.html", status=503)
    if request.method == "POST":
        return _submit(request, app)
    try:
        flow = forms.flow_definition(app)
        if forms.is_static(flow):
            # Nothing depends on anything: the cached flow is enough, Kestra is not asked.
            return _render_open(request, app, forms.fields_from_flow(flow))
        result = _validate(app, {}, {})
    except KestraNotFound:
        return _render_open(request, app, [], notice=FLOW_MISSING, status=503)
    except KestraUnavailable:
        if not app.flow_snapshot:
            return _render_open(request, app, [], notice=UNAVAILABLE, status=503)
        return _render_open(
            request, app, forms.fields_from_flow(app.flow_snapshot), notice=QUEUED_NOTICE
        )
    except KestraRejected as exc:
        notice = f"Kestra refused the form: {exc.message}"
        return _render_open(request, app, [], notice=notice, status=503)
    return _render_open(request, app, forms.fields_from_validation(result, show_errors=False))


def _submit(request: HttpRequest, app: App) -> HttpResponse:
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
    except KestraNotFound:
        return _render_open(request, app, [], notice=FLOW_MISSING, status=503)
    except KestraError:
        return _render_open(request, app, [], notice=UNAVAILABLE, status=503)
    values = forms.read_values(request.POST, inputs)
    files, too_large = forms.read_files(request.FILES, inputs)
    try:
        result: dict[str, Any] | None = _validate(app, values, files)
    except KestraUnavailable:
        result = None  # stored and queued: a worker delivers it once Kestra answers again
    except KestraRejected as exc:
        notice = f"Kestra refused the form: {exc.message}"
        return _render_open(request, app, [], notice=notice, status=400)
    if result is not None:
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return _render_open(request, app, fields, notice=FIX_FIELDS, status=400)
        enabled = {f.id for f in fields}
        values = {key: value for key, value in values.items() if key in enabled}
        files = {key: upload for key, upload in files.items() if key in enabled}
    elif too_large:
        fields = forms.fields_from_flow({"inputs": inputs}, values, extra_errors=too_large)
        return _render_open(request, app, fields, notice=FIX_FIELDS, status=400)
    if not request.session.session_key:
        request.session.save()
    execution = services.execution_submit(
        app=app,
        values=values,
        shown=forms.shown_values(values, inputs),
        files=files,
        user=request.user,
        session_key=request.session.session_key or "",
    )
    return redirect(_execution_url(app, execution))


@require_POST
@app_view
def app_validate(request: HttpRequest, app: App) -> HttpResponse:
    """The form's fields for what has been typed so far: conditional inputs and dynamic
    values follow the answers. Files are not sent here; they are checked on submit."""
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
        values = forms.read_values(request.POST, inputs)
        result = _validate(app, values, {})
    except KestraError:
        return HttpResponse(status=204)  # keep the form as it is
    fields = forms.fields_from_validation(result, values)
    return render(request, "inputs/fields.html", {"fields": fields})


# One execution


def _execution_url(app: App, execution: Execution) -> str:
    kwargs = {"uid": app.uid, "execution_id": execution.public_id}
    return reverse("executions:execution", kwargs=kwargs)


def _execution_for(app: App, execution_id: str) -> Execution:
    """The execution, tracked under this app; one started outside the portal is looked up
    in Kestra once (it must be of the app's flow) and tracked from then on. An execution
    tracked under another app is not shown here, even on the same flow: that app's access
    rules apply to it."""
    execution = (
        Execution.objects.select_related("app")
        .filter(Q(kestra_id=execution_id) | Q(token=execution_id), app=app)
        .first()
    )
    if execution is None and not Execution.objects.filter(kestra_id=execution_id).exists():
        try:
            execution = execution_adopt(app=app, kestra_id=execution_id)
        except KestraUnavailable:
            raise KestraPageUnavailable from None
    if execution is None:
        raise Http404("No such execution for this app")
    return execution


class KestraPageUnavailable(Exception):
    """The page needs Kestra once (an execution seen for the first time) and it is down."""


def _live_context(
    request: HttpRequest, app: App, execution: Execution, fields: list[forms.Field] | None = None
) -> dict[str, Any]:
    if fields is None and execution.stage == stages.PAUSE:
        fields = forms.fields_from_validation(execution.resume_form, show_errors=False)
    return {
        "app": app,
        "execution": execution,
        "stage": execution.stage,
        "blocks": _blocks(request, app, execution.stage, execution),
        "can_act": can_act_on(request, app, execution),
        "fields": fields or [],
    }


def _render_execution(
    request: HttpRequest,
    app: App,
    execution: Execution,
    *,
    fields: list[forms.Field] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = _live_context(request, app, execution, fields)
    context["notice"] = notice
    context["live"] = render_to_string("executions/_live.html", context, request=request)
    # Errors shown now stay until the execution itself changes: the version ignores them.
    context["version"] = _version(app, execution, context["can_act"])
    return render(request, "executions/execution.html", context, status=status)


def _with_execution(view: AppView) -> AppView:
    @wraps(view)
    def wrapper(request: HttpRequest, app: App, execution_id: str) -> HttpResponse:
        try:
            execution = _execution_for(app, execution_id)
        except KestraPageUnavailable:
            return render(request, "errors/kestra_unavailable.html", status=503)
        return view(request, app, execution)

    return wrapper


@require_GET
@app_view
@_with_execution
def execution_page(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    return _render_execution(request, app, execution)


def _version(app: App, execution: Execution, can_act: bool) -> str:
    """A fingerprint of everything the live part shows, computed without rendering it, so
    the browser's once-a-second question "anything new?" is answered cheaply."""
    history = execution.snapshot.get("state", {}).get("histories") or []
    shown = [
        app.updated.isoformat(),
        execution.stage,
        execution.state,
        execution.delivery,
        execution.error,
        len(history),
        execution.outputs,
        execution.task_outputs,
        execution.resume_form,
        execution.logs.count(),
        can_act,
    ]
    encoded = json.dumps(shown, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


@require_GET
@app_view
@_with_execution
def execution_live(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    """The page's changing part; 204 when it is the same as the version the browser has."""
    can_act = can_act_on(request, app, execution)
    version = _version(app, execution, can_act)
    if request.GET.get("v") == version:
        response = HttpResponse(status=204)
    else:
        context = _live_context(request, app, execution)
        response = HttpResponse(render_to_string("executions/_live.html", context, request=request))
    response["X-Live-Version"] = version
    response["X-Live-Final"] = "1" if execution.is_final else "0"
    response["Cache-Control"] = "no-store"
    return response


def _file_path(request: HttpRequest, execution: Execution) -> str:
    path = request.GET.get("path", "")
    if path and (path not in presenters.known_files(execution) or not execution.kestra_id):
        raise Http404("This execution has no such file")
    return path


@require_GET
@app_view
@_with_execution
def execution_file(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    path = _file_path(request, execution)
    if not path:
        return HttpResponseBadRequest("The path of the file is missing.")
    try:
        chunks, _headers = get_client().download(execution.kestra_id or "", path)
    except KestraNotFound:
        raise Http404("The file is no longer in Kestra") from None
    except KestraError:
        return render(request, "errors/kestra_unavailable.html", status=503)
    name = presenters.file_name(path)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@app_view
@_with_execution
def execution_file_preview(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    path = _file_path(request, execution)
    if not path:
        return HttpResponseBadRequest("The path of the file is missing.")
    try:
        rendered = get_client().preview(execution.kestra_id or "", path)
    except KestraNotFound:
        raise Http404("The file is no longer in Kestra") from None
    except KestraRejected:
        rendered = {}
    except KestraError:
        return render(request, "errors/kestra_unavailable.html", status=503)
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
@_with_execution
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
    return redirect(_execution_url(app, execution))


@require_POST
@app_view
@_with_execution
def execution_resume(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    refused = _refuse_unless_allowed(request, app, execution)
    if refused:
        return refused
    if execution.stage != stages.PAUSE or not execution.kestra_id:
        notice = "This request is not waiting for a decision any more."
        return _render_execution(request, app, execution, notice=notice, status=409)
    inputs = [entry.get("input") or {} for entry in execution.resume_form.get("inputs") or []]
    values = forms.read_values(request.POST, inputs)
    files, too_large = forms.read_files(request.FILES, inputs)
    client = get_client()
    try:
        result = client.validate_resume(execution.kestra_id, values, forms.file_fields(files))
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return _render_execution(
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
        return _render_execution(request, app, execution, notice=notice, status=409)
    return redirect(_execution_url(app, execution))
