"""The app pages: the form (OPEN), an execution's live page, its files, and cancel."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
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
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution

AppView = Callable[..., HttpResponse]


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
    return (
        f"{settings.PORTAL_BASE_URL}{path}"
        if settings.PORTAL_BASE_URL
        else request.build_absolute_uri(path)
    )


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
    )
    return [
        {"block": block, "data": presenters.block_data(block, execution)}
        for block in layout.resolve(definition, stage, context)
    ]


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


UNAVAILABLE = (
    "Kestra cannot be reached right now, so this form cannot be shown."
    " Please try again in a minute."
)
QUEUED_NOTICE = (
    "Kestra is not answering right now. You can still submit: your request is kept and sent"
    " as soon as Kestra is back."
)
FLOW_MISSING = "This app's flow does not exist in Kestra. Please tell the app's administrator."


@require_http_methods(["GET", "POST"])
@app_view
def app_page(request: HttpRequest, app: App) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, app)
    definition = app.parsed
    try:
        forms.flow_definition(app)  # refreshes the copy that serves while Kestra is down
        result = get_client().validate_inputs(
            definition.namespace, definition.flow_id, {}, revision=definition.flow_revision
        )
    except KestraNotFound:
        return _render_open(request, app, [], notice=FLOW_MISSING, status=503)
    except KestraUnavailable:
        if not app.flow_snapshot:
            return _render_open(request, app, [], notice=UNAVAILABLE, status=503)
        fields = forms.fields_from_flow(app.flow_snapshot)
        return _render_open(request, app, fields, notice=QUEUED_NOTICE)
    except KestraRejected as exc:
        return _render_open(
            request, app, [], notice=f"Kestra refused the form: {exc.message}", status=503
        )
    fields = forms.fields_from_validation(result)
    for field in fields:
        field.errors = []  # shown only once the person has submitted
    return _render_open(request, app, fields)


def _submit(request: HttpRequest, app: App) -> HttpResponse:
    definition = app.parsed
    client = get_client()
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
    except KestraNotFound:
        return _render_open(request, app, [], notice=FLOW_MISSING, status=503)
    except KestraError:
        return _render_open(request, app, [], notice=UNAVAILABLE, status=503)
    values = forms.read_values(request.POST, inputs)
    try:
        result = client.validate_inputs(
            definition.namespace, definition.flow_id, values, revision=definition.flow_revision
        )
    except KestraUnavailable:
        result = None  # stored and queued: a worker delivers it once Kestra answers again
    except KestraRejected as exc:
        return _render_open(
            request, app, [], notice=f"Kestra refused the form: {exc.message}", status=400
        )
    if result is not None:
        fields = forms.fields_from_validation(result, values)
        if forms.has_errors(fields):
            return _render_open(
                request, app, fields, notice="Please correct the fields below.", status=400
            )
        enabled = {f.id for f in fields}
        values = {key: value for key, value in values.items() if key in enabled}
    if not request.session.session_key:
        request.session.save()
    execution = services.execution_submit(
        app=app,
        values=values,
        shown=forms.shown_values(values, inputs),
        user=request.user,
        session_key=request.session.session_key or "",
    )
    return redirect(_execution_url(app, execution), permanent=False)


def _execution_url(app: App, execution: Execution) -> str:
    return reverse(
        "executions:execution", kwargs={"uid": app.uid, "execution_id": execution.public_id}
    )


def _execution_for(app: App, execution_id: str) -> Execution:
    execution = (
        Execution.objects.select_related("app")
        .filter(Q(kestra_id=execution_id) | Q(token=execution_id), app=app)
        .first()
    )
    if execution is None:
        raise Http404("No such execution for this app")
    return execution


def _live_context(request: HttpRequest, app: App, execution: Execution) -> dict[str, Any]:
    return {
        "app": app,
        "execution": execution,
        "stage": execution.stage,
        "blocks": _blocks(request, app, execution.stage, execution),
        "can_act": can_act_on(request, app, execution),
        "fields": [],
    }


@require_GET
@app_view
def execution_page(request: HttpRequest, app: App, execution_id: str) -> HttpResponse:
    execution = _execution_for(app, execution_id)
    context = _live_context(request, app, execution)
    context["live"] = render_to_string("executions/_live.html", context, request=request)
    context["version"] = _version(context["live"])
    return render(request, "executions/execution.html", context)


_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def _version(html: str) -> str:
    """What changed, ignoring the CSRF token that is masked anew on every render."""
    return hashlib.sha256(_CSRF_INPUT.sub("", html).encode()).hexdigest()[:16]


@require_GET
@app_view
def execution_live(request: HttpRequest, app: App, execution_id: str) -> HttpResponse:
    """The page's changing part; 204 when it is the same as the version the browser has."""
    execution = _execution_for(app, execution_id)
    html = render_to_string(
        "executions/_live.html", _live_context(request, app, execution), request=request
    )
    version = _version(html)
    response = HttpResponse(status=204) if request.GET.get("v") == version else HttpResponse(html)
    response["X-Live-Version"] = version
    response["X-Live-Final"] = "1" if execution.is_final else "0"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@app_view
def execution_file(request: HttpRequest, app: App, execution_id: str) -> HttpResponse:
    execution = _execution_for(app, execution_id)
    path = request.GET.get("path", "")
    if not path:
        return HttpResponseBadRequest("The path of the file is missing.")
    if path not in presenters.known_files(execution) or not execution.kestra_id:
        raise Http404("This execution has no such file")
    try:
        chunks, _headers = get_client().download(execution.kestra_id, path)
    except KestraNotFound:
        raise Http404("The file is no longer in Kestra") from None
    except KestraError:
        return render(request, "errors/kestra_unavailable.html", status=503)
    name = path.rsplit("/", 1)[-1]
    response = StreamingHttpResponse(
        chunks, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@app_view
def execution_cancel(request: HttpRequest, app: App, execution_id: str) -> HttpResponse:
    execution = _execution_for(app, execution_id)
    if not can_act_on(request, app, execution):
        return render(request, "errors/403.html", status=403)
    try:
        actions.execution_cancel(execution=execution)
    except KestraError:
        return render(request, "errors/kestra_unavailable.html", status=503)
    execution.refresh_from_db()
    return redirect(_execution_url(app, execution))
