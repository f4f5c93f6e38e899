"""Kestra's filters: Pebble's core ones (as Kestra customises them: `numberFormat`,
`replace` with `regexp`, no `escape`/`raw`) and Kestra's own, with their Java behaviour
and error messages. Each is called as `f(env, input, *args, **kwargs)`; see registry.py.

Where Java sorts or reverses a list in place, these return a new list: a template never
changes the values it was given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import jq as jq_library
import yaml as pyyaml

from kestra_pebble import dates
from kestra_pebble.arguments import pebble_arguments
from kestra_pebble.errors import PebbleError
from kestra_pebble.java import (
    cast_int,
    cast_string,
    class_name,
    is_java_whitespace,
    java_string,
)
from kestra_pebble.numbers import format_number, parse_number
from kestra_pebble.registry import Env, Filter
from kestra_pebble.values import is_empty, to_json, to_text

FILTERS: dict[str, Filter] = {}


def _filter(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
        bound = pebble_arguments(leading=2)(implementation)
        for name in names:
            FILTERS[name] = bound
        return implementation

    return register


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _check_size(env: Env, size: int) -> None:
    """Refuse, before building it, a text longer than a render may produce: a filter can
    multiply its input (`indent(1000000)`, `join` of a list holding one long text many
    times), and building it first would hang the render."""
    if size > env.max_output:
        raise PebbleError(f"A text is longer than {env.max_output} characters")


# Text


@_filter("abbreviate")
def abbreviate(env: Env, value: Any, length: Any = None) -> Any:
    if value is None:
        return None
    text = cast_string(value)
    width = cast_int(length, "length")
    if width < 0:
        raise PebbleError("Invalid argument to abbreviate filter; must be greater than zero")
    if len(text) < width or len(text) <= 3:
        return text
    if width <= 3:
        return text[:width]
    return text[: width - 3] + "..."


def _title_case(char: str) -> str:
    """`Character.toTitleCase`: one character for one; ß has no title case of its own."""
    titled = char.title()
    return titled if len(titled) == 1 else char


@_filter("capitalize")
def capitalize(env: Env, value: Any) -> Any:
    if value is None:
        return None
    text = cast_string(value)
    for index, char in enumerate(text):
        if not is_java_whitespace(char):
            return text[:index] + _title_case(char) + text[index + 1 :]
    return text


@_filter("title")
def title(env: Env, value: Any) -> Any:
    if value is None:
        return None
    result = []
    start_of_word = True
    for char in cast_string(value):
        if is_java_whitespace(char):
            start_of_word = True
        elif start_of_word:
            char = _title_case(char)
            start_of_word = False
        result.append(char)
    return "".join(result)


@_filter("lower")
def lower(env: Env, value: Any) -> Any:
    return None if value is None else java_string(value).lower()


@_filter("upper")
def upper(env: Env, value: Any) -> Any:
    return None if value is None else java_string(value).upper()


_JAVA_TRIMMED = "".join(chr(code) for code in range(0x21))


@_filter("trim")
def trim(env: Env, value: Any) -> Any:
    return None if value is None else cast_string(value).strip(_JAVA_TRIMMED)


def _java_replacement(replacement: str) -> str:
    """A Java regex replacement (`$1`, `${name}`, `\\$`) as Python's `re.sub` reads it."""
    result = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 == len(replacement):
            raise PebbleError("character to be escaped is missing")
        if char == "\\":
            result.append(replacement[index + 1].replace("\\", "\\\\"))
            index += 2
        elif char == "$" and (named := re.match(r"\$\{(\w+)\}", replacement[index:])):
            result.append(f"\\g<{named.group(1)}>")
            index += named.end()
        elif char == "$" and (group := re.match(r"\$(\d)", replacement[index:])):
            result.append(f"\\g<{group.group(1)}>")
            index += 2
        elif char == "$":
            raise PebbleError("Illegal group reference")
        else:
            result.append(char)
            index += 1
    return "".join(result)


