"""How values look and count in Kestra: printing (`true`/`false`, null as empty, maps and
lists as compact JSON) and emptiness (what `default` and `is empty` treat as missing)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset | range):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_json(value: Any) -> str:
    """Compact JSON, as Kestra's `toJson` and its printing of maps and lists give it."""
    return json.dumps(_jsonable(value), separators=(",", ":"), ensure_ascii=False)


def _java_double(value: float) -> str:
    """Java's Double.toString: plain between 10^-3 and 10^7 (always with a fraction), else
    one digit, a fraction and an exponent (1.0E7, 1.5E-4); the shortest digits that read
    back as the same double, as Python's repr finds them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else f"{text}.0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    shown = "".join(map(str, digits))
    assert isinstance(exponent, int)  # a finite double
    power = exponent + len(shown) - 1
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"


def _java_time(value: dt.time | dt.datetime) -> str:
    """Java's LocalTime.toString: seconds only when not zero, the fraction in groups of
    three digits only when not zero."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        micros = value.microsecond
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text


def _java_temporal(value: dt.date | dt.time) -> str:
    """A date, time or date-time as Java's toString writes it (an offset of zero as Z)."""
    if isinstance(value, dt.datetime):
        text = f"{value.date().isoformat()}T{_java_time(value)}"
    elif isinstance(value, dt.time):
        text = _java_time(value)
    else:
        return value.isoformat()
    offset = value.utcoffset()
    if offset is None:
        return text
    if not offset:
        return f"{text}Z"
    return text + dt.datetime.min.replace(tzinfo=dt.timezone(offset)).isoformat()[-6:]


def to_text(value: Any) -> str:
    """A value as `{{ }}` prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return _java_temporal(value)
    return to_json(value)


def is_empty(value: Any) -> bool:
    """Null, a blank string and an empty collection are empty (Pebble's `EmptyTest`, which
    `is empty` and `default` both use: a string of spaces is empty too)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value) == 0
    return False
