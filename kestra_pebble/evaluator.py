"""The evaluator: each parsed node becomes a Python closure once, so rendering a cached
template calls closures and never walks the tree again.

Variables are looked up as Kestra does in strict mode: a name not in scope, a key not in
a map and an item not in a list are errors (`NotFound`), which `??`, `???`, `default`
and `is defined` turn into a fallback. Only map keys and list items are read, never a
Python attribute or method, so a template can reach nothing but the values it is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import operators as op
from .errors import PebbleError
from .parser import (
    FILTERED,
    Attribute,
    Binary,
    Block,
    Expr,
    FilterBlock,
    FilterCall,
    For,
    FunctionCall,
    If,
    ListLiteral,
    Literal,
    MapLiteral,
    Node,
    Print,
    Set,
    Ternary,
    TestCall,
    Text,
    Unary,
    Variable,
)
from .registry import Filter, Function
from .values import is_empty, to_text

Eval = Callable[["Frame"], Any]
Exec = Callable[["Frame", list[str]], None]
Escape = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Limits:
    """How far one render may go; past any of them it raises PebbleError."""

    max_template: int = 200_000
    """characters in a template"""
    max_output: int = 1_000_000
    """characters a render produces (and any one string built on the way)"""
    max_iterations: int = 10_000
    """passes through `for` loops in one render"""
    max_items: int = 10_000
    """items a filter or function may build (`range`, `1..n`, list `+`)"""
    max_depth: int = 5
    """`render` inside `render`"""


class NotFound(PebbleError):
    """A variable, key or item that is not there; Kestra's wording is added by the engine,
    which knows the template."""

    def __init__(self, name: str, line: int) -> None:
        super().__init__(name)
        self.name = name
        self.line = line


class Rendered(str):
    """Text the template rendered itself (`block`), its own printed values escaped already:
    printed as it is, as Pebble prints a SafeString."""


class Frame:
    """One render in progress: the variables in scope, the limits and what was spent. It
    is the `env` filters and functions receive."""

    __slots__ = (
        "vars",
        "limits",
        "depth",
        "root",
        "size",
        "iterations",
        "escape",
        "blocks",
        "_render",
    )

    def __init__(
        self,
        variables: dict[str, Any],
        *,
        limits: Limits,
        escape: Escape | None,
        render: Callable[[str, Mapping[str, Any], Frame], str],
        parent: Frame | None = None,
        blocks: Mapping[str, Exec] | None = None,
    ) -> None:
        self.vars = variables
        self.blocks = blocks or {}
        self.limits = limits
        self.depth: int = parent.depth + 1 if parent else 0
        # A template that `render`s another shares its output and loop budgets with it, so
        # nesting multiplies no limit.
        self.root: Frame = parent.root if parent else self
        self.size = 0
        self.iterations = 0
        self.escape = escape
        self._render = render

    @property
    def context(self) -> Mapping[str, Any]:
        return self.vars

    @property
    def max_output(self) -> int:
        return self.limits.max_output

    @property
    def max_items(self) -> int:
        return self.limits.max_items

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        if self.depth >= self.limits.max_depth:
            raise PebbleError(
                f"Templates render other templates more than {self.limits.max_depth} deep"
            )
        return self._render(source, context, self)

    def block(self, name: str) -> str:
        out: list[str] = []
        body = self.blocks.get(name)
        if body is not None:
            body(self, out)
        return Rendered("".join(out))

    def spend(self, text: str) -> None:
        root = self.root
        root.size += len(text)
        if root.size > self.limits.max_output:
            raise PebbleError(f"The output is longer than {self.limits.max_output} characters")

    def iterate(self) -> None:
        root = self.root
        root.iterations += 1
        if root.iterations > self.limits.max_iterations:
            raise PebbleError(f"The loops run more than {self.limits.max_iterations} times")


def bounded(frame: Frame, value: Any) -> Any:
    """A value built during the render, refused when it is past the limits."""
    if isinstance(value, str):
        if len(value) > frame.limits.max_output:
            raise PebbleError(f"A text is longer than {frame.limits.max_output} characters")
    elif isinstance(value, list | tuple | dict) and len(value) > frame.limits.max_items:
        raise PebbleError(f"A collection has more than {frame.limits.max_items} items")
    return value


def lookup(target: Any, key: Any, line: int, root: str | None) -> Any:
    """`target.key` and `target[key]`: a key of a map or an item of a list, nothing else."""
    if isinstance(target, Mapping):
        try:
            return target[key]
        except (KeyError, TypeError):
            pass
        if isinstance(key, int) and not isinstance(key, bool) and str(key) in target:
            return target[str(key)]
    elif isinstance(target, list | tuple) and not isinstance(key, bool):
        index = key if isinstance(key, int) else _index(key)
        if index is not None and 0 <= index < len(target):
            return target[index]
    elif target is None and root is not None:
        raise NotFound(root, line)
    raise NotFound(to_text(key), line)


def _index(key: Any) -> int | None:
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


def _iterable(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return [{"key": key, "value": item} for key, item in value.items()]
    if isinstance(value, set | frozenset):
        return list(value)
    raise PebbleError(f"Not an iterable object. Value = [{to_text(value)}]")


def _invoke(
    kind: str, name: str, function: Callable[..., Any], frame: Frame, *args: Any, **kwargs: Any
) -> Any:
    """Call a filter or function; whatever goes wrong inside is the template's error."""
    try:
        result = function(frame, *args, **kwargs)
    except PebbleError:
        raise
    except RecursionError:
        raise
    except Exception as exc:  # the boundary with filter code: anything it raises is a PebbleError
        raise PebbleError(f"{kind} [{name}] failed: {exc}") from exc
    return bounded(frame, result)


