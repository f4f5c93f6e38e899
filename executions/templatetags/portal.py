from __future__ import annotations

import json
from typing import Any

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML, sanitised: only harmless tags and http(s)/mailto links survive."""
    html = markdown_lib.markdown(str(text or ""), extensions=["extra", "sane_lists"])
    return mark_safe(nh3.clean(html, url_schemes={"http", "https", "mailto"}))  # noqa: S308


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
