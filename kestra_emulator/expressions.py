"""Expressions in flows, rendered by `kestra_pebble` as Kestra renders them, with the
backend functions the emulator offers: `appLink()` (the portal's page of an execution, as
Kestra Enterprise points at its own UI) and `secret()` (from the environment, as Kestra's
open-source edition reads them: `SECRET_<NAME>`, base64-encoded). Any other backend
function (`kv()`, `read()`, ...) is unknown, and a task using it fails saying so.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from kestra_pebble import Env, PebbleError, kestra_engine

_FALSY_TEXT = {"", "false", "0", "-0", "null", "none"}


def app_link(env: Env, appId: str | None = None, baseUrl: bool = False) -> str:  # noqa: N803 - Kestra's names
    """The portal's page of this execution in an app (`appId`: the app's uid in the
    portal; by default the `portal.uid` label the portal puts on what it starts), or the
    app itself with `baseUrl=true`. The portal's address is `kestra.url`, Kestra's own
    address in its context, since the portal is the UI this emulator stands behind."""
    context = env.context
    uid = appId or (context.get("labels") or {}).get("portal.uid")
    if not uid:
        raise PebbleError("appLink() needs appId: the app's uid in the portal")
    portal_url = str(context["kestra"]["url"])
    if baseUrl:
        return f"{portal_url}/apps/{uid}/"
    return f"{portal_url}/apps/{uid}/executions/{context['execution']['id']}/"


def secret(env: Env, key: str) -> str:
    encoded = os.environ.get(f"SECRET_{key}")
    if encoded is None:
        raise PebbleError(f"Cannot find secret for key '{key}'.")
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise PebbleError(f"The secret '{key}' is not base64-encoded text.") from None


_ENGINE = kestra_engine(functions={"appLink": app_link, "secret": secret})


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render one string property; raises PebbleError with Kestra's message."""
    return _ENGINE.render(template, context)


def render_typed(template: Any, context: Mapping[str, Any]) -> Any:
    """The value itself when the text is one expression (a list, a bool), else the text;
    anything not a string has its strings rendered."""
    if not isinstance(template, str):
        return render_deep(template, context)
    return _ENGINE.render_typed(template, context)


def render_deep(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside nested lists and maps (task properties)."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, dict):
        return {k: render_deep(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_deep(v, context) for v in value]
    return value


def is_truthy(value: Any) -> bool:
    """Kestra's truthiness of a rendered condition: blank, false, 0 and null are false."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() not in _FALSY_TEXT
