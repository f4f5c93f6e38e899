"""Using an app through the API: its view, dispatching its actions, following it as
server-sent events. Who may do what is accounts.policy, exactly as for the web pages
(api.lookups turns its refusals into HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import QueryDict, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api import tokens
from api.app_response import app_response
from api.lookups import (
    LINK_PARAM,
    PROBLEM,
    execution_of,
    refuse_new_submissions_when_closed,
    usable_app,
    viewer_for,
)
from api.media import EventStreamRenderer
from api.problems import Problem, app_error
from api.serializers import AppResponseSerializer
from api.streams import LayoutStream
from api.views.base import RuntimeView
from apps_catalog import approval
from apps_catalog.models import App
from executions import actions, forms, interactions, throttle
from executions.blocks import CREATE, RESUME
from executions.kestra import KestraError
from executions.models import Execution
from kestra_apps.streams import RETRY_SECONDS, open_stream

EXECUTION_PARAM = OpenApiParameter(
    "executionId", str, description="Show the app on this execution instead of its form"
)
# Parts named portal.* are the portal's own, not inputs (an input id starting with
# "portal." is reserved): portal.comment goes with a vote; portal.action=CHANGES on a
# cancel dispatch sends the request back for changes.
PORTAL_PART = "portal."
ACTION_FIELD = "portal.action"


def app_target(
    app: App, read: Callable[[str], tokens.Target], token: str, missing: str
) -> tokens.Target:
    """What a dispatch or stream token names, if it is a token of this app's; else 404
    saying `missing` (a whole sentence, so that it translates)."""
    try:
        target = read(token)
    except tokens.BadToken:
        raise NotFound(missing) from None
    if target.uid != app.uid:
        raise NotFound(missing)
    return target


def open_fields(app: App) -> tuple[list[forms.Field], str]:
    outcome = interactions.open_form(app)
    if not outcome.ok:
        raise Problem(503, outcome.notice)
    return outcome.fields, outcome.notice


def view_of(request: Request, app: App, execution: Execution | None) -> dict[str, Any]:
    if execution is not None:
        return app_response(app, execution, viewer_for(request, app, execution))
    fields, notice = open_fields(app)
    body = app_response(app, None, viewer_for(request, app, None), fields=fields)
    return {**body, "notice": notice} if notice else body


class AppViewView(RuntimeView):
    @extend_schema(
        operation_id="openAppView",
        summary="The app's current layout, resolved, with the tokens of its actions",
        parameters=[EXECUTION_PARAM, LINK_PARAM],
        responses={200: AppResponseSerializer, 401: PROBLEM, 404: PROBLEM, 422: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str) -> Response:
        app = usable_app(request, uid)
        execution_id = app.parsed.execution_id or request.query_params.get("executionId")
        if not execution_id:
            refuse_new_submissions_when_closed(app)
        execution = execution_of(request, app, execution_id) if execution_id else None
        return Response(view_of(request, app, execution))


def browser_session(request: Request) -> SessionBase | None:
    """The session an anonymous submission is tied to (so the same browser may cancel it).

    Only a browser's, and only once the request passed the CSRF check its pages pass too:
    a session cookie alone must not let another site act for that browser. API clients
    (tokens, basic auth, no cookie) get no session.
    """
    if isinstance(request.successful_authenticator, SessionAuthentication):
        return request.session  # DRF has checked CSRF already
    if request.user.is_authenticated or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    SessionAuthentication().enforce_csrf(request)
    return request.session


def form_post(request: Request, inputs: Sequence[Mapping[str, Any]]) -> tuple[QueryDict, dict]:
    """Kestra's multipart (a part per input, named by its id) as the forms module reads
    it (`input.<id>`); the portal's own parts (`portal.*`) as they are. A MULTISELECT may
    come as Kestra's JSON list in one part."""
    multiselect = {str(i.get("id")) for i in inputs if i.get("type") == "MULTISELECT"}
    post = QueryDict(mutable=True)
    for key in request.data:
        if key in request.FILES:
            continue
        if key.startswith(PORTAL_PART):  # the portal's own parts (a comment), not inputs
            post.setlist(key, request.data.getlist(key))  # type: ignore[attr-defined]
            continue
        name = key.removeprefix(forms.FIELD_PREFIX)
        for value in request.data.getlist(key):  # type: ignore[attr-defined]  # a QueryDict
            post.setlist(
                f"{forms.FIELD_PREFIX}{name}",
                [
                    *post.getlist(f"{forms.FIELD_PREFIX}{name}"),
                    *_values(name in multiselect, value),
                ],
            )
    files = {
        f"{forms.FIELD_PREFIX}{key.removeprefix(forms.FIELD_PREFIX)}": f
        for key, f in request.FILES.items()
    }
    return post, files


def _values(multiselect: bool, value: str) -> list[str]:
    if multiselect and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        if isinstance(parsed, list):
            return [str(item) for item in parsed]
    return [value]


