"""Kestra's `{{ }}` expressions in block properties, rendered by `kestra_pebble` as Kestra
renders them.

A page never fails for an expression: each part of a property that does not render is
left out, and its error kept for the admin's preview to show at its block. Only map keys
and list items are ever read, so an expression reaches nothing but the context it is
given.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kestra_pebble import render_lenient

logger = logging.getLogger(__name__)

# What Python-Markdown (with `extra`) reads as syntax and lets a backslash escape.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


@dataclass(frozen=True)
class Rendered:
    text: str
    errors: tuple[str, ...] = ()


def markdown_text(value: str) -> str:
    """A value shown in Markdown as the text it is: no tag, link, image, emphasis or
    heading made of what a visitor typed."""
    return _MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(value))


def render(template: str, context: Mapping[str, Any], *, markup: bool = False) -> Rendered:
    """Render one property. With markup=True (Markdown) every value is escaped where it
    lands, so it shows as typed."""
    text, errors = render_lenient(template, context, escape=markdown_text if markup else None)
    for error in errors:
        logger.info("expression could not be rendered: %s", error)
    return Rendered(text, tuple(errors))
