"""Pebble-style `{{ }}` expressions in block properties, rendered in a sandbox.

Jinja2's sandbox refuses attribute access to internals, so an expression reads the context
it is given and nothing else: no code, no files, no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

logger = logging.getLogger(__name__)


@cache
def _environment(*, markup: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=markup)


@lru_cache(maxsize=2048)
def _compiled(template: str, markup: bool) -> Template:
    """Compiling is what costs; an app's few templates are rendered on every page view."""
    return _environment(markup=markup).from_string(template)


def render(template: str, context: Mapping[str, Any], *, markup: bool = False) -> str:
    """Render one property. With markup=True every value is HTML-escaped where it lands.

    A broken expression leaves the text as written rather than breaking the page.
    """
    if "{{" not in template and "{%" not in template:
        return template
    try:
        return str(_compiled(template, markup).render(context))
    except TemplateError as exc:
        logger.info("expression could not be rendered: %s", exc)
        return template