def _replace_regexp(env: Env, text: str, pattern: str, replacement: str) -> str:
    """`String.replaceAll`, counting the text as it grows so that it stops at the limit."""
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise PebbleError(f"Invalid regular expression '{pattern}': {error}") from error
    template = _java_replacement(replacement)
    size = len(text)

    def substitute(match: re.Match[str]) -> str:
        nonlocal size
        try:
            piece = match.expand(template)
        except (re.error, IndexError) as error:
            raise PebbleError(f"No group in the regular expression for '{replacement}'") from error
        size += len(piece) - (match.end() - match.start())
        _check_size(env, size)
        return piece

    return regex.sub(substitute, text)


def _replace_text(env: Env, text: str, pairs: Mapping[Any, Any], regexp: bool) -> str:
    for old, new in pairs.items():
        if regexp:
            text = _replace_regexp(env, text, java_string(old), java_string(new))
        else:
            _check_size(env, len(text) + text.count(java_string(old)) * len(java_string(new)))
            text = text.replace(java_string(old), java_string(new))
    return text


def _each_string(value: Any, change: Callable[[str], str]) -> Any:
    """Apply a string change through maps and lists, as `replace` and `escapeChar` do: any
    other value inside is turned into text first."""
    if isinstance(value, Mapping):
        return {key: _each_string(item, change) for key, item in value.items()}
    if _is_list(value):
        return [_each_string(item, change) for item in value]
    if value is None:
        raise PebbleError('Cannot invoke "Object.toString()" because "value" is null')
    return change(java_string(value))


@_filter("replace")
def replace(env: Env, value: Any, replace_pairs: Any = None, regexp: Any = False) -> Any:
    if value is None:
        return None
    if replace_pairs is None:
        raise PebbleError("The argument 'replace_pairs' is required.")
    if not isinstance(replace_pairs, Mapping):
        raise PebbleError(
            f"class {class_name(replace_pairs)} cannot be cast to class java.util.Map"
        )
    return _each_string(value, lambda text: _replace_text(env, text, replace_pairs, bool(regexp)))


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


@_filter("escapeChar")
def escape_char(env: Env, value: Any, type: Any = None) -> Any:  # noqa: A002 (Kestra's name)
    if value is None:
        return None
    if type is None:
        raise PebbleError("The 'escapeChar' filter expects an argument 'type'.")
    escape = _ESCAPES.get(str(type).lower())
    if escape is None:
        raise PebbleError(
            "The 'escapeChar' filter expects the value of 'type' to be either 'single', "
            "'double', or 'shell'."
        )
    return _each_string(value, lambda text: text.replace(*escape))


def _required_text(value: Any, what: str) -> str:
    if value is None:
        raise PebbleError(f'Cannot invoke "Object.toString()" because {what} is null')
    return java_string(value)


@_filter("startsWith")
def starts_with(env: Env, subject: Any, value: Any = None) -> Any:
    return _required_text(subject, "input").startswith(_required_text(value, "value"))


@_filter("endsWith")
def ends_with(env: Env, subject: Any, value: Any = None) -> Any:
    return _required_text(subject, "input").endswith(_required_text(value, "value"))


_MISSING = object()


def _separator_args(name: str, value: Any, separator: Any) -> tuple[str, str | None]:
    if separator is _MISSING:
        raise PebbleError(f"The '{name}' filter expects an argument 'separator'.")
    return java_string(value), None if separator is None else java_string(separator)


@_filter("substringBefore")
def substring_before(env: Env, value: Any, separator: Any = _MISSING) -> Any:
    if value is None:
        return None
    text, sep = _separator_args("substringBefore", value, separator)
    if not text or sep is None:
        return text
    position = text.find(sep)
    return text if position == -1 else text[:position]


