"""What the app pages share: finding the app and the execution for this person, resolving
the blocks of a stage, and the live part of an execution page."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from apps_catalog.models import App, site_url
from executions import actions, approval_status, forms, interactions, presenters, stages
from executions.blocks import app_stage_blocks
from executions.models import Execution
from kestra_apps import streams

AppView = Callable[..., HttpResponseBase]
LINK = "link"  # the query parameter of a signed link to an execution (policy.execution_link)


def _embeddable(response: HttpResponseBase) -> HttpResponseBase:
    """App pages may be framed by the sites listed in EMBED_ALLOWED_ORIGINS, nothing else."""
    if settings.EMBED_ALLOWED_ORIGINS:
        response._csp_replace = {  # type: ignore[attr-defined]  # read by django-csp
            "frame-ancestors": [SELF, *settings.EMBED_ALLOWED_ORIGINS]
        }
        response.xframe_options_exempt = True  # type: ignore[attr-defined]  # read by Django
    return response


def _app_or_refusal(
    request: HttpRequest, uid: str, known: App | None = None, *, started: bool = False
) -> App | HttpResponse:
    """The app named in the URL for this person (accounts.policy decides), or the answer
    instead: 404, the login page, or 410 outside its expiration dates (not for an
    execution that started: `started`)."""
    try:
        return policy.app_for(request.user, uid, known=known, started=started)
    except policy.NotFound as refusal:
        raise Http404(str(refusal)) from None
    except policy.LoginRequired:
        return redirect_to_login(request.get_full_path())
    except policy.Unavailable as refusal:
        context = {"app": refusal.app, "now": timezone.now()}
        return render(request, "executions/unavailable.html", context, status=410)


def app_view(view: AppView) -> AppView:
    """Resolve the app named in the URL for this person, or answer 404 / the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, uid: str, **kwargs: Any) -> HttpResponseBase:
        app = _app_or_refusal(request, uid)
        if isinstance(app, HttpResponse):
            return app
        return _embeddable(view(request, app, **kwargs))

    return wrapper


def execution_view(view: AppView) -> AppView:
    """As app_view, and the execution named in the URL: read with its app in one query when
    the portal tracks it already, else adopted (interactions.execution_for)."""

    @wraps(view)
    def wrapper(request: HttpRequest, uid: str, execution_id: str) -> HttpResponseBase:
        tracked = interactions.tracked_execution(uid, execution_id)
        app = _app_or_refusal(request, uid, known=tracked.app if tracked else None, started=True)
        if isinstance(app, HttpResponse):
            return app
        execution = execution_or_answer(request, app, execution_id, tracked)
        if isinstance(execution, HttpResponse):
            return execution
        return _embeddable(view(request, app, execution))

    return wrapper


def execution_or_answer(
    request: HttpRequest, app: App, execution_id: str, tracked: Execution | None
) -> Execution | HttpResponse:
    """The execution named in the URL, if this person may open it (`tracked` when the portal
    tracks it under this app, else adopted from Kestra; `?link=` a signed link naming it:
    interactions.execution_for), or the answer instead: 404, or 503 while Kestra is down."""
    try:
        return interactions.execution_for(
            app,
            execution_id,
            user=request.user,
            session=request.session,
            link=request.GET.get(LINK, ""),
            tracked=tracked,
        )
    except interactions.ExecutionNotFound:
        raise Http404(_("No such execution for this app")) from None
    except interactions.KestraPageUnavailable:
        return render(request, "errors/kestra_unavailable.html", status=503)


def can_act_on(request: HttpRequest, execution: Execution) -> bool:
    """accounts.policy.can_act_now for the person and browser session of this request:
    whether the page shows them the execution's buttons."""
    session_key = request.session.session_key or ""
    return policy.can_act_now(request.user, execution, session_key=session_key)


def voter_of(request: HttpRequest) -> interactions.Voter:
    return interactions.Voter(
        user=request.user,
        session_key=request.session.session_key or "",
        actor=actions.Actor.from_request(request),
    )


def blocks(
    request: HttpRequest,
    app: App,
    stage: str,
    execution: Execution | None,
    *,
    inputs: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The stage's blocks as executions/_blocks.html includes them (`inputs`: the OPEN
    form's answers so far)."""
    return app_stage_blocks(app, stage, execution, site_url(request), inputs=inputs).html()


def execution_url(app: App, execution: Execution) -> str:
    kwargs = {"uid": app.uid, "execution_id": execution.public_id}
    return reverse("executions:execution", kwargs=kwargs)


def live_context(
    request: HttpRequest, app: App, execution: Execution, fields: list[forms.Field] | None = None
) -> dict[str, Any]:
    if fields is None and execution.stage == stages.PAUSE:
        fields = forms.resume_fields(execution)
    session_key = request.session.session_key or ""
    return {
        "app": app,
        "execution": execution,
        "stage": execution.stage,
        "blocks": blocks(request, app, execution.stage, execution),
        "can_act": can_act_on(request, execution),
        "fields": fields or [],
        "decision": approval_status.decision_status(
            execution, request.user, session_key=session_key, now=timezone.now()
        ),
        "chain": approval_status.resubmission_chain(execution),
        "failure": presenters.failure_text(execution) if execution.stage == stages.ERROR else "",
    }


def render_execution(
    request: HttpRequest,
    app: App,
    execution: Execution,
    *,
    fields: list[forms.Field] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = live_context(request, app, execution, fields)
    context["notice"] = notice
    # Errors shown now stay until the execution itself changes: the version ignores them.
    context["version"] = live_version(app, execution, context["can_act"])
    context["live_interval_ms"] = round(settings.LIVE_POLL_SECONDS * 1000)
    context["streamed"] = streams.served(request)
    return render(request, "executions/execution.html", context, status=status)


def live_version(app: App, execution: Execution, can_act: bool) -> str:
    """A fingerprint of everything the live part shows, computed without rendering it, so
    the browser's once-a-second question "anything new?" is answered cheaply."""
    shown = [app.updated.isoformat(), execution.shown_version, can_act]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]
