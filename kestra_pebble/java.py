"""What Java shows of a value where a filter calls `toString()` or `getClass()`: Kestra's
filters are Java code, and where one prints a value it prints Java's way (`{a=1, b=2}` for a
map, `null` for null), not the way `{{ }}` prints it."""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kestra_pebble.errors import PebbleError
from kestra_pebble.values import to_text


def _as_float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _shortest_float32(value: float) -> float:
    """The double with the fewest digits that rounds to the same 32-bit float."""
    single = _as_float32(value)
    if not math.isfinite(single):
        return single
    for digits in range(1, 10):
        shortest = float(f"{single:.{digits}g}")
        if _as_float32(shortest) == single:
            return shortest
    return single


class JavaFloat(float):
    """A Java `Float`, as `'12.3' | number` gives one: rounded to 32 bits, and held as the
    double with the digits Java prints for it (`3.1415927`), so that it prints, serialises
    and adds as Kestra shows it."""

    def __new__(cls, value: float) -> JavaFloat:
        return super().__new__(cls, _shortest_float32(value))


class JavaInteger(int):
    """A whole number read as a named Java type (`number('LONG')`, `number('BIGINTEGER')`),
    which `className` names as Kestra does whatever its size."""

    java_class: str

    def __new__(cls, value: int, java_class: str) -> JavaInteger:
        number = super().__new__(cls, value)
        number.java_class = java_class
        return number


_INT_BOUND = 2**31
_LONG_BOUND = 2**63


def class_name(value: Any) -> str:
    """The Java class Kestra would hold the value in (`className`). Python has one integer
    type: an int is named by its size (Integer, then Long, then BigInteger), unless it was
    read as a named type."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, JavaInteger):
        return value.java_class
    if isinstance(value, int):
        if -_INT_BOUND <= value < _INT_BOUND:
            return "java.lang.Integer"
        if -_LONG_BOUND <= value < _LONG_BOUND:
            return "java.lang.Long"
        return "java.math.BigInteger"
    if isinstance(value, JavaFloat):
        return "java.lang.Float"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, list | tuple):
        return "java.util.ArrayList"
    if isinstance(value, set | frozenset):
        return "java.util.HashSet"
    if isinstance(value, dt.datetime):
        return "java.time.ZonedDateTime" if value.tzinfo else "java.time.LocalDateTime"
    if isinstance(value, dt.date):
        return "java.time.LocalDate"
    if isinstance(value, dt.time):
        return "java.time.LocalTime"
    if isinstance(value, dt.timedelta):
        return "java.time.Duration"
    return type(value).__name__


def java_string(value: Any) -> str:
    """`String.valueOf(value)`: what a Java filter makes of a value it turns into text."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        pairs = (f"{java_string(key)}={java_string(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(java_string(item) for item in value) + "]"
    return to_text(value)


def cast_string(value: Any) -> str:
    """`(String) value`: the filters that take only text fail on anything else, with Java's
    words for a failed cast."""
    if isinstance(value, str):
        return value
    raise PebbleError(f"class {class_name(value)} cannot be cast to class java.lang.String")


def cast_int(value: Any, what: str) -> int:
    """`((Long) value).intValue()` for an argument that must be a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None:
        raise PebbleError(f"The argument '{what}' is required.")
    raise PebbleError(f"class {class_name(value)} cannot be cast to class java.lang.Long")


def long_value(number: int | float) -> int:
    """`Number.longValue()`: a fraction cut off, NaN 0, beyond a long's range its bound
    (infinities included)."""
    if number != number:  # NaN
        return 0
    if number >= _LONG_BOUND:
        return _LONG_BOUND - 1
    if number <= -_LONG_BOUND:
        return -_LONG_BOUND
    return int(number)


def is_java_whitespace(char: str) -> bool:
    """`Character.isWhitespace`: Unicode spaces and the ASCII separators, but not the
    no-break spaces nor NEL."""
    return char.isspace() and char not in "\u00a0\u2007\u202f\x85"
