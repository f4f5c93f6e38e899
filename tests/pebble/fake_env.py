"""A stand-in for what a rendering gives filters and functions: the variables in scope,
the limits, and a `render` that only fills `{{ name }}` from the context, which is all the
tests of `render` need to tell one pass from many."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class FakeEnv:
    def __init__(
        self,
        context: Mapping[str, Any] | None = None,
        *,
        max_items: int = 10_000,
        max_output: int = 1_000_000,
    ):
        self.context = dict(context or {})
        self.max_output = max_output
        self.max_items = max_items
        self.renders = 0

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        self.renders += 1
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(context[m.group(1)]), source)

    def block(self, name: str) -> str:
        return ""
