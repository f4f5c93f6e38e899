"""Wire conventions shared by every response: ids, instants, durations, JSON-able values."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
from decimal import Decimal
from typing import Any

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def new_id() -> str:
    """A 22-character base62 id, the shape of Kestra's ``IdUtils.create()``."""
    return "".join(secrets.choice(_BASE62) for _ in range(22))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_instant(value: dt.datetime) -> str:
    """Java ``Instant.toString()``: UTC, ``Z``, fraction in groups of 3 digits, none if zero."""
    value = value.astimezone(dt.UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def iso_duration(delta: dt.timedelta) -> str:
    """Java ``Duration.toString()``: ``PT2.003S``, ``PT1M5S``, ``PT26H``, ``PT0S``."""
    total_micros = round(delta.total_seconds() * 1_000_000)
    if total_micros == 0:
        return "PT0S"
    sign = "-" if total_micros < 0 else ""
    total_micros = abs(total_micros)
    hours, rest = divmod(total_micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    out = "PT"
    if hours:
        out += f"{sign}{hours}H"
    if minutes:
        out += f"{sign}{minutes}M"
    if seconds or micros:
        fraction = f".{micros:06d}".rstrip("0") if micros else ""
        out += f"{sign}{seconds}{fraction}S"
    return out


_DURATION_RE = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<days>[-+]?\d+)D)?"
    r"(?:T(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?"
    r"(?:(?P<seconds>[-+]?\d+(?:[.,]\d{0,9})?)S)?)?$",
    re.IGNORECASE,
)


def parse_iso_duration(text: str) -> dt.timedelta:
    """Parse what Java ``Duration.parse`` accepts (days, hours, minutes, seconds)."""
    match = _DURATION_RE.match(text.strip())
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"Text cannot be parsed to a Duration: {text}")
    parts = match.groupdict()
    delta = dt.timedelta(
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=float((parts["seconds"] or "0").replace(",", ".")),
    )
    return -delta if parts["sign"] == "-" else delta


def to_text(value: Any) -> str:
    """How Kestra writes a YAML scalar as text: booleans lower case, lists and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return iso_instant(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(jsonable(value))
    if value is None:
        return ""
    return str(value)


def jsonable(value: Any) -> Any:
    """Turn YAML-loaded and runtime values into plain JSON values (dates become ISO text).

    Null map entries are dropped: Kestra's mapper excludes nulls from map contents too.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return iso_instant(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def drop_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """Jackson's ``non_null`` inclusion: null fields are left out, not sent as null."""
    return {k: v for k, v in data.items() if v is not None}
