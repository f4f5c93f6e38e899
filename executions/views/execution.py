"""One execution's pages: the page, its live part, its files, and the actions on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps_catalog.models import App, site_url
from executions import interactions, presenters, services
from executions.blocks import LogFilter, app_stage_blocks, log_text, shown_logs
from executions.kestra import (
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution
from executions.views.common import (
    can_act_on,
    execution_url,
    execution_view,
    live_context,
    live_version,
    render_execution,
    voter_of,
)


@require_GET
@execution_view
def execution_page(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    return render_execution(request, app, execution)


@require_GET
@execution_view
def execution_live(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    """The page's changing part; 204 when it is the same as the version the browser has."""
    services.execution_watch(execution=execution)  # poll it every second while it is open
    can_act = can_act_on(request, execution)
    version = live_version(app, execution, can_act)
    if request.GET.get("v") == version:
        response = HttpResponse(status=204)
    else:
        context = live_context(request, app, execution)
        response = HttpResponse(render_to_string("executions/_live.html", context, request=request))
    response["X-Live-Version"] = version
    response["X-Live-Final"] = "1" if execution.is_settled else "0"
    response["Cache-Control"] = "no-store"
    return response


FileView = Callable[[HttpRequest, App, Execution, str], HttpResponseBase]


def _file_view(view: FileView) -> Callable[..., HttpResponseBase]:
    """A GET of one of the execution's files, from Kestra: 400 without a path, 404 for any
    other file or one Kestra no longer has, 503 while Kestra cannot be reached."""

    @wraps(view)
    def wrapper(request: HttpRequest, app: App, execution: Execution) -> HttpResponseBase:
        path = request.GET.get("path", "")
        if not path:
            return HttpResponseBadRequest(_("The path of the file is missing."))
        if path not in presenters.known_files(execution) or not execution.kestra_id:
            raise Http404(_("This execution has no such file"))
        try:
            return view(request, app, execution, path)
        except KestraRejected:
            raise Http404(_("The file is no longer in Kestra")) from None
        except KestraUnavailable:
            return render(request, "errors/kestra_unavailable.html", status=503)

    return require_GET(execution_view(wrapper))


@_file_view
def execution_file(
    request: HttpRequest, app: App, execution: Execution, path: str
) -> StreamingHttpResponse:
    chunks, _headers = get_client().download(execution.kestra_id or "", path)
    return StreamingHttpResponse(chunks, headers=presenters.download_headers(path))


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
        "preview": presenters.file_preview(path, rendered),
    }
    template = (
        "executions/_preview.html" if request.GET.get("partial") else "executions/preview.html"
    )
    return render(request, template, context)


@require_GET
@execution_view
def execution_logs(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    """The log lines the page shows (its stage's Logs blocks, through their filters) as a
    text file; empty where the page shows no logs."""
    shown = app_stage_blocks(app, execution.stage, execution, site_url(request)).log_filters()
    text = log_text(shown_logs(execution, shown, LogFilter()))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = presenters.attachment(f"{execution.public_id}.log")
    response["Cache-Control"] = "no-store"
    return response


ActionView = Callable[[HttpRequest, App, Execution], HttpResponse]


def _action_view(view: ActionView) -> Callable[..., HttpResponseBase]:
    """A POST that acts on the execution; who may is the use case's question (the approval
    policy on a pause, accounts.policy.can_act_on otherwise), answered 403 with the rule."""
    return require_POST(execution_view(view))


def _after_action(
    request: HttpRequest, app: App, execution: Execution, outcome: interactions.Outcome
) -> HttpResponse:
    """Back to the execution when done (with what happened, when there is something to
    say); otherwise its page again, saying why."""
    if outcome.ok:
        if outcome.notice:
            messages.info(request, outcome.notice)
        return redirect(execution_url(app, execution))
    if outcome.result is interactions.Result.UNAVAILABLE:
        return render(request, "errors/kestra_unavailable.html", status=503)
    status = interactions.STATUS_OF[outcome.result]
    fields = outcome.fields or None
    return render_execution(
        request, app, execution, fields=fields, notice=outcome.notice, status=status
    )


@_action_view
def execution_cancel(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    outcome = interactions.cancel(
        app=app, execution=execution, voter=voter_of(request), post=request.POST
    )
    return _after_action(request, app, execution, outcome)


@_action_view
def execution_resume(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    outcome = interactions.resume(
        app=app,
        execution=execution,
        post=request.POST,
        uploaded=request.FILES,
        voter=voter_of(request),
    )
    return _after_action(request, app, execution, outcome)


@_action_view
def execution_changes(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    outcome = interactions.request_changes(
        app=app, execution=execution, voter=voter_of(request), post=request.POST
    )
    return _after_action(request, app, execution, outcome)


@_action_view
def execution_delegate(request: HttpRequest, app: App, execution: Execution) -> HttpResponse:
    outcome = interactions.delegate(execution=execution, voter=voter_of(request), post=request.POST)
    return _after_action(request, app, execution, outcome)
