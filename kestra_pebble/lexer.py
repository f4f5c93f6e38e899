"""Pebble's lexer: template text into tokens.

Outside a tag the text is kept as written; `{{ }}` prints, `{% %}` runs a tag, `{# #}`
is a comment. A `-` next to a delimiter (`{{-`, `-}}`) trims the whitespace on that side.
`{% raw %}…{% endraw %}` is text, as Kestra keeps it. Inside a tag the tokens are
operators (the longest first, a word operator only as a whole word), names, numbers,
strings and punctuation. Only `\\'` in single quotes and `\\"` in double quotes are
escapes (every other backslash stays), and double-quoted strings interpolate `#{ }`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import PebbleError

TEXT = "text"
PRINT_OPEN, PRINT_CLOSE = "{{", "}}"
TAG_OPEN, TAG_CLOSE = "{%", "%}"
NAME, NUMBER, STRING, OPERATOR, PUNCTUATION = "name", "number", "string", "operator", "punct"
INTERPOLATION_OPEN, INTERPOLATION_CLOSE = "#{", "}#"
END = "end of template"


class Token(NamedTuple):
    kind: str
    value: object
    line: int


_WORD_OPERATORS = ("is not", "not in", "contains", "equals", "and", "not", "or", "is", "in")
_SYMBOL_OPERATORS = ["???", "??", "==", "!=", ">=", "<=", "..", ">", "<", "+", "-", "*"]
_SYMBOL_OPERATORS += ["/", "%", "|", "~"]
_OPERATOR = re.compile(
    "|".join(
        [w.replace(" ", r"\s+") + r"(?![\w])" for w in _WORD_OPERATORS]
        + [re.escape(s) for s in _SYMBOL_OPERATORS]
    )
)
_NAME = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(r"([0-9]+)L|[0-9]+(\.[0-9]+)?")
_SPACE = re.compile(r"\s*")
_OPENING = re.compile(r"\{([{%#])(-?)")
_RAW = re.compile(r"\{%-?\s*(raw|verbatim)\s*-?%\}")
_END_RAW = {
    "raw": re.compile(r"\{%-?\s*endraw\s*-?%\}"),
    "verbatim": re.compile(r"\{%-?\s*endverbatim\s*-?%\}"),
}
_PUNCTUATION = "()[]{}?:.,="
_PAIRS = {"(": ")", "[": "]", "{": "}"}


class Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.tokens: list[Token] = []
        self._line = 1
        self._line_pos = 0
        self._trim_next_text = False

    def line(self) -> int:
        self._line += self.source.count("\n", self._line_pos, self.pos)
        self._line_pos = self.pos
        return self._line

    def fail(self, message: str) -> PebbleError:
        return PebbleError(f"{message} ({self.source}:{self.line()})")

    def tokenize(self) -> list[Token]:
        source = self.source
        while self.pos < len(source):
            opening = _OPENING.search(source, self.pos)
            if opening is None:
                self._text(source[self.pos :], trim_before=False)
                break
            raw = _RAW.match(source, opening.start())
            if raw:
                self._text(source[self.pos : opening.start()], trim_before=False)
                self.pos = raw.end()
                self._raw(raw.group(1))
                continue
            self._text(source[self.pos : opening.start()], trim_before=opening.group(2) == "-")
            self.pos = opening.end()
            self._region(opening.group(1))
        self.pos = len(source)
        self.tokens.append(Token(END, None, self.line()))
        return self.tokens

    def _text(self, text: str, *, trim_before: bool) -> None:
        if self._trim_next_text:
            text = text.lstrip()
            self._trim_next_text = False
        if trim_before:
            text = text.rstrip()
        if text:
            self.tokens.append(Token(TEXT, text, self.line()))

    def _raw(self, tag: str) -> None:
        end = _END_RAW[tag].search(self.source, self.pos)
        if end is None:
            raise self.fail(f"Unclosed {tag} tag")
        self._text(self.source[self.pos : end.start()], trim_before=False)
        self.pos = end.end()

    def _region(self, kind: str) -> None:
        if kind == "#":
            end = self.source.find("#}", self.pos)
            if end == -1:
                raise self.fail("Unclosed comment")
            self._trim_next_text = self.source[end - 1 : end] == "-"
            self.pos = end + 2
            return
        opener, closer = (PRINT_OPEN, PRINT_CLOSE) if kind == "{" else (TAG_OPEN, TAG_CLOSE)
        self.tokens.append(Token(opener, opener, self.line()))
        self._expression(closer)

    def _expression(self, closer: str) -> None:
        """Tokens up to `closer` (`}}`, `%}`, or `}` that ends an interpolation)."""
        source = self.source
        brackets: list[str] = []
        while True:
            self.pos = _SPACE.match(source, self.pos).end()  # type: ignore[union-attr]
            if self.pos >= len(source):
                raise self.fail(f'Unexpected end of template, expected "{closer}"')
            if not brackets and self._closes(closer):
                return
            char = source[self.pos]
            operator = _OPERATOR.match(source, self.pos)
            if operator:
                words = " ".join(operator.group().split())
                self.tokens.append(Token(OPERATOR, words, self.line()))
                self.pos = operator.end()
                continue
            name = _NAME.match(source, self.pos)
            if name:
                self.tokens.append(Token(NAME, name.group(), self.line()))
                self.pos = name.end()
                continue
            number = _NUMBER.match(source, self.pos)
            if number:
                text = number.group(1) or number.group()
                value: object = float(text) if number.group(2) else int(text)
                self.tokens.append(Token(NUMBER, value, self.line()))
                self.pos = number.end()
                continue
            if char in _PUNCTUATION:
                self._bracket(char, brackets)
                self.tokens.append(Token(PUNCTUATION, char, self.line()))
                self.pos += 1
                continue
            if char == "'":
                self._single_quoted()
                continue
            if char == '"':
                self._double_quoted()
                continue
            raise self.fail(f"Unexpected character [{char}]")

    def _closes(self, closer: str) -> bool:
        source = self.source
        if closer == "}":
            if source.startswith("}", self.pos):
                self.pos += 1
                return True
            return False
        trim = source.startswith("-" + closer, self.pos)
        if not trim and not source.startswith(closer, self.pos):
            return False
        self.pos += len(closer) + trim
        self._trim_next_text = trim
        self.tokens.append(Token(closer, closer, self.line()))
        return True

    def _bracket(self, char: str, brackets: list[str]) -> None:
        if char in _PAIRS:
            brackets.append(_PAIRS[char])
        elif char in ")]}":
            if not brackets:
                raise self.fail(f'Unexpected "{char}"')
            expected = brackets.pop()
            if expected != char:
                raise self.fail(f'Unclosed "{expected}"')

    def _single_quoted(self) -> None:
        source, start = self.source, self.pos + 1
        end = start
        while True:
            end = source.find("'", end)
            if end == -1:
                raise self.fail("Unclosed string")
            if _escaped(source, end):
                end += 1
                continue
            break
        self.tokens.append(Token(STRING, source[start:end].replace("\\'", "'"), self.line()))
        self.pos = end + 1

    def _double_quoted(self) -> None:
        source = self.source
        self.pos += 1
        part: list[str] = []
        interpolated = False
        while True:
            if self.pos >= len(source):
                raise self.fail("Unclosed string")
            char = source[self.pos]
            if char == "\\" and self.pos + 1 < len(source):
                following = source[self.pos + 1]
                part.append(following if following == '"' else char + following)
                self.pos += 2
            elif char == '"':
                self.pos += 1
                if part or not interpolated:
                    self.tokens.append(Token(STRING, "".join(part), self.line()))
                return
            elif source.startswith("#{", self.pos):
                if part:
                    self.tokens.append(Token(STRING, "".join(part), self.line()))
                    part = []
                interpolated = True
                self.tokens.append(Token(INTERPOLATION_OPEN, "#{", self.line()))
                self.pos += 2
                self._expression("}")
                self.tokens.append(Token(INTERPOLATION_CLOSE, "}", self.line()))
            else:
                part.append(char)
                self.pos += 1


def _escaped(source: str, index: int) -> bool:
    """Whether the quote at `index` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and source[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def tokenize(source: str) -> list[Token]:
    return Lexer(source).tokenize()
