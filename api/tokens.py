"""The opaque strings of an AppResponse: `dispatch` (what a button does, to what) and
`stream` (which execution an event stream follows). Signed, so a client cannot point one
at another app or execution; who may use them is checked again on every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing

from apps_catalog.models import App
from executions.models import Execution

_DISPATCH_SALT = "api.dispatch"
_STREAM_SALT = "api.stream"


@dataclass(frozen=True)
class Target:
    uid: str
    execution_id: str  # "" for the app itself (OPEN)
    action: str = ""


class BadToken(ValueError):
    """Not a token this portal made."""


def _dumps(payload: dict[str, Any], salt: str) -> str:
    # No timestamp (unlike signing.dumps): the same target gives the same token, so an
    # unchanged view serialises the same and a stream sends nothing new.
    return signing.Signer(salt=salt).sign_object(payload, compress=True)


def _loads(token: str, salt: str) -> dict[str, Any]:
    try:
        payload = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError):
        raise BadToken(token) from None
    if not isinstance(payload, dict):
        raise BadToken(token)
    return payload


def dispatch_token(action: str, app: App, execution: Execution | None) -> str:
    execution_id = execution.public_id if execution is not None else ""
    return _dumps({"a": action, "u": app.uid, "e": execution_id}, _DISPATCH_SALT)


def stream_token(app: App, execution: Execution | None) -> str:
    execution_id = execution.public_id if execution is not None else ""
    return _dumps({"u": app.uid, "e": execution_id}, _STREAM_SALT)


def read_dispatch(token: str) -> Target:
    payload = _loads(token, _DISPATCH_SALT)
    return Target(str(payload.get("u")), str(payload.get("e") or ""), str(payload.get("a")))


def read_stream(token: str) -> Target:
    payload = _loads(token, _STREAM_SALT)
    return Target(str(payload.get("u")), str(payload.get("e") or ""))
