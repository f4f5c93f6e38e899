"""What the app-runtime endpoints share: the app and the execution a URL names, for this
caller (accounts.policy decides who may), and how the schema tags them. accounts.policy's
refusals become HTTP here: an app one may not use is not found (401 for an anonymous
caller on a private app), and acting on an execution needs can_act_on (403)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.request import Request

from accounts import policy
from api.app_response import Viewer
from api.problems import Problem, app_error
from api.serializers import ProblemSerializer
from apps_catalog.models import App, site_url
from executions import interactions
from executions.models import Execution

TAG = "App runtime"
PROBLEM = OpenApiResponse(ProblemSerializer)


def usable_app(request: Request, uid: str) -> App:
    """The app, if this caller may use it now."""
    try:
        return policy.app_for(request.user, uid)
    except policy.NotFound as refusal:
        raise NotFound(str(refusal)) from None
    except policy.LoginRequired:
        raise NotAuthenticated("Log in (or send a token) to use this app.") from None
    except policy.Unavailable as refusal:
        app_id = refusal.app.app_id
        raise app_error(f"App {app_id!r} is not in a state that accepts this request.") from None


def execution_of(app: App, execution_id: str) -> Execution:
    try:
        return interactions.execution_for(app, execution_id)
    except interactions.ExecutionNotFound:
        raise NotFound("No such execution for this app.") from None
    except interactions.KestraPageUnavailable:
        raise Problem(503, interactions.UNAVAILABLE) from None


def _session_key(request: Request) -> str:
    return request.session.session_key or ""


def require_act_on(request: Request, execution: Execution) -> None:
    """403 unless this caller (or their browser session) may act on the execution."""
    try:
        policy.require_act_on(request.user, execution, session_key=_session_key(request))
    except policy.Forbidden as refusal:
        raise PermissionDenied(str(refusal)) from None


def viewer_for(request: Request, app: App, execution: Execution | None) -> Viewer:
    can_act = execution is not None and policy.can_act_on(
        request.user, execution, session_key=_session_key(request)
    )
    return Viewer(base_url=site_url(request), can_act=can_act)
