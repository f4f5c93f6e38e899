"""Typed failures of calls to Kestra, so callers decide what to retry."""

from __future__ import annotations

from typing import Any


class KestraError(Exception):
    """Any failure talking to Kestra."""


class KestraUnavailable(KestraError):
    """Kestra could not be reached, timed out, or answered with a server error: try later."""


class KestraRejected(KestraError):
    """Kestra understood the request and refused it (4xx): retrying the same request won't help."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body


class KestraNotFound(KestraRejected):
    """The flow, execution or file does not exist in Kestra."""


def error_message(body: Any, fallback: str) -> str:
    """The human part of an error body, in either dialect (Micronaut JsonError or problem+json)."""
    if not isinstance(body, dict):
        return fallback
    if body.get("detail") or body.get("title"):
        detail = str(body.get("detail") or body.get("title"))
        details = [e.get("detail") or e.get("message") for e in body.get("errors") or []]
        extra = "; ".join(str(d) for d in details if d and d != detail)
        return f"{detail}: {extra}" if extra else detail
    if body.get("message"):
        return str(body["message"])
    return fallback
