"""Kestra's expression language: Pebble's templates with the operators, filters and
functions Kestra adds, with Java's semantics (integer arithmetic, `+` that concatenates,
`true`/`false` printed). Pure Python: no Django, no portal or emulator imports, so the
portal's blocks and the emulator's flows evaluate expressions the same way.

`kestra_engine()` builds an engine with Kestra's filters and functions plus the caller's
backend functions (`secret`, `kv`, `appLink`, ...); `render`, `render_typed` and
`render_lenient` are those of the engine without any.
"""

from __future__ import annotations

from collections.abc import Mapping

from .engine import Engine, Limits
from .errors import PebbleError
from .filters import FILTERS
from .functions import FUNCTIONS
from .registry import Env, Function

__all__ = [
    "Engine",
    "Env",
    "Limits",
    "PebbleError",
    "kestra_engine",
    "render",
    "render_lenient",
    "render_typed",
]


def kestra_engine(
    *, functions: Mapping[str, Function] | None = None, limits: Limits | None = None
) -> Engine:
    """An engine with Kestra's filters and functions, and `functions` besides."""
    return Engine(filters=FILTERS, functions={**FUNCTIONS, **(functions or {})}, limits=limits)


_DEFAULT = kestra_engine()
render = _DEFAULT.render
render_typed = _DEFAULT.render_typed
render_lenient = _DEFAULT.render_lenient