def refused(outcome: interactions.Outcome) -> Problem:
    """A dispatch Kestra or the portal refused, as a problem document."""
    if outcome.result is interactions.Result.UNAVAILABLE:
        return Problem(503, outcome.notice)
    errors = [
        {"path": field.id, "message": message}
        for field in outcome.fields
        for message in field.errors
    ]
    if outcome.result is interactions.Result.FORBIDDEN:
        return Problem(
            403, outcome.notice, errors=[{"rule": outcome.rule, "message": outcome.notice}]
        )
    if outcome.result is interactions.Result.CONFLICT:
        detail = _("The app is not in a state that accepts this request: %(reason)s") % {
            "reason": outcome.notice
        }
        rule = [{"rule": outcome.rule, "message": outcome.notice}] if outcome.rule else []
        return app_error(detail, rule)
    if outcome.rule:
        comment = interactions.COMMENT_FIELD
        errors.append({"path": comment, "rule": outcome.rule, "message": outcome.notice})
    return app_error(outcome.notice or _("The request is not valid."), errors)


class DispatchView(RuntimeView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="dispatchApp",
        summary="Run the action a dispatch token names: create, resume or cancel an execution",
        description=(
            "Multipart form data: one part per input, named by the input's id (files as"
            " file parts), as Kestra's execution endpoints take them."
        ),
        request={"multipart/form-data": {"type": "object", "additionalProperties": True}},
        responses={
            200: AppResponseSerializer,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            422: PROBLEM,
            429: PROBLEM,
            503: PROBLEM,
        },
    )
    def post(self, request: Request, tenant: str, uid: str, dispatch_token: str) -> Response:
        app = usable_app(request, uid)
        target = app_target(
            app, tokens.read_dispatch, dispatch_token, _("No such action for this app.")
        )
        session = browser_session(request)
        if target.action == CREATE:
            refuse_new_submissions_when_closed(app)
            return self._create(request, app, session)
        execution = execution_of(request, app, target.execution_id)
        voter = interactions.Voter(
            user=request.user,
            session_key=request.session.session_key or "",
            actor=actions.Actor.from_request(request),
        )
        post, files = form_post(request, execution.resume_inputs)
        if target.action == RESUME:
            outcome = interactions.resume(
                app=app, execution=execution, post=post, uploaded=files, voter=voter
            )
        elif request.data.get(ACTION_FIELD) == approval.CHANGES:
            outcome = interactions.request_changes(
                app=app, execution=execution, voter=voter, post=post
            )
        else:
            outcome = interactions.cancel(app=app, execution=execution, voter=voter, post=post)
        if not outcome.ok:
            raise refused(outcome)
        execution.refresh_from_db()
        return Response(view_of(request, app, execution))

    def _create(self, request: Request, app: App, session: SessionBase | None) -> Response:
        if app.parsed.execution_id:
            raise app_error(_("This app shows one execution and starts none."))
        allowed, wait = throttle.allow_submission(request)
        if not allowed:
            raise Problem(
                429,
                _("Too many submissions; try again in %(seconds)s s.") % {"seconds": wait},
                headers={"Retry-After": str(wait)},
            )
        try:
            inputs = forms.flow_inputs(forms.flow_definition(app))
        except KestraError:
            inputs = []  # submit() answers for Kestra being down
        post, files = form_post(request, inputs)
        outcome = interactions.submit(
            app=app, post=post, uploaded=files, user=request.user, session=session
        )
        if outcome.execution is None:
            raise refused(outcome)
        return Response(view_of(request, app, outcome.execution))


class StreamView(RuntimeView):
    renderer_classes = [EventStreamRenderer, JSONRenderer]

    @extend_schema(
        operation_id="streamEventsFromApp",
        summary="Server-sent events: the view again each time it changes, until a final stage",
        description=(
            "Each event's data is an AppResponse. A stream lasts at most API_STREAM_SECONDS"
            " (default 300 s); reconnect for more."
        ),
        responses={(200, "text/event-stream"): OpenApiTypes.STR, 401: PROBLEM, 404: PROBLEM},
    )
    def get(self, request: Request, tenant: str, uid: str, stream: str) -> StreamingHttpResponse:
        app = usable_app(request, uid)
        target = app_target(app, tokens.read_stream, stream, _("No such stream for this app."))
        if not target.execution_id:
            refuse_new_submissions_when_closed(app)
        execution = execution_of(request, app, target.execution_id) if target.execution_id else None
        fields = open_fields(app)[0] if execution is None else None
        link = request.query_params.get(LINK_PARAM.name, "")

        def still_open(current: Execution | None) -> bool:
            return interactions.still_open(
                app, current, user=request.user, session=request.session, link=link
            )

        events = LayoutStream(
            app, execution, viewer_for(request, app, execution), fields, still_open
        )
        response = open_stream(request._request, events)
        if response is None:
            retry = {"Retry-After": str(RETRY_SECONDS)}
            raise Problem(429, _("Too many open streams; close one first."), headers=retry)
        return response
