"""The app's own page: the form (OPEN), its submission and its live validation; for an app
bound to one execution, that execution."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps_catalog.models import App
from executions import forms, services, stages, throttle
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.views.common import (
    FIX_FIELDS,
    FLOW_MISSING,
    QUEUED_NOTICE,
    UNAVAILABLE,
    KestraPageUnavailable,
    app_view,
    blocks,
    execution_for,
    execution_url,
    render_execution,
)

HONEYPOT = "website"


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
        "blocks": blocks(request, app, stages.OPEN, None),
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
            return render_execution(request, app, execution_for(app, execution_id))
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
    if request.POST.get(HONEYPOT):
        # A field people never see was filled in: a bot, most likely. Nothing is stored.
        return render(request, "errors/automated.html", status=400)
    allowed, wait = throttle.allow_submission(request)
    if not allowed:
        response = render(request, "errors/429.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
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
    return redirect(execution_url(app, execution))


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
