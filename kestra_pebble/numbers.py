"""Numbers the Java way: `numberFormat` follows `java.text.DecimalFormat` (English symbols,
half-even rounding of the exact value), and `number` follows Apache Commons'
`NumberUtils`, which picks the smallest type that holds the text."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any

from kestra_pebble.errors import PebbleError
from kestra_pebble.java import JavaFloat, JavaInteger
from kestra_pebble.values import to_text

_NUMBER_CHARS = "0#,."
_DEFAULT_PATTERN = "#,##0.###"  # NumberFormat.getInstance(Locale.US)


@dataclass(frozen=True)
class _Affix:
    text: str
    multiplier: int


@dataclass(frozen=True)
class _Pattern:
    prefix: _Affix
    suffix: _Affix
    negative: tuple[_Affix, _Affix] | None
    min_int: int
    max_int: int
    min_frac: int
    max_frac: int
    grouping: int
    always_point: bool
    min_exponent: int  # 0: no exponent


def _affix(pattern: str, start: int, stops: str) -> tuple[_Affix, int]:
    text: list[str] = []
    multiplier = 1
    index = start
    while index < len(pattern) and pattern[index] not in stops:
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end == -1:
                raise PebbleError(f'Malformed pattern "{pattern}"')
            text.append(pattern[index + 1 : end] if end > index + 1 else "'")
            index = end + 1
            continue
        if char == "%":
            multiplier = 100
        elif char == "\u2030":
            multiplier = 1000
        elif char == "\u00a4":
            char = "$"
        text.append(char)
        index += 1
    return _Affix("".join(text), multiplier), index


@functools.lru_cache(maxsize=256)
def _parse_pattern(pattern: str) -> _Pattern:
    prefix, index = _affix(pattern, 0, _NUMBER_CHARS)
    number_start = index
    while index < len(pattern) and pattern[index] in _NUMBER_CHARS:
        index += 1
    number = pattern[number_start:index]
    min_exponent = 0
    if index < len(pattern) and pattern[index] == "E":
        index += 1
        while index < len(pattern) and pattern[index] == "0":
            min_exponent += 1
            index += 1
        if min_exponent == 0:
            raise PebbleError(f'Malformed exponential pattern "{pattern}"')
    suffix, index = _affix(pattern, index, ";")
    negative = None
    if index < len(pattern):
        negative_prefix, rest = _affix(pattern, index + 1, _NUMBER_CHARS)
        while rest < len(pattern) and pattern[rest] in _NUMBER_CHARS + "E":
            rest += 1
        negative_suffix, _ = _affix(pattern, rest, "")
        negative = (negative_prefix, negative_suffix)
    integer, point, fraction = number.partition(".")
    if "." in fraction or not number:
        raise PebbleError(f'Malformed pattern "{pattern}"')
    digits = integer.replace(",", "")
    return _Pattern(
        prefix=prefix,
        suffix=suffix,
        negative=negative,
        min_int=digits.count("0"),
        max_int=len(digits) if min_exponent else 2**31 - 1,
        min_frac=fraction.count("0"),
        max_frac=len(fraction.replace(",", "")),
        grouping=len(integer) - integer.rfind(",") - 1 if "," in integer else 0,
        always_point=bool(point) and not fraction,
        min_exponent=min_exponent,
    )


def _round(value: Decimal, places: int) -> Decimal:
    with localcontext() as context:
        context.prec = max(60, value.adjusted() + places + 10)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _digits(value: Decimal, pattern: _Pattern) -> tuple[str, str]:
    rounded = _round(value, pattern.max_frac)
    integer, _, fraction = f"{rounded:f}".partition(".")
    integer = integer.lstrip("0").rjust(pattern.min_int, "0")
    fraction = fraction.rstrip("0").ljust(pattern.min_frac, "0")
    return integer, fraction


def _group(integer: str, size: int) -> str:
    if size <= 0 or len(integer) <= size:
        return integer
    head = len(integer) % size
    groups = [integer[:head]] if head else []
    groups += [integer[i : i + size] for i in range(head, len(integer), size)]
    return ",".join(groups)


def _scientific(value: Decimal, pattern: _Pattern) -> str:
    int_digits = max(pattern.min_int, 1)
    exponent = 0 if value == 0 else value.adjusted() - (int_digits - 1)
    mantissa = _round(value.scaleb(-exponent), pattern.max_frac)
    if mantissa >= Decimal(10) ** int_digits:
        exponent += 1
        mantissa = _round(value.scaleb(-exponent), pattern.max_frac)
    integer, fraction = _digits(mantissa, pattern)
    number = integer + ("." + fraction if fraction or pattern.always_point else "")
    sign = "-" if exponent < 0 else ""
    return f"{number}E{sign}{str(abs(exponent)).rjust(pattern.min_exponent, '0')}"


def format_number(number: Any, pattern_text: str | None) -> str:
    """`numberFormat`: a number written with a DecimalFormat pattern (`#,##0.00`), or as
    `NumberFormat.getInstance(Locale.US)` writes it when there is none."""
    pattern = _parse_pattern(pattern_text or _DEFAULT_PATTERN)
    if isinstance(number, float | Decimal) and math.isnan(number):
        return "NaN"
    negative = number < 0 or (isinstance(number, float) and math.copysign(1, number) < 0)
    if isinstance(number, float | Decimal) and math.isinf(number):
        body = "\u221e"
    else:
        value = abs(Decimal(number)) * pattern.prefix.multiplier * pattern.suffix.multiplier
        if pattern.min_exponent:
            body = _scientific(value, pattern)
        else:
            integer, fraction = _digits(value, pattern)
            if not integer and not fraction:
                integer = "0"
            body = _group(integer, pattern.grouping)
            if fraction or pattern.always_point:
                body += "." + fraction
    if not negative:
        return pattern.prefix.text + body + pattern.suffix.text
    if pattern.negative is not None:
        return pattern.negative[0].text + body + pattern.negative[1].text
    return "-" + pattern.prefix.text + body + pattern.suffix.text


_HEX = re.compile(r"^([-+]?)(0[xX]|#)([0-9a-fA-F]+)$")
_OCTAL = re.compile(r"^([-+]?)0([0-7]+)$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _not_a_number(text: str) -> PebbleError:
    return PebbleError(f"{text} is not a valid number.")


def _java_integer(text: str) -> int:
    """`Integer.decode`/`Long.decode`/`new BigInteger`: decimal, hex (`0x`, `#`) or octal
    (leading `0`)."""
    if match := _HEX.match(text):
        value = int(match.group(3), 16)
    elif match := _OCTAL.match(text):
        value = int(match.group(2), 8)
    elif _INTEGER.match(text):
        return int(text)
    else:
        raise _not_a_number(text)
    return -value if match.group(1) == "-" else value


def _java_float(text: str) -> float:
    if not _DECIMAL.match(text.rstrip("dDfF")):
        raise _not_a_number(text)
    return float(text.rstrip("dDfF"))


def _bounded(value: int, bits: int, text: str) -> int:
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise PebbleError(f'For input string: "{text}"')
    return value


def _create_number(text: str) -> Any:
    """`NumberUtils.createNumber`: Integer, Long or BigInteger for whole numbers, then Float
    if it prints the same as the Double, then Double if exact, else BigDecimal; a trailing
    `L`, `F` or `D` asks for a type."""
    if not text.strip():
        raise PebbleError("A blank string is not a valid number")
    if _HEX.match(text) or _OCTAL.match(text) or _INTEGER.match(text):
        return _java_integer(text)
    last = text[-1]
    if last in "lL":
        whole = _java_integer(text[:-1])
        return JavaInteger(whole, "java.lang.Long") if -(2**63) <= whole < 2**63 else whole
    if last in "fF":
        return JavaFloat(_java_float(text))
    if last in "dD":
        return _java_float(text)
    double = _java_float(text)
    single = JavaFloat(double)
    zero_by_rounding = float(single) == 0 and double != 0
    if not math.isinf(single) and not zero_by_rounding and repr(single) == repr(double):
        return single
    if not math.isinf(double) and Decimal(text) == Decimal(to_text(double)):
        return double
    return Decimal(text)


def parse_number(text: str, kind: str) -> Any:
    """`number(type)`: the text as a number of the Java type named (`INT`, `LONG`, `FLOAT`,
    `DOUBLE`, `BIGDECIMAL`, `BIGINTEGER`), or of the smallest type that holds it."""
    text = text.strip() if kind in ("FLOAT", "DOUBLE") else text
    try:
        if kind == "INT":
            return _bounded(_java_integer(text), 32, text)
        if kind == "LONG":
            return JavaInteger(_bounded(_java_integer(text), 64, text), "java.lang.Long")
        if kind == "FLOAT":
            return JavaFloat(_java_float(text))
        if kind == "DOUBLE":
            return _java_float(text)
        if kind == "BIGDECIMAL":
            return Decimal(text)
        if kind == "BIGINTEGER":
            return JavaInteger(_java_integer(text), "java.math.BigInteger")
        return _create_number(text)
    except (InvalidOperation, ValueError, OverflowError) as error:
        raise _not_a_number(text) from error