def _even(value: Any, name: str) -> int:
    if value is None:
        raise PebbleError(f'Can not pass null value to "{name}" test.')
    if isinstance(value, bool) or not isinstance(value, int):
        raise PebbleError(f'The "{name}" test needs an integer, not {to_text(value)}')
    return value


def _is_json(value: Any) -> bool:
    if not isinstance(value, str):
        raise PebbleError(f'The "json" test needs a string, not {to_text(value)}')
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "defined": lambda value: value is not None,
    "empty": is_empty,
    "even": lambda value: _even(value, "even") % 2 == 0,
    "odd": lambda value: _even(value, "odd") % 2 == 1,
    "iterable": lambda value: isinstance(value, list | tuple | set | frozenset),
    "map": lambda value: isinstance(value, Mapping),
    "json": _is_json,
}


def sequence(steps: list[Exec]) -> Exec:
    if len(steps) == 1:
        return steps[0]

    def body(frame: Frame, out: list[str]) -> None:
        for step in steps:
            step(frame, out)

    return body


class Compiler:
    """Turns a parsed template into closures, resolving filters and functions once."""

    def __init__(
        self, source: str, filters: Mapping[str, Filter], functions: Mapping[str, Function]
    ) -> None:
        self.source = source
        self.filters = filters
        self.functions = functions
        # The template's blocks by name, the last of a name kept (Pebble's registerBlock).
        self.blocks: dict[str, Exec] = {}

    def fail(self, message: str, line: int) -> PebbleError:
        return PebbleError(f"{message} ({self.source}:{line})")

    # statements

    def body(self, nodes: list[Node]) -> Exec:
        return sequence([self.statement(node) for node in nodes])

    def statement(self, node: Node) -> Exec:
        if isinstance(node, Text):
            return self._text(node.text)
        if isinstance(node, Print):
            return self._print(self.expression(node.expression))
        if isinstance(node, If):
            return self._if(node)
        if isinstance(node, For):
            return self._for(node)
        if isinstance(node, FilterBlock):
            return self._filter_block(node)
        if isinstance(node, Block):
            return self._block(node)
        assert isinstance(node, Set)
        return self._set(node.name, self.expression(node.expression))

    @staticmethod
    def _text(text: str) -> Exec:
        def write(frame: Frame, out: list[str]) -> None:
            frame.spend(text)
            out.append(text)

        return write

    @staticmethod
    def _print(expression: Eval) -> Exec:
        def write(frame: Frame, out: list[str]) -> None:
            value = expression(frame)
            if value is None:
                return
            text = value if type(value) is str else to_text(value)
            if frame.escape is not None and not isinstance(value, Rendered):
                text = frame.escape(text)
            frame.spend(text)
            out.append(text)

        return write

    def _if(self, node: If) -> Exec:
        branches = [(self.expression(test), self.body(body)) for test, body in node.branches]
        otherwise = self.body(node.otherwise)
        truth = op.truth

        def choose(frame: Frame, out: list[str]) -> None:
            for test, body in branches:
                if truth(test(frame), "if statement"):
                    body(frame, out)
                    return
            otherwise(frame, out)

        return choose

    def _for(self, node: For) -> Exec:
        name = node.variable
        iterable = self.expression(node.iterable)
        body, otherwise = self.body(node.body), self.body(node.otherwise)

        def loop(frame: Frame, out: list[str]) -> None:
            value = iterable(frame)
            if value is None:
                return
            items = _iterable(value)
            if not items:
                otherwise(frame, out)
                return
            outer = frame.vars
            inner = dict(outer)
            frame.vars = inner
            length = len(items)
            try:
                for index, item in enumerate(items):
                    frame.iterate()
                    inner["loop"] = {
                        "index": index,
                        "revindex": length - index - 1,
                        "first": index == 0,
                        "last": index == length - 1,
                        "length": length,
                    }
                    inner[name] = item
                    body(frame, out)
            finally:
                frame.vars = outer
            # `set` inside the loop updates a variable of the enclosing scope (Pebble's
            # ScopeChain.set); the loop's own variables end with it.
            for key in outer:
                if key != name and key != "loop":
                    outer[key] = inner[key]

        return loop

    def _filter_block(self, node: FilterBlock) -> Exec:
        body, chain = self.body(node.body), self.expression(node.chain)

        def write(frame: Frame, out: list[str]) -> None:
            rendered: list[str] = []
            body(frame, rendered)
            frame.vars[FILTERED] = "".join(rendered)
            try:
                value = chain(frame)
            finally:
                del frame.vars[FILTERED]
            text = value if type(value) is str else to_text(value)
            frame.spend(text)
            out.append(text)

        return write

    def _block(self, node: Block) -> Exec:
        self.blocks[node.name] = self.body(node.body)
        blocks, name = self.blocks, node.name

        def write(frame: Frame, out: list[str]) -> None:
            blocks[name](frame, out)

        return write

    @staticmethod
    def _set(name: str, expression: Eval) -> Exec:
        def assign(frame: Frame, out: list[str]) -> None:
            frame.vars[name] = expression(frame)

        return assign

    # expressions

    def expression(self, node: Expr) -> Eval:
        if isinstance(node, Literal):
            value = node.value
            return lambda frame: value
        if isinstance(node, Variable):
            return self._variable(node)
        if isinstance(node, Attribute):
            return self._attribute(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, FilterCall):
            return self._filter(node)
        if isinstance(node, FunctionCall):
            return self._function(node)
        if isinstance(node, TestCall):
            return self._test(node)
        if isinstance(node, Ternary):
            return self._ternary(node)
        if isinstance(node, ListLiteral):
            items = [self.expression(item) for item in node.items]
            return lambda frame: [item(frame) for item in items]
        assert isinstance(node, MapLiteral)
        return self._map(node)

    @staticmethod
    def _variable(node: Variable) -> Eval:
        name, line = node.name, node.line

        def variable(frame: Frame) -> Any:
            try:
                return frame.vars[name]
            except KeyError:
                raise NotFound(name, line) from None

        return variable

    def _attribute(self, node: Attribute) -> Eval:
        target = self.expression(node.target)
        root = node.target.name if isinstance(node.target, Variable) else None
        line = node.line
        if isinstance(node.key, Literal):
            key = node.key.value

            def attribute(frame: Frame) -> Any:
                value = target(frame)
                if type(value) is dict and key in value:
                    return value[key]
                return lookup(value, key, line, root)

            return attribute
        key_of = self.expression(node.key)
        return lambda frame: lookup(target(frame), key_of(frame), line, root)

    def _map(self, node: MapLiteral) -> Eval:
        pairs = [(self.expression(key), self.expression(value)) for key, value in node.pairs]
        line = node.line

        def build(frame: Frame) -> dict[Any, Any]:
            result = {}
            for key, value in pairs:
                name = key(frame)
                try:
                    result[name] = value(frame)
                except TypeError:
                    raise self.fail(f"A map key can not be {to_text(name)}", line) from None
            return result

        return build

    def _unary(self, node: Unary) -> Eval:
        operand = self.expression(node.operand)
        if node.operator == "not":
            truth = op.truth
            return lambda frame: not truth(operand(frame), "not()")
        function = op.negate if node.operator == "-" else op.plus
        return lambda frame: function(operand(frame))

    def _binary(self, node: Binary) -> Eval:  # noqa: C901 - one branch per operator
        operator = node.operator
        left, right = self.expression(node.left), self.expression(node.right)
        if operator == "and":
            truth = op.truth
            return lambda frame: (
                truth(left(frame), "and operator") and truth(right(frame), "and operator")
            )
        if operator == "or":
            truth = op.truth
            return lambda frame: (
                truth(left(frame), "or operator") or truth(right(frame), "or operator")
            )
        if operator == "??":
            return _null_coalescing(left, right)
        if operator == "???":
            return _undefined_coalescing(left, right)
        if operator in ("==", "equals"):
            return lambda frame: op.equals(left(frame), right(frame))
        if operator == "!=":
            return lambda frame: not op.equals(left(frame), right(frame))
        if operator in (">", ">=", "<", "<="):
            compare = op.compare
            return lambda frame: compare(left(frame), right(frame), operator)
        if operator == "contains":
            return lambda frame: op.contains(left(frame), right(frame))
        if operator == "in":
            return lambda frame: op.is_in(left(frame), right(frame))
        if operator == "not in":
            return lambda frame: not op.is_in(left(frame), right(frame))
        if operator == "..":
            arguments = [node.left, node.right]
            return self._call(
                "Function", "range", self._function_named("range", node.line), arguments, {}
            )
        if operator == "~":
            concatenate = op.concatenate
            return lambda frame: bounded(frame, concatenate(left(frame), right(frame)))
        if operator == "+":
            add = op.add
            return lambda frame: bounded(frame, add(left(frame), right(frame)))
        arithmetic = {"-": op.subtract, "*": op.multiply, "/": op.divide, "%": op.modulo}[operator]
        return lambda frame: arithmetic(left(frame), right(frame))

    def _ternary(self, node: Ternary) -> Eval:
        condition = self.expression(node.condition)
        then, otherwise = self.expression(node.then), self.expression(node.otherwise)
        truth = op.ternary_truth
        return lambda frame: then(frame) if truth(condition(frame)) else otherwise(frame)

    def _test(self, node: TestCall) -> Eval:
        test = TESTS.get(node.name)
        if test is None:
            raise self.fail(f"Test [{node.name}] does not exist.", node.line)
        value = self.expression(node.value)
        if node.name == "defined":
            value = _undefined_as_null(value)
        if node.negated:
            return lambda frame: not test(value(frame))
        return lambda frame: test(value(frame))

    def _filter(self, node: FilterCall) -> Eval:
        function = self.filters.get(node.name)
        if function is None:
            raise self.fail(f"Filter [{node.name}] does not exist.", node.line)
        value = self.expression(node.value)
        if node.name == "default":
            value = _undefined_as_null(value)
        name = node.name
        if not node.arguments.positional and not node.arguments.named:

            def apply(frame: Frame) -> Any:
                return _invoke("Filter", name, function, frame, value(frame))

            return apply
        positional = [self.expression(argument) for argument in node.arguments.positional]
        named = {key: self.expression(argument) for key, argument in node.arguments.named.items()}

        def apply_with_arguments(frame: Frame) -> Any:
            subject = value(frame)
            args = [argument(frame) for argument in positional]
            kwargs = {key: argument(frame) for key, argument in named.items()}
            return _invoke("Filter", name, function, frame, subject, *args, **kwargs)

        return apply_with_arguments

    def _function_named(self, name: str, line: int) -> Function:
        function = self.functions.get(name)
        if function is None:
            raise self.fail(f"Function or Macro [{name}] does not exist.", line)
        return function

    def _function(self, node: FunctionCall) -> Eval:
        function = self._function_named(node.name, node.line)
        return self._call(
            "Function", node.name, function, node.arguments.positional, node.arguments.named
        )

    def _call(
        self,
        kind: str,
        name: str,
        function: Function,
        positional_nodes: list[Expr],
        named_nodes: dict[str, Expr],
    ) -> Eval:
        positional = [self.expression(argument) for argument in positional_nodes]
        named = {key: self.expression(argument) for key, argument in named_nodes.items()}

        def call(frame: Frame) -> Any:
            args = [argument(frame) for argument in positional]
            kwargs = {key: argument(frame) for key, argument in named.items()}
            return _invoke(kind, name, function, frame, *args, **kwargs)

        return call


def _undefined_as_null(value: Eval) -> Eval:
    def read(frame: Frame) -> Any:
        try:
            return value(frame)
        except NotFound:
            return None

    return read


def _null_coalescing(left: Eval, right: Eval) -> Eval:
    def coalesce(frame: Frame) -> Any:
        try:
            value = left(frame)
        except NotFound:
            return right(frame)
        return right(frame) if value is None else value

    return coalesce


def _undefined_coalescing(left: Eval, right: Eval) -> Eval:
    def coalesce(frame: Frame) -> Any:
        try:
            return left(frame)
        except NotFound:
            return right(frame)

    return coalesce
