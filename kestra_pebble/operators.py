"""What each operator does, with Java's semantics as Pebble's `OperatorUtils` and Kestra's
expressions give them: integer arithmetic on 64-bit longs (division truncating toward
zero, the remainder taking the dividend's sign), `+` that concatenates when a side is a
string, strings read as numbers by the other arithmetic, comparisons of numbers or of two
strings, and truthiness for `and`, `or`, `not`, `if` and the ternary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import PebbleError
from .values import to_text

_LONG = 1 << 64
_LONG_MAX = (1 << 63) - 1

Number = int | float


def _long(value: int) -> int:
    """Wrap to a Java long, as Java's arithmetic overflows."""
    if -_LONG_MAX - 1 <= value <= _LONG_MAX:
        return value
    return (value + (1 << 63)) % _LONG - (1 << 63)


def _java_class(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Long"
    if isinstance(value, float | Decimal):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, list | tuple):
        return "java.util.ArrayList"
    return type(value).__name__


def to_number(value: Any) -> Number:
    """A value as arithmetic reads it: numbers as they are, strings parsed (a `.` or an
    exponent makes a double), anything else an error."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PebbleError(f"Cannot convert to Number: {_java_string(value)}")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            if "." in value or "e" in value or "E" in value:
                return float(value)
            return _long(int(value.strip(), 10))
        except ValueError:
            raise PebbleError(f'For input string: "{value}"') from None
    return value


def _java_string(value: Any) -> str:
    """`String.valueOf`: null prints as `null` when concatenated with `+`."""
    return "null" if value is None else to_text(value)


def add(left: Any, right: Any) -> Any:
    if isinstance(left, str) or isinstance(right, str):
        return _java_string(left) + _java_string(right)
    if isinstance(left, list | tuple):
        return [*left, *right] if isinstance(right, list | tuple) else [*left, right]
    return _arithmetic(left, right, "+")


def subtract(left: Any, right: Any) -> Any:
    if isinstance(left, list | tuple):
        removed = right if isinstance(right, list | tuple) else [right]
        return [item for item in left if item not in removed]
    return _arithmetic(left, right, "-")


def multiply(left: Any, right: Any) -> Any:
    return _arithmetic(left, right, "*")


def divide(left: Any, right: Any) -> Any:
    return _arithmetic(left, right, "/")


def modulo(left: Any, right: Any) -> Any:
    return _arithmetic(left, right, "%")


def negate(value: Any) -> Any:
    return _arithmetic(-1, value, "*")


def plus(value: Any) -> Any:
    return _arithmetic(1, value, "*")


def _arithmetic(left: Any, right: Any, operator: str) -> Any:
    a, b = to_number(left), to_number(right)
    if isinstance(a, float) or isinstance(b, float):
        return _double(float(a), float(b), operator)
    if operator == "+":
        return _long(a + b)
    if operator == "-":
        return _long(a - b)
    if operator == "*":
        return _long(a * b)
    if b == 0:
        raise PebbleError("/ by zero")
    quotient = abs(a) // abs(b)
    if operator == "/":
        return _long(quotient if (a < 0) == (b < 0) else -quotient)
    remainder = abs(a) % abs(b)
    return remainder if a >= 0 else -remainder


def _double(a: float, b: float, operator: str) -> float:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "/":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    if b == 0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


def concatenate(left: Any, right: Any) -> str:
    """`~`: null adds nothing."""
    return ("" if left is None else to_text(left)) + ("" if right is None else to_text(right))


def equals(left: Any, right: Any) -> bool:
    """`==` and `equals`: numbers by value (1 == 1.0), anything else by Java's `equals`,
    so a number never equals a string and a boolean never equals a number."""
    left_number = isinstance(left, int | float | Decimal) and not isinstance(left, bool)
    right_number = isinstance(right, int | float | Decimal) and not isinstance(right, bool)
    if left_number and right_number:
        return bool(left == right)
    if left_number or right_number or isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


_COMPARISON_NAMES = {
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_EQUALS",
    "<": "LESS_THAN",
    "<=": "LESS_THAN_EQUALS",
}


def compare(left: Any, right: Any, operator: str) -> bool:
    """`<`, `>`, `<=`, `>=`: two strings alphabetically (Kestra), else two numbers; null on
    either side is false."""
    if left is None or right is None:
        return False
    numbers = all(
        isinstance(side, int | float | Decimal) and not isinstance(side, bool)
        for side in (left, right)
    )
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        name = _COMPARISON_NAMES[operator]
        raise PebbleError(f"invalid operands for mathematical comparison [{name}]")
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left <= right)


def _member(collection: list[Any] | tuple[Any, ...], value: Any) -> bool:
    return any(equals(item, value) for item in collection)


def _in_collection(container: Any, value: Any) -> bool | None:
    """`value` in a list (all its items, for a list) or among a map's keys; None for a
    container that is neither."""
    if isinstance(container, list | tuple):
        if isinstance(value, list | tuple):
            return all(_member(container, item) for item in value)
        return _member(container, value)
    if isinstance(container, Mapping):
        return _has_key(container, value)
    return None


def contains(container: Any, value: Any) -> bool:
    """`contains`: an item of a list (all of them for a list), a key of a map, a substring."""
    if container is None:
        return False
    found = _in_collection(container, value)
    if found is not None:
        return found
    if isinstance(container, str):
        return _java_string(value) in container
    raise PebbleError(
        "Contains operator can only be used on Collections, Maps and arrays. "
        f"Actual type was: {_java_class(container)}"
    )


def is_in(value: Any, container: Any) -> bool:
    """Kestra's `in`: the mirror of `contains` for lists and maps; null is empty."""
    if container is None:
        return False
    found = _in_collection(container, value)
    if found is not None:
        return found
    raise PebbleError(
        "In operator can only be used on Collections, Maps and arrays. "
        f"Actual type was: {_java_class(container)}"
    )


def _has_key(mapping: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:
        return False


def truth(value: Any, where: str) -> bool:
    """A condition's value as a boolean (`TypeUtils.compatibleCast`): a number is true
    unless zero, a string unless empty. Null is an error, as Kestra renders in strict
    mode, and so is a map or a list."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    if value is None:
        raise PebbleError(f"null value given to {where} and strict variables is set to true")
    raise PebbleError(
        f"Unsupported value type {_java_class(value).rsplit('.', 1)[-1]}. "
        f'Expected Boolean, String, Number in "{where}"'
    )


def ternary_truth(value: Any) -> bool:
    """The ternary reads null as false rather than failing."""
    return value is not None and truth(value, "ternary")
