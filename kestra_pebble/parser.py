"""Pebble's parser: tokens into a tree of nodes.

Expressions are parsed by precedence climbing over Pebble's operator table (its
`CoreExtension`) with the operators Kestra adds (`??`, `???` and, beside `contains`,
`in` / `not in`). Unary operators bind tightest (500), so `not a == b` is
`(not a) == b` and `-a.b` is `-(a.b)`; `~` (110) binds tighter than `|` (100), so
`'a' ~ 'b' | upper` is `AB`; `??` binds tighter still, so `a ?? b | date` filters the
coalesced value. The ternary `? :` wraps a whole expression.

The tags are `if` / `elseif` / `else` / `endif`, `for` / `else` / `endfor`, `set`,
`filter` / `endfilter` and `block` / `endblock`; `raw` (and its other name, `verbatim`)
and comments are handled by the lexer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import lexer
from .errors import PebbleError
from .lexer import Token

# Pebble's precedences (CoreExtension), Kestra's `??` and `???` (its Extension), and
# `in` / `not in` beside `contains`, their mirror image.
BINARY_PRECEDENCE = {
    "or": 10,
    "and": 15,
    "is": 20,
    "is not": 20,
    "contains": 20,
    "in": 20,
    "not in": 20,
    "==": 30,
    "equals": 30,
    "!=": 30,
    ">": 30,
    "<": 30,
    ">=": 30,
    "<=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
UNARY_PRECEDENCE = {"not": 500, "+": 500, "-": 500}
_RESERVED = {"true", "false", "null", "none", "TRUE", "FALSE", "NULL", "NONE"}
_CONSTANTS: dict[str, Any] = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "null": None,
    "NULL": None,
    "none": None,
    "NONE": None,
}
MAX_NESTING = 100


@dataclass(slots=True)
class Node:
    line: int


@dataclass(slots=True)
class Expr(Node):
    depth: int = field(default=1, kw_only=True)


@dataclass(slots=True)
class Literal(Expr):
    value: Any


@dataclass(slots=True)
class Variable(Expr):
    name: str


@dataclass(slots=True)
class Attribute(Expr):
    target: Expr
    key: Expr


@dataclass(slots=True)
class ListLiteral(Expr):
    items: list[Expr]


@dataclass(slots=True)
class MapLiteral(Expr):
    pairs: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class Unary(Expr):
    operator: str
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    operator: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Arguments:
    positional: list[Expr]
    named: dict[str, Expr]


@dataclass(slots=True)
class FilterCall(Expr):
    value: Expr
    name: str
    arguments: Arguments


@dataclass(slots=True)
class TestCall(Expr):
    value: Expr
    name: str
    negated: bool


@dataclass(slots=True)
class FunctionCall(Expr):
    name: str
    arguments: Arguments


@dataclass(slots=True)
class Ternary(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(slots=True)
class Text(Node):
    text: str


@dataclass(slots=True)
class Print(Node):
    expression: Expr


@dataclass(slots=True)
class If(Node):
    branches: list[tuple[Expr, list[Node]]]
    otherwise: list[Node]


@dataclass(slots=True)
class For(Node):
    variable: str
    iterable: Expr
    body: list[Node]
    otherwise: list[Node]


@dataclass(slots=True)
class Set(Node):
    name: str
    expression: Expr


# What a `filter` tag's body rendered to, as its chain of filters reads it: a name no
# template can write (it holds a space).
FILTERED = "filter body"


@dataclass(slots=True)
class FilterBlock(Node):
    body: list[Node]
    chain: Expr  # the filters, applied to Variable(FILTERED)


@dataclass(slots=True)
class Block(Node):
    """`{% block name %}…{% endblock %}`: shows the block of that name, the one defined
    last (Pebble keeps one per name), which `block("name")` shows again."""

    name: str
    body: list[Node]


def _depth(*children: Expr) -> int:
    return 1 + max((child.depth for child in children), default=0)


class Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    # the token stream

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self) -> Token:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != lexer.END:
            self.index += 1
        return token

    def test(self, kind: str, value: object = None) -> bool:
        token = self.current
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: object = None) -> Token:
        if not self.test(kind, value):
            wanted = value if value is not None else kind
            raise self.fail(f"Expected {wanted}, found {self._shown(self.current)}")
        return self.advance()

    def fail(self, message: str, line: int | None = None) -> PebbleError:
        return PebbleError(f"{message} ({self.source}:{line or self.current.line})")

    @staticmethod
    def _shown(token: Token) -> str:
        if token.kind == lexer.END:
            return "the end of the template"
        if token.kind == lexer.STRING:
            return f"string '{token.value}'"
        return f'"{token.value}"'

    def _enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.fail(f"The template nests more than {MAX_NESTING} levels deep")

    def _check_depth(self, node: Expr) -> Expr:
        if node.depth > MAX_NESTING:
            raise self.fail(f"The expression nests more than {MAX_NESTING} levels deep")
        return node

    # the template

    def parse(self) -> list[Node]:
        body, _ = self.body(())
        return body

    def body(self, stops: tuple[str, ...]) -> tuple[list[Node], str | None]:
        """Nodes up to one of the tag names in `stops` (left as the current token) or the
        end of the template."""
        self._enter()
        nodes: list[Node] = []
        while True:
            token = self.current
            if token.kind == lexer.END:
                if stops:
                    raise self.fail(f'Unexpected end of template, expected "{stops[-1]}"')
                self.nesting -= 1
                return nodes, None
            if token.kind == lexer.TEXT:
                self.advance()
                nodes.append(Text(token.line, str(token.value)))
            elif token.kind == lexer.PRINT_OPEN:
                self.advance()
                expression = self.expression()
                self.expect(lexer.PRINT_CLOSE)
                nodes.append(Print(token.line, expression))
            else:
                self.expect(lexer.TAG_OPEN)
                name = self.expect(lexer.NAME).value
                if name in stops:
                    self.nesting -= 1
                    return nodes, str(name)
                nodes.append(self.tag(str(name), token.line))

    def tag(self, name: str, line: int) -> Node:
        if name == "if":
            return self._if(line)
        if name == "for":
            return self._for(line)
        if name == "filter":
            return self._filter_block(line)
        if name == "block":
            return self._block(line)
        if name == "set":
            variable = self._new_variable()
            self.expect(lexer.PUNCTUATION, "=")
            expression = self.expression()
            self.expect(lexer.TAG_CLOSE)
            return Set(line, variable, expression)
        raise self.fail(f'Unexpected tag name "{name}"', line)

    def _if(self, line: int) -> If:
        branches: list[tuple[Expr, list[Node]]] = []
        condition = self.expression()
        while True:
            self.expect(lexer.TAG_CLOSE)
            body, stop = self.body(("elseif", "else", "endif"))
            branches.append((condition, body))
            if stop == "elseif":
                condition = self.expression()
                continue
            otherwise: list[Node] = []
            if stop == "else":
                self.expect(lexer.TAG_CLOSE)
                otherwise, _ = self.body(("endif",))
            self.expect(lexer.TAG_CLOSE)
            return If(line, branches, otherwise)

    def _for(self, line: int) -> For:
        variable = self._new_variable()
        if not (self.test(lexer.OPERATOR, "in") or self.test(lexer.NAME, "in")):
            raise self.fail(f'Expected "in", found {self._shown(self.current)}')
        self.advance()
        iterable = self.expression()
        self.expect(lexer.TAG_CLOSE)
        body, stop = self.body(("else", "endfor"))
        otherwise: list[Node] = []
        if stop == "else":
            self.expect(lexer.TAG_CLOSE)
            otherwise, _ = self.body(("endfor",))
        self.expect(lexer.TAG_CLOSE)
        return For(line, variable, iterable, body, otherwise)

    def _filter_block(self, line: int) -> FilterBlock:
        chain: Expr = self._filter(Variable(line, FILTERED))
        while self.test(lexer.OPERATOR, "|"):
            self.advance()
            chain = self._filter(chain)
        self.expect(lexer.TAG_CLOSE)
        body, _ = self.body(("endfilter",))
        self.expect(lexer.TAG_CLOSE)
        return FilterBlock(line, body, chain)

    def _block(self, line: int) -> Block:
        """Pebble's BlockTokenParser: the name a name or a string; `endblock` may repeat
        it."""
        token = self.current
        if token.kind not in (lexer.NAME, lexer.STRING):
            self.expect(lexer.NAME)
        self.advance()
        name = str(token.value)
        self.expect(lexer.TAG_CLOSE)
        body, _ = self.body(("endblock",))
        ending = self.current
        if ending.kind in (lexer.NAME, lexer.STRING) and ending.value == name:
            self.advance()
        self.expect(lexer.TAG_CLOSE)
        return Block(line, name, body)

    def _new_variable(self) -> str:
        token = self.expect(lexer.NAME)
        if token.value in _RESERVED:
            raise self.fail(f"Can not assign a value to {token.value}")
        return str(token.value)

    # expressions

    def expression(self, min_precedence: int = 0) -> Expr:
        self._enter()
        token = self.current
        left: Expr
        if token.kind == lexer.OPERATOR and token.value in UNARY_PRECEDENCE:
            self.advance()
            operand = self.expression(UNARY_PRECEDENCE[str(token.value)])
            left = self._check_depth(
                Unary(token.line, str(token.value), operand, depth=_depth(operand))
            )
        elif self.test(lexer.PUNCTUATION, "("):
            self.advance()
            left = self.expression()
            self.expect(lexer.PUNCTUATION, ")")
            left = self.postfix(left)
        elif self.test(lexer.PUNCTUATION, "["):
            left = self._list()
        elif self.test(lexer.PUNCTUATION, "{"):
            left = self._map()
        else:
            left = self.primary()
        while True:
            token = self.current
            if token.kind != lexer.OPERATOR:
                break
            precedence = BINARY_PRECEDENCE.get(str(token.value))
            if precedence is None or precedence < min_precedence:
                break
            self.advance()
            operator = str(token.value)
            if operator == "|":
                left = self._filter(left)
            elif operator in ("is", "is not"):
                name = self.expect(lexer.NAME)
                left = TestCall(
                    name.line, left, str(name.value), operator == "is not", depth=_depth(left)
                )
            else:
                right = self.expression(precedence + 1)
                left = Binary(token.line, operator, left, right, depth=_depth(left, right))
            self._check_depth(left)
        if min_precedence == 0 and self.test(lexer.PUNCTUATION, "?"):
            line = self.advance().line
            then = self.expression()
            self.expect(lexer.PUNCTUATION, ":")
            otherwise = self.expression()
            left = self._check_depth(
                Ternary(line, left, then, otherwise, depth=_depth(left, then, otherwise))
            )
        self.nesting -= 1
        return left

    def _filter(self, value: Expr) -> FilterCall:
        name = self.expect(lexer.NAME)
        arguments = self.arguments() if self.test(lexer.PUNCTUATION, "(") else Arguments([], {})
        children = [value, *arguments.positional, *arguments.named.values()]
        return FilterCall(name.line, value, str(name.value), arguments, depth=_depth(*children))

    def primary(self) -> Expr:
        token = self.advance()
        node: Expr
        if token.kind == lexer.NAME:
            name = str(token.value)
            if name in _CONSTANTS:
                node = Literal(token.line, _CONSTANTS[name])
            elif self.test(lexer.PUNCTUATION, "("):
                arguments = self.arguments()
                children = [*arguments.positional, *arguments.named.values()]
                node = FunctionCall(token.line, name, arguments, depth=_depth(*children))
            else:
                node = Variable(token.line, name)
        elif token.kind == lexer.NUMBER:
            node = Literal(token.line, token.value)
        elif token.kind in (lexer.STRING, lexer.INTERPOLATION_OPEN):
            self.index -= 1
            node = self._string()
        else:
            raise self.fail(f"Unexpected token {self._shown(token)}", token.line)
        return self.postfix(node)

    def _string(self) -> Expr:
        """A string literal, or the concatenation of its parts and `#{ }` interpolations."""
        parts: list[Expr] = []
        previous = None
        while True:
            token = self.current
            if token.kind == lexer.STRING and previous != lexer.STRING:
                self.advance()
                parts.append(Literal(token.line, token.value))
            elif token.kind == lexer.INTERPOLATION_OPEN:
                self.advance()
                parts.append(self.expression())
                self.expect(lexer.INTERPOLATION_CLOSE)
            else:
                break
            previous = token.kind
        node = parts[0]
        for part in parts[1:]:
            node = self._check_depth(Binary(part.line, "~", node, part, depth=_depth(node, part)))
        return node

    def postfix(self, node: Expr) -> Expr:
        while True:
            if self.test(lexer.PUNCTUATION, "."):
                self.advance()
                name = self.expect(lexer.NAME)
                if self.test(lexer.PUNCTUATION, "("):
                    raise self.fail(f'Methods can not be called: "{name.value}(…)"')
                key: Expr = Literal(name.line, name.value)
                node = Attribute(name.line, node, key, depth=_depth(node))
            elif self.test(lexer.PUNCTUATION, "["):
                line = self.advance().line
                key = self.expression()
                self.expect(lexer.PUNCTUATION, "]")
                node = Attribute(line, node, key, depth=_depth(node, key))
            elif self.test(lexer.PUNCTUATION, "("):
                raise self.fail("Only functions can be called")
            else:
                return node
            self._check_depth(node)

    def arguments(self) -> Arguments:
        self.expect(lexer.PUNCTUATION, "(")
        positional: list[Expr] = []
        named: dict[str, Expr] = {}
        while not self.test(lexer.PUNCTUATION, ")"):
            if positional or named:
                self.expect(lexer.PUNCTUATION, ",")
            following = self.peek()
            if self.current.kind == lexer.NAME and following[:2] == (lexer.PUNCTUATION, "="):
                name = self._new_variable()
                self.expect(lexer.PUNCTUATION, "=")
                named[name] = self.expression()
            elif named:
                raise self.fail("Positional arguments must be declared before any named arguments.")
            else:
                positional.append(self.expression())
        self.expect(lexer.PUNCTUATION, ")")
        return Arguments(positional, named)

    def _list(self) -> ListLiteral:
        line = self.expect(lexer.PUNCTUATION, "[").line
        items: list[Expr] = []
        while not self.test(lexer.PUNCTUATION, "]"):
            if items:
                self.expect(lexer.PUNCTUATION, ",")
            items.append(self.expression())
        self.advance()
        return ListLiteral(line, items, depth=_depth(*items))

    def _map(self) -> MapLiteral:
        line = self.expect(lexer.PUNCTUATION, "{").line
        pairs: list[tuple[Expr, Expr]] = []
        while not self.test(lexer.PUNCTUATION, "}"):
            if pairs:
                self.expect(lexer.PUNCTUATION, ",")
            key = self.expression()
            self.expect(lexer.PUNCTUATION, ":")
            pairs.append((key, self.expression()))
        self.advance()
        return MapLiteral(line, pairs, depth=_depth(*(item for pair in pairs for item in pair)))


def parse(source: str) -> list[Node]:
    return Parser(source, lexer.tokenize(source)).parse()
