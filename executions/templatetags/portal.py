from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML, sanitised: only harmless tags and http(s)/mailto links survive."""
    return mark_safe(_markdown_html(str(text or "")))  # noqa: S308


@lru_cache(maxsize=1024)
def _markdown_html(text: str) -> str:
    """Cached: the same app texts are rendered on every page view."""
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"])
    return nh3.clean(html, url_schemes={"http", "https", "mailto"})


@register.filter
def readable(value: Any) -> str:
    """A value as a person reads it: lists joined, objects as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


_STAGE_LABELS = {
    "OPEN": "Not started",
    "CREATED": "Queued",
    "RUNNING": "Running",
    "PAUSE": "Waiting for a decision",
    "RESUME": "Resumed",
    "SUCCESS": "Done",
    "FAILURE": "Did not complete",
    "ERROR": "Error",
}


@register.filter
def stage_label(stage: str) -> str:
    return _STAGE_LABELS.get(stage, stage.title())
