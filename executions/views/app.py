"""The app's own page: the form (OPEN), its submission and its live validation; for an app
bound to one execution, that execution."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps_catalog.models import App, app_url, site_url
from executions import forms, interactions, stages, throttle
from executions.kestra import (
    KestraError,
)
from executions.models import Execution
from executions.views.common import (
    app_view,
    blocks,
    execution_or_answer,
    execution_url,
    render_execution,
)

HONEYPOT = "website"
RESUBMIT = "resubmit"  # ?resubmit=<id>: change and submit again a request sent back
RESUBMIT_FIELD = "portal.resubmits"
OPEN_BLOCKS_SECONDS = 60


def _render_open(
    request: HttpRequest,
    app: App,
    fields: list[forms.Field],
    *,
    notice: str = "",
    status: int = 200,
    resubmits: Execution | None = None,
) -> HttpResponse:
    context = {
        "app": app,
        "stage": stages.OPEN,
        "blocks_html": _open_blocks_html(request, app, fields, cached=resubmits is None),
        "notice": notice,
        "resubmits": resubmits,
        "resubmit_field": RESUBMIT_FIELD,
    }
    return render(request, "executions/app.html", context, status=status)


def _open_blocks_html(
    request: HttpRequest, app: App, fields: list[forms.Field], *, cached: bool = True
) -> str:
    """The OPEN stage's blocks as HTML. Everyone opening an app in one language sees the
    same form until the app, its flow's inputs or the address it is reached at change, so
    the HTML is kept a minute under a digest of exactly those and the language; forms
    shown with answers or errors are not, nor is one filled in again for a resubmission
    (`cached=False`)."""
    url = app_url(app.uid, site_url(request))
    fresh = request.method == "GET" and cached
    key = ""
    if fresh:
        language = translation.get_language()
        shown = repr((app.pk, app.updated.isoformat(), url, fields, language)).encode()
        key = f"open-blocks:{hashlib.sha256(shown).hexdigest()}"
        html = cache.get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 - rendered below by the template engine
    context = {"app": app, "stage": stages.OPEN, "fields": fields}
    context["blocks"] = blocks(request, app, stages.OPEN, None, inputs=forms.answers(fields))
    html = render_to_string("executions/_blocks.html", context)
    if fresh:
        cache.set(key, str(html), OPEN_BLOCKS_SECONDS)
    return html


@require_http_methods(["GET", "POST"])
@app_view
def app_page(request: HttpRequest, app: App) -> HttpResponse:
    execution_id = app.parsed.execution_id
    if execution_id:
        if request.method != "GET":
            return HttpResponse(_("This app shows one execution and starts none."), status=405)
        tracked = interactions.tracked_execution(app.uid, execution_id)
        execution = execution_or_answer(request, app, execution_id, tracked)
        if isinstance(execution, HttpResponse):
            return execution
        return render_execution(request, app, execution)
    resubmits = _resubmitting(request, app)
    if request.method == "POST":
        return _submit(request, app, resubmits)
    values = interactions.earlier_answers(resubmits) if resubmits else None
    outcome = interactions.open_form(app, values)
    status = interactions.STATUS_OF[outcome.result]
    return _render_open(
        request, app, outcome.fields, notice=outcome.notice, status=status, resubmits=resubmits
    )


def _resubmitting(request: HttpRequest, app: App) -> Execution | None:
    """The request sent back for changes that this form changes (`?resubmit=<id>` in the
    link, then a hidden field), if this person made it."""
    named = request.GET.get(RESUBMIT) or request.POST.get(RESUBMIT_FIELD) or ""
    if not named:
        return None
    session_key = request.session.session_key or ""
    return interactions.resubmitting(app, named, request.user, session_key)


def _submit(request: HttpRequest, app: App, resubmits: Execution | None) -> HttpResponse:
    if request.POST.get(HONEYPOT):
        # A field people never see was filled in: a bot, most likely. Nothing is stored.
        return render(request, "errors/automated.html", status=400)
    allowed, wait = throttle.allow_submission(request)
    if not allowed:
        response = render(request, "errors/429.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    outcome = interactions.submit(
        app=app,
        post=request.POST,
        uploaded=request.FILES,
        user=request.user,
        session=request.session,
        resubmits=resubmits,
    )
    if outcome.execution is None:
        status = interactions.STATUS_OF[outcome.result]
        return _render_open(
            request, app, outcome.fields, notice=outcome.notice, status=status, resubmits=resubmits
        )
    return redirect(execution_url(app, outcome.execution))


@require_POST
@app_view
def app_validate(request: HttpRequest, app: App) -> HttpResponse:
    """The form's fields for what has been typed so far: conditional inputs and dynamic
    values follow the answers. Files are not sent here; they are checked on submit. The
    OPEN stage's Markdown blocks follow them too: drawn again with these answers, each in a
    <template> the page swaps in (static/portal/form.js)."""
    allowed, wait = throttle.allow_validation(request)
    if not allowed:  # the form stays as it is; the values are checked again on submit
        return HttpResponse(status=429, headers={"Retry-After": str(wait)})
    try:
        flow = forms.flow_definition(app)
        values = forms.read_values(request.POST, forms.flow_inputs(flow))
        result = interactions.validate(app, values, {})
    except KestraError:
        return HttpResponse(status=204)  # keep the form as it is
    fields = forms.fields_from_validation(result, values, flow=flow)
    shown = blocks(request, app, stages.OPEN, None, inputs=forms.answers(fields))
    markdown = [(i, item) for i, item in enumerate(shown) if item["block"].type == "Markdown"]
    return render(request, "inputs/validated.html", {"fields": fields, "markdown": markdown})
