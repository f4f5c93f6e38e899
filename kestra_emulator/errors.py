"""API errors and their body per dialect (reference §11.3).

≤1.3: Micronaut ``JsonError`` (``message`` = ``<reason>: <detail>``, ``_links``, ``_embedded``).
2.0: RFC 9457 ``application/problem+json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

PROBLEM_BASE = "https://kestra.io/docs/api-reference/problems/"

# status → (1.3 message prefix, 2.0 type slug, 2.0 title)
_KINDS: dict[str, tuple[int, str, str, str]] = {
    "bad-request": (400, "Bad Request", "bad-request", "Bad Request"),
    "invalid-query-filters": (
        400,
        "Invalid query filters",
        "invalid-query-filters",
        "Invalid query filters",
    ),
    "unauthenticated": (401, "Unauthorized", "unauthenticated", "Unauthenticated"),
    "not-found": (404, "Not Found", "not-found", "Not Found"),
    "method-not-allowed": (405, "Method Not Allowed", "method-not-allowed", "Method Not Allowed"),
    "conflict": (409, "Illegal state", "conflict", "Conflict"),
    "invalid-argument": (422, "Illegal argument", "invalid-argument", "Invalid argument"),
    "invalid-entity": (422, "Invalid entity", "invalid-entity", "Invalid entity"),
    "internal-error": (500, "Internal server error", "internal-error", "Internal Server Error"),
    "not-implemented": (501, "Not Implemented", "not-implemented", "Not Implemented"),
    "service-unavailable": (
        503,
        "Service Unavailable",
        "service-unavailable",
        "Service Unavailable",
    ),
}


def kind_of_status(status: int) -> str:
    """The error kind answering with this HTTP status (the first one listed)."""
    for kind, (code, *_rest) in _KINDS.items():
        if code == status:
            return kind
    raise ValueError(f"no error kind answers {status}")


@dataclass
class ApiError(Exception):
    """Raised by handlers; ``errors`` are ``(path, message)`` pairs (e.g. one per input)."""

    kind: str
    detail: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    empty_body_in_13: bool = False
    plain_text_in_13: bool = False  # a route returning a bare string (2.0 wraps it in a problem)

    @property
    def status(self) -> int:
        return _KINDS[self.kind][0]


def error_response(error: ApiError, *, dialect: str, path: str) -> Response:
    status, prefix, slug, title = _KINDS[error.kind]
    if dialect == "2.0":
        return Response(
            json.dumps(problem_body(error, path=path)),
            status=status,
            content_type="application/problem+json",
        )
    if error.empty_body_in_13:
        return Response(b"", status=status)
    if error.plain_text_in_13:
        return Response(error.detail, status=status, content_type="text/plain")
    body: dict[str, Any] = {
        "message": f"{prefix}: {error.detail}" if error.detail else prefix,
        "_links": {"self": {"href": path, "templated": False}},
    }
    if error.errors:
        body["_embedded"] = {
            "errors": [{"message": message, "path": p} for p, message in error.errors]
        }
    return Response(json.dumps(body), status=status, content_type="application/json")


def problem_body(error: ApiError, *, path: str) -> dict[str, Any]:
    status, _prefix, slug, title = _KINDS[error.kind]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": error.detail or title,
        "instance": path,
    }
    if error.errors:
        body["errors"] = [{"detail": message, "path": p} for p, message in error.errors]
    return body