@_filter("substringBeforeLast")
def substring_before_last(env: Env, value: Any, separator: Any = _MISSING) -> Any:
    if value is None:
        return None
    text, sep = _separator_args("substringBeforeLast", value, separator)
    if not text or not sep:
        return text
    position = text.rfind(sep)
    return text if position == -1 else text[:position]


@_filter("substringAfter")
def substring_after(env: Env, value: Any, separator: Any = _MISSING) -> Any:
    if value is None:
        return None
    text, sep = _separator_args("substringAfter", value, separator)
    if not text:
        return text
    if sep is None:
        return ""
    position = text.find(sep)
    return "" if position == -1 else text[position + len(sep) :]


@_filter("substringAfterLast")
def substring_after_last(env: Env, value: Any, separator: Any = _MISSING) -> Any:
    if value is None:
        return None
    text, sep = _separator_args("substringAfterLast", value, separator)
    if not text:
        return text
    if not sep:
        return ""
    position = text.rfind(sep)
    if position == -1 or position == len(text) - len(sep):
        return ""
    return text[position + len(sep) :]


def _java_split(text: str, pattern: str, limit: int) -> list[str]:
    """`String.split(regex, limit)`: no leading empty part for a match of width zero at the
    start, and with limit 0 no trailing empty parts."""
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise PebbleError(f"Invalid regular expression '{pattern}': {error}") from error
    parts: list[str] = []
    start = 0
    for match in regex.finditer(text):
        if limit > 0 and len(parts) == limit - 1:
            break
        if match.end() == 0:
            continue
        if match.start() == match.end() and match.start() == start and start != 0:
            continue
        parts.append(text[start : match.start()])
        start = match.end()
    if not parts:
        return [text]
    parts.append(text[start:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


@_filter("split")
def split(env: Env, value: Any, delimiter: Any = None, limit: Any = None) -> Any:
    if value is None:
        return None
    if delimiter is None:
        raise PebbleError("missing delimiter parameter in split filter")
    return _java_split(cast_string(value), cast_string(delimiter), 0 if limit is None else limit)


def _java_slug(text: str) -> str:
    """Kestra's `Slugify.of`: whitespace to dashes, accents off, anything but ASCII letters,
    digits, `-` and `_` dropped, `_` to `-`, dashes collapsed, one trimmed at each end."""
    slug = re.sub(r"[ \t\n\x0b\f\r]", "-", text)
    slug = re.sub(r"[^A-Za-z0-9_-]", "", unicodedata.normalize("NFD", slug))
    slug = re.sub(r"-{2,}", "-", slug.replace("_", "-"))
    slug = slug.removeprefix("-").removesuffix("-")
    return slug.lower()


@_filter("slugify")
def slugify(env: Env, value: Any) -> Any:
    return None if value is None else _java_slug(java_string(value))


def _indent(env: Env, kind: str, value: Any, amount: Any, prefix: Any) -> Any:
    if value is None:
        return None
    text = java_string(value)
    if not text:
        return text
    if amount is None:
        raise PebbleError(f"The '{kind}' filter expects an integer as argument 'amount'.")
    count = cast_int(amount, "amount")
    if count < 0:
        raise PebbleError(
            f"The '{kind}' filter expects a positive integer >=0 as argument 'amount'."
        )
    newline = next((sep for sep in ("\r\n", "\n\r", "\n", "\r") if sep in text), "\n")
    lines = text.count(newline) + (kind == "nindent")
    _check_size(env, len(text) + lines * (len(newline) + count * len(java_string(prefix))))
    padding = java_string(prefix) * count
    if kind == "nindent":
        text = newline + text
    return text.replace(newline, newline + padding)


@_filter("indent")
def indent(env: Env, value: Any, amount: Any = None, prefix: Any = " ") -> Any:
    return _indent(env, "indent", value, amount, prefix)


@_filter("nindent")
def nindent(env: Env, value: Any, amount: Any = None, prefix: Any = " ") -> Any:
    return _indent(env, "nindent", value, amount, prefix)


# Encodings and hashes


@_filter("base64encode")
def base64encode(env: Env, value: Any) -> Any:
    if value is None:
        return None
    return base64.b64encode(java_string(value).encode()).decode("ascii")


@_filter("base64decode")
def base64decode(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PebbleError("This filter applies to String")
    padded = value if "=" in value else value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as error:
        raise PebbleError(
            "Please provide a correctly Base64 encoded string containing an UTF-8 string"
        ) from error


@_filter("urlencode")
def urlencode(env: Env, value: Any) -> Any:
    if value is None:
        return None
    return urllib.parse.quote_plus(cast_string(value), safe="*").replace("~", "%7E")


_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")


@_filter("urldecode")
def urldecode(env: Env, value: Any) -> Any:
    if value is None:
        return None
    text = cast_string(value)
    if _BAD_ESCAPE.search(text):
        raise PebbleError("URLDecoder: Illegal hex characters in escape (%) pattern")
    return urllib.parse.unquote_plus(text, errors="replace")


def _hash_filter(name: str, algorithm: str) -> None:
    def digest(env: Env, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise PebbleError("Need a string to hash")
        return hashlib.new(algorithm, value.encode()).hexdigest()

    digest.__name__ = name
    _filter(name)(digest)


for _name, _algorithm in (
    ("md5", "md5"),
    ("sha1", "sha1"),
    ("sha256", "sha256"),
    ("sha512", "sha512"),
):
    _hash_filter(_name, _algorithm)


# Collections


@_filter("first")
def first(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise PebbleError("Index 0 out of bounds for length 0")
        return value[0]
    if not isinstance(value, list | tuple | set | frozenset):
        raise PebbleError(f"class {class_name(value)} cannot be cast to class java.util.Collection")
    return next(iter(value), None)


@_filter("last")
def last(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise PebbleError("Index -1 out of bounds for length 0")
        return value[-1]
    if not isinstance(value, list | tuple | set | frozenset):
        raise PebbleError(f"class {class_name(value)} cannot be cast to class java.util.Collection")
    items = list(value)
    return items[-1] if items else None


@_filter("length")
def length(env: Env, value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-16-le")) // 2
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value)
    return 0


@_filter("join")
def join(env: Env, value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, list | tuple | set | frozenset):
        raise PebbleError(
            "The 'join' filter expects that the input is either a collection or an array."
        )
    glue = "" if separator is None else cast_string(separator)
    parts = [java_string(item) for item in value]
    _check_size(env, sum(map(len, parts)) + len(glue) * len(parts))
    return glue.join(parts)


@_filter("chunk")
def chunk(env: Env, value: Any, size: Any = None) -> Any:
    if value is None:
        return None
    if size is None:
        raise PebbleError("'chunk' filter expects an argument 'size'.")
    if not _is_list(value):
        raise PebbleError(
            f"'chunk' filter can only be applied to List. Actual type was: {class_name(value)}"
        )
    width = cast_int(size, "size")
    if width <= 0:
        raise PebbleError("size must be greater than 0")
    return [list(value[i : i + width]) for i in range(0, len(value), width)]


@_filter("distinct")
def distinct(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if not _is_list(value):
        raise PebbleError(
            f"'distinct' filter can only be applied to List. Actual type was: {class_name(value)}"
        )
    kept: list[Any] = []
    for item in value:
        if item not in kept:
            kept.append(item)
    return kept


@_filter("flatten")
def flatten(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if not _is_list(value):
        raise PebbleError("The 'flatten' filter can only be applied to lists.")
    flat: list[Any] = []
    for item in value:
        flat.extend(item) if _is_list(item) else flat.append(item)
    return flat


@_filter("keys")
def keys(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if _is_list(value):
        return list(range(len(value)))
    raise PebbleError(
        "'keys' filter can only be applied to List, Map, Array. "
        f"Actual type was: {class_name(value)}"
    )


@_filter("values")
def values(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise PebbleError(
        f"'values' filter can only be applied to Map. Actual type was: {class_name(value)}"
    )


@_filter("merge")
def merge(env: Env, value: Any, items: Any = None) -> Any:
    if value is None:
        if items is None:
            raise PebbleError("The two arguments to be merged are null")
        return items
    if items is None:
        return value
    if isinstance(value, Mapping):
        if isinstance(items, Mapping):
            return {**value, **items}
        if _is_list(items):
            # Java keys a map by any object; a list or map key prints as its toString.
            keyed = {
                java_string(item) if isinstance(item, Mapping | list | tuple | set) else item: item
                for item in items
            }
            return {**value, **keyed}
        raise PebbleError(
            f"Currently, only Maps and Lists can be merged with a Map. Arg2: {class_name(items)}"
        )
    if _is_list(value):
        if isinstance(items, Mapping):
            return [*value, *({key: item} for key, item in items.items())]
        if _is_list(items):
            return [*value, *items]
        raise PebbleError(
            f"Currently, only Maps and Lists can be merged with a List. Arg2: {class_name(items)}"
        )
    raise PebbleError("The object being filtered is not a Map/List/Array")


def _comparable_kind(item: Any) -> str | None:
    if isinstance(item, bool):
        return "boolean"
    if isinstance(item, int | float | Decimal):
        return "number"
    return "text" if isinstance(item, str) else None


def _sortable(name: str, value: Any) -> list[Any]:
    """`Collections.sort` compares items of one kind: texts, numbers or booleans."""
    if not _is_list(value):
        raise PebbleError(f"Unsupported input type for {name} filter")
    kinds = {_comparable_kind(item) for item in value}
    if None in kinds or len(kinds) > 1:
        raise PebbleError(f"The items given to the '{name}' filter cannot be compared")
    return list(value)


@_filter("sort")
def sort(env: Env, value: Any) -> Any:
    return None if value is None else sorted(_sortable("sort", value))


@_filter("rsort")
def rsort(env: Env, value: Any) -> Any:
    return None if value is None else sorted(_sortable("rsort", value), reverse=True)


@_filter("reverse")
def reverse(env: Env, value: Any) -> Any:
    if value is None:
        return None
    if not _is_list(value):
        raise PebbleError(f"class {class_name(value)} cannot be cast to class java.util.List")
    return list(reversed(value))


def _index(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return int(value)
    raise PebbleError(f"Argument {name} must be a number. Actual type: {class_name(value)}")


@_filter("slice")
def slice_(env: Env, value: Any, fromIndex: Any = None, toIndex: Any = None) -> Any:  # noqa: N803 (Pebble's names)
    if value is None:
        return None
    start = _index(fromIndex, "fromIndex") or 0
    if start < 0:
        raise PebbleError("fromIndex must be greater than 0")
    if not isinstance(value, str) and not _is_list(value):
        raise PebbleError(
            "Slice filter can only be applied to String, List and array inputs. "
            f"Actual type was: {class_name(value)}"
        )
    end = _index(toIndex, "toIndex")
    if end is None:
        end = len(value)
    elif end > len(value):
        raise PebbleError(f"toIndex must be smaller than input size: {len(value)}")
    elif start >= end:
        raise PebbleError("toIndex must be greater than fromIndex")
    return value[start:end] if isinstance(value, str) else list(value[start:end])


# Values and types


@_filter("abs")
def abs_(env: Env, value: Any) -> Any:
    if value is None:
        raise PebbleError('Can not pass null value to "abs" filter.')
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PebbleError("The 'abs' filter does require as input a number.")
    return abs(value)


@_filter("string")
def string(env: Env, value: Any) -> Any:
    return None if value is None else to_text(value)


@_filter("className")
def class_name_filter(env: Env, value: Any) -> Any:
    return None if value is None else class_name(value)


@_filter("default")
def default(env: Env, value: Any, default: Any = None) -> Any:
    return default if is_empty(value) else value


@_filter("number")
def number(env: Env, value: Any, type: Any = None) -> Any:  # noqa: A002 (Kestra's name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PebbleError(
            f"'number' filter can only be applied to String. Actual type was: {class_name(value)}"
        )
    return parse_number(value, "" if type is None else java_string(type))


@_filter("numberFormat")
def number_format(env: Env, value: Any, format: Any = None) -> Any:  # noqa: A002 (Pebble's name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PebbleError("The input for the 'NumberFormat' filter has to be a number.")
    return format_number(value, None if format is None else cast_string(format))


# Formats


@_filter("toJson", "json")
def to_json_filter(env: Env, value: Any) -> str:
    return "null" if value is None else to_json(value)


_ION_SYMBOL = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_ION_KEYWORDS = {"null", "true", "false", "nan"}
_ION_TIME_TYPES = {
    "java.time.ZonedDateTime": "ZonedDateTime",
    "java.time.LocalDateTime": "LocalDateTime",
    "java.time.LocalDate": "LocalDate",
    "java.time.LocalTime": "LocalTime",
}


def _ion_field(name: str) -> str:
    if _ION_SYMBOL.match(name) and name not in _ION_KEYWORDS:
        return name
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ion(value: Any) -> str:
    """Amazon Ion text as Jackson's Ion mapper writes it: compact, symbols for field names,
    doubles with an exponent (`1.5e0`), Java times annotated with their type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        text = to_text(value)
        return text.replace("E", "e") if "E" in text else text + "e0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_ion_field(str(k))}:{_ion(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ",".join(_ion(item) for item in value) + "]"
    annotation = _ION_TIME_TYPES.get(class_name(value))
    if annotation:
        return f"{annotation}::{json.dumps(to_text(value))}"
    raise PebbleError(
        f"Unable to transform to ion value '{java_string(value)}' with type '{class_name(value)}'"
    )


@_filter("toIon")
def to_ion(env: Env, value: Any) -> str:
    return _ion(value)


def _yaml_literal(text: str, indent: int) -> str:
    """A text of several lines as a literal block (`|-`), as Jackson writes it."""
    chomping = "+" if text.endswith("\n\n") else "" if text.endswith("\n") else "-"
    lines = text.removesuffix("\n").split("\n") if chomping != "+" else text.split("\n")[:-1]
    header = "|" + ("2" if text.startswith(" ") else "") + chomping
    return header + "".join("\n" + (" " * indent + line if line else "") for line in lines)


def _yaml_scalar(value: Any, indent: int = 2) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | int | float | Decimal):
        return to_text(value) if not isinstance(value, float) else repr(value)
    text = to_text(value)
    if "\n" in text:
        return _yaml_literal(text, indent)
    dumped = pyyaml.safe_dump(text, default_flow_style=True, allow_unicode=True, width=2**31)
    plain = dumped.removesuffix("\n...\n").removesuffix("\n")
    if plain and plain[0] not in "'\"" and "\n" not in plain:
        return plain
    return json.dumps(text, ensure_ascii=False)


def _yaml_block(value: Any, indent: int) -> list[str]:
    """Lines of a map or list as Jackson's YAML writer lays them out (INDENT_ARRAYS): two
    spaces per level for maps, list items one space in from their key with ` - `."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            lines.extend(_yaml_entry(f"{pad}{_yaml_scalar(str(key))}:", item, indent + 2, indent))
        return lines
    for item in value:
        nested = _yaml_entry(f"{pad} -", item, indent + 3, indent + 2)
        if isinstance(item, Mapping) and item:
            first_line, *rest = _yaml_block(item, indent + 3)
            nested = [f"{pad} - {first_line.lstrip()}", *rest]
        lines.extend(nested)
    return lines


def _yaml_entry(head: str, item: Any, map_indent: int, list_indent: int) -> list[str]:
    if isinstance(item, Mapping) and item:
        return [head, *_yaml_block(item, map_indent)]
    if isinstance(item, list | tuple) and item:
        return [head, *_yaml_block(item, list_indent)]
    if isinstance(item, Mapping):
        return [f"{head} {{}}"]
    if isinstance(item, list | tuple):
        return [f"{head} []"]
    return [f"{head} {_yaml_scalar(item, map_indent)}"]


@_filter("yaml")
def yaml(env: Env, value: Any) -> str:
    if isinstance(value, Mapping | list | tuple) and value:
        return "\n".join(_yaml_block(value, 0)) + "\n"
    if isinstance(value, Mapping):
        return "{}\n"
    if isinstance(value, list | tuple):
        return "[]\n"
    return _yaml_scalar(value) + "\n"


@_filter("jq")
def jq(env: Env, value: Any, expression: Any = None) -> Any:
    if value is None:
        return None
    if expression is None:
        raise PebbleError("The 'jq' filter expects an argument 'expression'.")
    try:
        program = jq_library.compile(cast_string(expression))
        text = value if isinstance(value, str) else to_json(value)
        results = list(itertools.islice(program.input_text(text), env.max_items + 1))
    except ValueError as error:
        raise PebbleError(
            f"Unable to parse jq value '{java_string(value)}' with type '{class_name(value)}'"
        ) from error
    if len(results) > env.max_items:
        raise PebbleError(f"The jq expression gives more than {env.max_items} values")
    return results


# Dates


@_filter("date")
def date(
    env: Env,
    value: Any,
    format: Any = None,  # noqa: A002 (Kestra's name)
    timeZone: Any = None,  # noqa: N803 (Kestra's names)
    existingFormat: Any = None,  # noqa: N803
    locale: Any = None,
) -> Any:
    if value is None:
        return None
    moment = dates.to_datetime(value, timeZone, existingFormat)
    return dates.format_datetime(moment, format, timeZone, locale)


@_filter("dateAdd")
def date_add(
    env: Env,
    value: Any,
    amount: Any = None,
    unit: Any = None,
    format: Any = None,  # noqa: A002 (Kestra's name)
    timeZone: Any = None,  # noqa: N803 (Kestra's names)
    existingFormat: Any = None,  # noqa: N803
    locale: Any = None,
) -> Any:
    if value is None:
        return None
    moment = dates.to_datetime(value, timeZone, existingFormat)
    moved = dates.add(moment, cast_int(amount, "amount"), unit)
    return dates.format_datetime(moved, format, timeZone, locale)


@_filter("timestamp")
def timestamp(env: Env, value: Any, timeZone: Any = None, existingFormat: Any = None) -> Any:  # noqa: N803 (Kestra's names)
    if value is None:
        return None
    return dates.epoch_nanos(dates.to_datetime(value, timeZone, existingFormat)) // 10**9


@_filter("timestampMilli")
def timestamp_milli(env: Env, value: Any, timeZone: Any = None, existingFormat: Any = None) -> Any:  # noqa: N803 (Kestra's names)
    if value is None:
        return None
    return dates.epoch_nanos(dates.to_datetime(value, timeZone, existingFormat)) // 10**6


@_filter("timestampMicro")
def timestamp_micro(env: Env, value: Any, timeZone: Any = None, existingFormat: Any = None) -> Any:  # noqa: N803 (Kestra's names)
    if value is None:
        return None
    nanos = dates.epoch_nanos(dates.to_datetime(value, timeZone, existingFormat))
    # Kestra adds the microseconds to the epoch *nanoseconds* of the whole second: its
    # result is not a count of microseconds, but it is what flows receive.
    return str(nanos // 10**9 * 10**9 + nanos % 10**9 // 1000)


@_filter("timestampNano")
def timestamp_nano(env: Env, value: Any, timeZone: Any = None, existingFormat: Any = None) -> Any:  # noqa: N803 (Kestra's names)
    if value is None:
        return None
    return str(dates.epoch_nanos(dates.to_datetime(value, timeZone, existingFormat)))
