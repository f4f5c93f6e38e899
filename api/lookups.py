"""What the app-runtime endpoints share: the app and the execution a URL names, for this
caller (accounts.policy decides who may), and how the schema tags them. accounts.policy's
refusals become HTTP here: an app one may not use is not found (401 for an anonymous
caller on a private app). Acting on an execution is the use cases' question (403 with the
rule that refused it, api.views.runtime.refused)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.request import Request

from accounts import policy
from api.app_response import Viewer
from api.problems import Problem, app_error
from api.serializers import ProblemSerializer
from apps_catalog.models import App, site_url
from executions import approval_status, interactions
from executions.models import Execution

TAG = "App runtime"
PROBLEM = OpenApiResponse(ProblemSerializer)
LINK_PARAM = OpenApiParameter(
    "link",
    str,
    description="A signed link naming the execution: on a public app, opens it for someone"
    " who neither submitted it nor was granted the app",
)


def usable_app(request: Request, uid: str) -> App:
    """The app, if this caller may use it. Its executions stay reachable outside its
    expiration dates, as in Kestra; what would start a new one asks
    refuse_new_submissions_when_closed too."""
    try:
        return policy.app_for(request.user, uid, started=True)
    except policy.NotFound as refusal:
        raise NotFound(str(refusal)) from None
    except policy.LoginRequired:
        raise NotAuthenticated(_("Log in (or send a token) to use this app.")) from None


def refuse_new_submissions_when_closed(app: App) -> None:
    """An app outside its expiration dates takes no new submission (422), even where the
    same endpoint reaches its started executions."""
    if not app.is_available():
        raise app_error(
            _("App %(id)s is not in a state that accepts this request.") % {"id": repr(app.app_id)}
        )


def execution_of(
    request: Request, app: App, execution_id: str, tracked: Execution | None = None
) -> Execution:
    """The execution, if this caller may open it (interactions.execution_for; `link`: a
    signed link naming it, as on its page), else 404 as if it did not exist. `tracked`:
    read already (tracked_execution), so nothing is adopted."""
    try:
        return interactions.execution_for(
            app,
            execution_id,
            user=request.user,
            session=request.session,
            link=request.query_params.get(LINK_PARAM.name, ""),
            tracked=tracked,
        )
    except interactions.ExecutionNotFound:
        raise NotFound(_("No such execution for this app.")) from None
    except interactions.KestraPageUnavailable:
        raise Problem(503, _(interactions.UNAVAILABLE)) from None


def _session_key(request: Request) -> str:
    return request.session.session_key or ""


def viewer_for(request: Request, app: App, execution: Execution | None) -> Viewer:
    session_key = _session_key(request)
    if execution is None:
        return Viewer(base_url=site_url(request), can_act=False)
    can_act = policy.can_act_now(request.user, execution, session_key=session_key)
    decision = approval_status.decision_status(
        execution, request.user, session_key=session_key, now=timezone.now()
    )
    return Viewer(base_url=site_url(request), can_act=can_act, decision=decision)
