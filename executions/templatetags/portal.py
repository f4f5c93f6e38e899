from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import markdown as markdown_lib
import nh3
from django import template
from django.conf import settings
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

from apps_catalog.models import App
from apps_catalog.thumbnails import thumbnail_url

register = template.Library()


@register.simple_tag
def app_thumbnail(app: App) -> str | None:
    """Where the app page's header shows the app's thumbnail; None for none."""
    return thumbnail_url(uid=app.uid, namespace=app.namespace, thumbnail=app.thumbnail)


@register.simple_tag
def language_options() -> SafeString:
    """The language switcher's choices, each language in its own name, the page's language
    selected. Every page shows them: made once per language, where a loop in the layout
    cost a third of the layout's time."""
    return _language_options(get_language(), tuple(code for code, _name in settings.LANGUAGES))


@lru_cache(maxsize=64)
def _language_options(current: str, codes: tuple[str, ...]) -> SafeString:
    names = [(code, get_language_info(code)["name_local"]) for code in codes]
    return format_html_join(
        "",
        '<option value="{}" lang="{}"{}>{}</option>',
        ((code, code, " selected" if code == current else "", name) for code, name in names),
    )


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML, sanitised: only harmless tags and http(s)/mailto links survive."""
    return mark_safe(_markdown_html(str(text or "")))  # noqa: S308


@lru_cache(maxsize=1024)
def _markdown_html(text: str) -> str:
    """Cached: the same app texts are rendered on every page view."""
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"])
    return nh3.clean(html, url_schemes={"http", "https", "mailto"})


_TRUTH = {"true": True, "false": False}


def _typed(value: Any, kind: str) -> Any:
    """A value as its type says to read it: Kestra hands booleans, dates and times over as
    text (`"true"`, `"2027-01-04"`); anything that does not read as its type stays as is."""
    if kind in {"BOOLEAN", "BOOL"} and isinstance(value, str):
        return _TRUTH.get(value.strip().lower(), value)
    try:
        if kind == "DATE" and isinstance(value, str) and (day := parse_date(value)):
            return formats.date_format(day, "j F Y")
        if kind == "DATETIME" and isinstance(value, str) and (moment := parse_datetime(value)):
            return formats.date_format(moment, "j F Y, H:i e")
    except ValueError:  # well formed but no such day (2027-02-30): shown as written
        return value
    return value


@register.filter
def readable(value: Any, kind: str = "") -> str:
    """A value as a person reads it, by its type when the flow gives one (booleans as
    Yes/No, dates as dates): lists joined, objects as indented JSON."""
    value = _typed(value, kind)
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
