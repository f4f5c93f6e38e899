"""The shape of filters and functions, shared by the engine that calls them and the
modules that define them.

A filter is called as `f(env, value, *args, **kwargs)`: `{{ x | abbreviate(5) }}` calls
`FILTERS["abbreviate"](env, x, 5)`; named arguments (`date(format='yyyy', timeZone='UTC')`)
arrive as keyword arguments. A function is called as `f(env, *args, **kwargs)`. `env` is
what the rendering gives them: the variables in scope, a way to render a template (for
`render`), and the limits. A filter or function that cannot do its work raises PebbleError
with the message Kestra gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Env(Protocol):
    @property
    def context(self) -> Mapping[str, Any]:
        """The variables in scope where the filter or function is called."""

    @property
    def max_output(self) -> int:
        """The largest text, in characters, a render may produce."""

    @property
    def max_items(self) -> int:
        """The largest collection a filter or function may build (`range`, `chunk`)."""

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """Render another template with the same limits, one level deeper (`render`)."""

    def block(self, name: str) -> str:
        """The template's block of that name, rendered here; "" when it has none
        (`block`)."""


Filter = Callable[..., Any]
Function = Callable[..., Any]
