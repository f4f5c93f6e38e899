"""Amazon Ion text, read the way `fromIon` needs it: Ion is a superset of JSON with bare
symbols (`{title: Main_Page}`), typed numbers (`1.5e0` float, `1.5` decimal), timestamps,
annotations (`ZonedDateTime::"..."`, dropped) and comments. Blobs and clobs are not read.

The Ion library for Python needs numpy; this is the small part Kestra's flows use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_NULL = re.compile(r"null(?:\.[a-z]+)?(?![\w$])")
_TIMESTAMP = re.compile(
    r"(\d{4})(?:T|-(\d{2})(?:T|-(\d{2})(?:T(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2}))?)?)?)(?![\w$])"
)
_NUMBER = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|(?:\d[\d_]*)(?:\.[\d_]*)?(?:[eEdD][-+]?\d+)?)(?![\w$.])"
    r"|[-+]inf|nan"
)
_SYMBOL = re.compile(r"[A-Za-z_$][\w$]*")
_OPERATOR = re.compile(r"[!#%&*+\-./;<=>?@^`|~]+")


class IonError(ValueError):
    pass


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, what: str) -> IonError:
        return IonError(f"{what} at position {self.at}")

    def skip(self) -> None:
        match = _SPACE.match(self.text, self.at)
        self.at = match.end() if match else self.at

    def peek(self) -> str:
        self.skip()
        return self.text[self.at : self.at + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected '{char}'")
        self.at += 1

    def string(self) -> str:
        quote = self.text[self.at]
        if self.text.startswith("'''", self.at):
            parts = []
            while self.text.startswith("'''", self.at):
                end = self.text.find("'''", self.at + 3)
                if end == -1:
                    raise self.fail("unterminated long string")
                parts.append(self.text[self.at + 3 : end])
                self.at = end + 3
                self.skip()
            return json.loads('"' + "".join(parts).replace('"', '\\"').replace("\n", "\\n") + '"')
        end = self.at + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise self.fail("unterminated string")
        body = self.text[self.at + 1 : end]
        self.at = end + 1
        if quote == "'":
            body = body.replace("\\'", "'").replace('"', '\\"')
        try:
            return str(json.loads('"' + body + '"'))
        except json.JSONDecodeError as error:
            raise self.fail("bad escape in string") from error

    def value(self) -> Any:
        char = self.peek()
        if not char:
            raise self.fail("unexpected end of data")
        if char == "{":
            if self.text.startswith("{{", self.at):
                raise self.fail("blobs and clobs are not supported")
            return self.struct()
        if char in "[(":
            return self.sequence("]" if char == "[" else ")")
        if char in "\"'":
            text = self.string()
            return self.annotated(text)
        for pattern, convert in (
            (_NULL, lambda _text: None),
            (_TIMESTAMP, _timestamp),
            (_NUMBER, _number),
        ):
            if match := pattern.match(self.text, self.at):
                self.at = match.end()
                return convert(match.group(0))
        if match := _SYMBOL.match(self.text, self.at):
            self.at = match.end()
            return self.annotated(
                {"true": True, "false": False}.get(match.group(0), match.group(0))
            )
        if match := _OPERATOR.match(self.text, self.at):
            self.at = match.end()
            return match.group(0)
        raise self.fail(f"unexpected character '{char}'")

    def annotated(self, text: Any) -> Any:
        if self.peek() == ":" and self.text.startswith("::", self.at):
            self.at += 2
            return self.value()
        return text

    def struct(self) -> dict[str, Any]:
        self.expect("{")
        fields: dict[str, Any] = {}
        while self.peek() != "}":
            char = self.peek()
            if not char:
                raise self.fail("expected '}'")
            if char in "\"'":
                name = self.string()
            elif match := _SYMBOL.match(self.text, self.at):
                self.at = match.end()
                name = match.group(0)
            else:
                raise self.fail("expected a field name")
            self.expect(":")
            fields[name] = self.value()
            if self.peek() != "}":
                self.expect(",")
        self.at += 1
        return fields

    def sequence(self, end: str) -> list[Any]:
        self.at += 1
        items = []
        while self.peek() != end:
            if not self.peek():
                raise self.fail(f"expected '{end}'")
            items.append(self.value())
            if end == "]" and self.peek() != "]":
                self.expect(",")
        self.at += 1
        return items


def _timestamp(text: str) -> Any:
    match = _TIMESTAMP.fullmatch(text)
    assert match is not None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if hour is None:
        return dt.date(int(year), int(month or 1), int(day or 1))
    micros = int((fraction or ".0")[1:7].ljust(6, "0"))
    tz = dt.UTC if offset in ("Z", "-00:00") else dt.datetime.strptime(offset, "%z").tzinfo
    return dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micros, tzinfo=tz
    )


def _number(text: str) -> Any:
    plain = text.replace("_", "")
    if plain in ("+inf", "-inf", "nan"):
        return float(plain)
    if plain.lstrip("+-")[:2].lower() in ("0x", "0b"):
        return int(plain, 0)
    if "e" in plain.lower():
        return float(plain)
    if "d" in plain.lower() or "." in plain:
        return Decimal(plain.lower().replace("d", "e"))
    return int(plain)


def loads(text: str) -> Any:
    """The first value of an Ion text document."""
    reader = _Reader(text)
    try:
        while reader.text.startswith("$ion_1_0", reader.at) or not reader.peek():
            if not reader.peek():
                raise reader.fail("no value")
            reader.at += len("$ion_1_0")
        return reader.value()
    except IonError:
        raise
    except (ValueError, ArithmeticError, IndexError) as error:
        # A number, timestamp or escape that matched the grammar but not its range.
        raise reader.fail(str(error)) from error
