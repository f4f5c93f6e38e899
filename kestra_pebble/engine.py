"""The engine: a template is parsed and compiled once, then rendered against any number
of contexts.

An engine is built from the filters and functions it offers; the caller adds its own
backend functions (the emulator's `secret`, `kv`, `appLink`) to the function table.
`render` gives text; `render_typed` keeps the value's type when the whole template is one
`{{ expression }}` (a list stays a list, `true` a boolean), as Kestra's typed rendering
does. An `escape` applies to every printed value and never to the template's own text:
HTML escaping for markup, Markdown escaping for Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .errors import PebbleError
from .evaluator import Compiler, Escape, Eval, Exec, Frame, Limits, NotFound, sequence
from .parser import Print, Text, parse
from .registry import Filter, Function

__all__ = ["Engine", "Limits", "Template"]

_REGIONS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{[{%#].*", re.DOTALL)


class _RenderError(PebbleError):
    """A failure that already names its template (a nested `render` inside another)."""


class Template:
    """One parsed and compiled template."""

    __slots__ = ("source", "steps", "body", "single", "blocks")

    def __init__(
        self,
        source: str,
        steps: list[Exec],
        single: Eval | None,
        blocks: Mapping[str, Exec],
    ) -> None:
        self.source = source
        self.blocks = blocks
        """Its `block` tags' bodies by name, for the `block` function."""
        self.steps = steps
        """The top-level text, prints and tags, each of which a lenient render may skip."""
        self.body = sequence(steps)
        self.single = single
        """The expression, when the template is one `{{ }}` with nothing but whitespace
        around it."""


class Engine:
    def __init__(
        self,
        *,
        filters: Mapping[str, Filter],
        functions: Mapping[str, Function],
        limits: Limits | None = None,
        cache_size: int = 2048,
    ) -> None:
        self.filters = dict(filters)
        self.functions = dict(functions)
        self.limits = limits or Limits()
        self.parse: Callable[[str], Template] = lru_cache(maxsize=cache_size)(self._parse)

    def _parse(self, source: str) -> Template:
        if len(source) > self.limits.max_template:
            raise PebbleError(f"The template is longer than {self.limits.max_template} characters")
        try:
            nodes = parse(source)
            compiler = Compiler(source, self.filters, self.functions)
            steps = [compiler.statement(node) for node in nodes]
        except RecursionError:
            raise PebbleError("The template nests too deeply") from None
        prints = [node for node in nodes if isinstance(node, Print)]
        blank = all(
            isinstance(node, Text) and not node.text.strip() for node in nodes if node not in prints
        )
        single = compiler.expression(prints[0].expression) if len(prints) == 1 and blank else None
        return Template(source, steps, single, compiler.blocks)

    def render(
        self, source: str, context: Mapping[str, Any], *, escape: Escape | None = None
    ) -> str:
        """The template as text. Raises PebbleError, with Kestra's message, when it cannot
        be parsed or rendered."""
        if "{" not in source:
            return source
        return self._render(source, context, escape)

    def render_lenient(
        self, source: str, context: Mapping[str, Any], *, escape: Escape | None = None
    ) -> tuple[str, list[str]]:
        """For a page, which must show whatever renders: each top-level part (a text, a
        `{{ }}`, a tag with its body) that fails is left out and its error returned. A
        template that does not parse shows its text without any `{{ }}`, `{% %}` or
        `{# #}`."""
        if "{" not in source:
            return source, []
        try:
            template = self.parse(source)
        except PebbleError as error:
            return _REGIONS.sub("", source), [str(error)]
        frame = self._frame(template, context, escape, None)
        out: list[str] = []
        errors: list[str] = []
        for step in template.steps:
            part: list[str] = []
            try:
                self._run(template, lambda: step(frame, part))  # noqa: B023 - run at once
            except PebbleError as error:
                errors.append(str(error))
                continue
            out.extend(part)
        return "".join(out), errors

    def render_typed(self, source: str, context: Mapping[str, Any]) -> Any:
        """The value itself when the template is one `{{ expression }}`, else the text."""
        if "{" not in source:
            return source
        template = self.parse(source)
        single = template.single
        if single is None:
            return self._render(source, context, None)
        frame = self._frame(template, context, None, None)
        return self._run(template, lambda: single(frame))

    def _frame(
        self,
        template: Template,
        context: Mapping[str, Any],
        escape: Escape | None,
        parent: Frame | None,
    ) -> Frame:
        return Frame(
            dict(context),
            limits=self.limits,
            escape=escape,
            render=lambda source, inner, caller: self._render(source, inner, None, caller),
            parent=parent,
            blocks=template.blocks,
        )

    def _render(
        self,
        source: str,
        context: Mapping[str, Any],
        escape: Escape | None,
        parent: Frame | None = None,
    ) -> str:
        template = self.parse(source)
        frame = self._frame(template, context, escape, parent)
        out: list[str] = []
        self._run(template, lambda: template.body(frame, out))
        return "".join(out)

    @staticmethod
    def _run(template: Template, step: Callable[[], Any]) -> Any:
        """Run a render, giving its failure Kestra's wording: the missing name with the
        expression and line, any other message followed by the template."""
        try:
            return step()
        except NotFound as missing:
            raise _RenderError(
                f"Unable to find `{missing.name}` used in the expression "
                f"`{template.source}` at line {missing.line}"
            ) from None
        except _RenderError:
            raise
        except PebbleError as error:
            raise _RenderError(f"{error} ({template.source})") from None
        except RecursionError:
            raise _RenderError(f"The template nests too deeply ({template.source})") from None
