"""Render Pebble-style ``{{ ... }}`` expressions with a sandboxed Jinja2 environment.

Pebble and Jinja share the syntax the example flows use (attribute access, comparisons,
``and``/``or``, filters). The differences that show in output are handled here: booleans
render as ``true``/``false``, null renders empty, and ``null`` is a literal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from .jsonutil import iso_instant, jsonable, utcnow
from .pebble import translate, translate_expression

_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)
_FALSY_TEXT = {"", "false", "0", "-0", "null", "none"}


class ExpressionError(ValueError):
    """A template that fails to parse or render (unknown variable, bad syntax)."""


class _PebbleUndefined(ChainableUndefined, StrictUndefined):
    """Kestra renders in strict mode: printing or comparing a missing variable is an error.

    Chaining stays allowed (``outputs.missing.uri`` is undefined, not an error yet) so that
    ``??``, ``default`` and ``is defined`` can still handle it.
    """


def _coalesce(value: Any, fallback: Any) -> Any:
    return fallback if value is None or isinstance(value, Undefined) else value


def _finalize(value: Any) -> Any:
    # Pebble prints Java values: true/false, nothing for null, JSON-ish for maps and lists.
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(jsonable(value))
    return value


def _to_json(value: Any) -> str:
    return json.dumps(jsonable(value))


def _java_date_pattern(pattern: str) -> str:
    """Translate the common Java ``DateTimeFormatter`` letters into ``strftime`` codes."""
    codes = [
        ("yyyy", "%Y"),
        ("yy", "%y"),
        ("MMMM", "%B"),
        ("MMM", "%b"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("hh", "%I"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("SSS", "%f"),
        ("EEEE", "%A"),
        ("EEE", "%a"),
        ("a", "%p"),
        ("XXX", "%z"),
    ]
    out = pattern
    for java, py in codes:
        out = out.replace(java, py)
    return out.replace("'T'", "T")


def _parse_temporal(value: Any) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value).strip().replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.date.fromisoformat(text)


def _date_filter(value: Any, pattern: str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") -> str:
    return _parse_temporal(value).strftime(_java_date_pattern(pattern))


def _now() -> str:
    return iso_instant(utcnow())


class _PebbleEnvironment(SandboxedEnvironment):
    """Map keys win over Python attributes, so ``outputs.register.values`` is the map entry
    (Pebble semantics) and not ``dict.values``."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _build_environment() -> SandboxedEnvironment:
    env = _PebbleEnvironment(
        undefined=_PebbleUndefined, finalize=_finalize, autoescape=False, keep_trailing_newline=True
    )
    env.filters.update(
        {
            "json": _to_json,
            "toJson": _to_json,
            "date": _date_filter,
            "number": lambda v: float(v) if "." in str(v) else int(v),
            "startsWith": lambda v, p: str(v).startswith(p),
            "endsWith": lambda v, p: str(v).endswith(p),
            "pebble_coalesce": _coalesce,
        }
    )
    env.globals.update({"null": None, "now": _now})
    return env


_ENV = _build_environment()


def render(template: str, context: dict[str, Any]) -> str:
    """Render one string property; text without ``{{`` is returned unchanged."""
    if "{{" not in template and "{%" not in template:
        return template
    try:
        return _ENV.from_string(translate(template)).render(context)
    except TemplateError as exc:
        raise ExpressionError(f"Unable to render `{template}`: {exc}") from exc


def render_typed(template: Any, context: dict[str, Any]) -> Any:
    """Render keeping the value's type when the text is exactly one expression (a list, a bool)."""
    if not isinstance(template, str):
        return render_deep(template, context)
    match = _SINGLE_EXPRESSION.match(template)
    if not match:
        return render(template, context)
    try:
        expression = translate_expression(match.group("expr").strip())
        value = _ENV.compile_expression(expression, undefined_to_none=False)(**context)
    except TemplateError as exc:
        raise ExpressionError(f"Unable to render `{template}`: {exc}") from exc
    if isinstance(value, Undefined):
        raise ExpressionError(f"Unable to render `{template}`: undefined value")
    return value


def render_deep(value: Any, context: dict[str, Any]) -> Any:
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
