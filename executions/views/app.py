"""The app's own page: the form (OPEN), its submission and its live validation; for an app
bound to one execution, that execution."""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps_catalog.models import App
from executions import dispatch, forms, stages, throttle
from executions.kestra import (
    KestraError,
)
from executions.views.common import (
    app_view,
    blocks,
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


@require_http_methods(["GET", "POST"])
@app_view
def app_page(request: HttpRequest, app: App) -> HttpResponse:
    execution_id = app.parsed.execution_id
    if execution_id:
        if request.method != "GET":
            return HttpResponse("This app shows one execution and starts none.", status=405)
        try:
            return render_execution(request, app, dispatch.execution_for(app, execution_id))
        except dispatch.KestraPageUnavailable:
            return render(request, "errors/kestra_unavailable.html", status=503)
    if request.method == "POST":
        return _submit(request, app)
    outcome = dispatch.open_form(app)
    return _render_open(request, app, outcome.fields, notice=outcome.notice, status=outcome.status)


def _submit(request: HttpRequest, app: App) -> HttpResponse:
    if request.POST.get(HONEYPOT):
        # A field people never see was filled in: a bot, most likely. Nothing is stored.
        return render(request, "errors/automated.html", status=400)
    allowed, wait = throttle.allow_submission(request)
    if not allowed:
        response = render(request, "errors/429.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    outcome = dispatch.submit(
        app=app,
        post=request.POST,
        uploaded=request.FILES,
        user=request.user,
        session=request.session,
    )
    if outcome.execution is None:
        return _render_open(
            request, app, outcome.fields, notice=outcome.notice, status=outcome.status
        )
    return redirect(execution_url(app, outcome.execution))


@require_POST
@app_view
def app_validate(request: HttpRequest, app: App) -> HttpResponse:
    """The form's fields for what has been typed so far: conditional inputs and dynamic
    values follow the answers. Files are not sent here; they are checked on submit."""
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
        values = forms.read_values(request.POST, inputs)
        result = dispatch.validate(app, values, {})
    except KestraError:
        return HttpResponse(status=204)  # keep the form as it is
    fields = forms.fields_from_validation(result, values)
    return render(request, "inputs/fields.html", {"fields": fields})
