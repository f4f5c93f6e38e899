"""One error shape for the whole API: RFC 9457 problem details, as Kestra 2.x answers.

Definition errors and requests an app cannot take in its state use Kestra's own problem
type, app-error, with the issues listed in `errors` (each with its path and, for YAML,
its line). Everything else is `about:blank` with the HTTP status as title.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from apps_catalog.definition import Issue

APP_ERROR = "https://kestra.io/docs/api-reference/problems/app-error"
PROBLEM_JSON = "application/problem+json"


class Problem(exceptions.APIException):
    """An error the API answers with as it is: status, type, detail and the issues."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        type_: str = "about:blank",
        errors: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.type = type_
        self.errors = [dict(error) for error in errors]
        self.headers = dict(headers or {})


def app_error(
    detail: str, errors: Iterable[Mapping[str, Any]] = (), status_code: int = 422
) -> Problem:
    return Problem(status_code, detail, type_=APP_ERROR, errors=errors)


def issue_errors(issues: Iterable[Issue]) -> list[dict[str, Any]]:
    return [{"path": i.path, "line": i.line, "message": i.message} for i in issues]


def problem_body(
    status_code: int,
    detail: str,
    *,
    instance: str,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_,
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return body


def _field_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """A serializer's nested errors as a flat list of {path, message}."""
    if isinstance(detail, Mapping):
        found: list[dict[str, Any]] = []
        for key, value in detail.items():
            inner = f"{path}.{key}" if path else str(key)
            found += _field_errors(value, "" if key == "non_field_errors" else inner)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            found += _field_errors(item, f"{path}[{index}]")
        return found
    return [{"path": path, "message": str(detail)}]


def problem_response(request: Any, exc: exceptions.APIException) -> JsonResponse:
    """A plain JSON response, not DRF's: it is the same whatever the request accepted
    (a download asks for octet-stream, a stream for text/event-stream)."""
    if isinstance(exc, Problem):
        type_, errors, detail = exc.type, exc.errors, str(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        type_, errors = "about:blank", _field_errors(exc.detail)
        detail = _("The request is not valid.")
    else:
        type_, errors, detail = "about:blank", [], str(exc.detail)
    body = problem_body(exc.status_code, detail, instance=request.path, type_=type_, errors=errors)
    response = JsonResponse(body, status=exc.status_code, content_type=PROBLEM_JSON)
    for name, value in getattr(exc, "headers", {}).items():
        response[name] = value
    return response


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> HttpResponse | None:
    """DRF's handler with every handled error turned into a problem document."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or _("Not found."))
    response = drf_exception_handler(exc, dict(context))
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    problem = problem_response(context["request"], exc)
    for name in ("WWW-Authenticate", "Retry-After", "Allow"):
        if name in response:
            problem[name] = response[name]
    return problem
