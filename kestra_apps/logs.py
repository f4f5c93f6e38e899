"""Log lines that say which execution they are about: one line per event, JSON when
LOG_FORMAT=json, with the execution's token, its Kestra id and the app's uid where known.

The work on an execution binds them (`bound`, then `add` once more is learnt, such as the
Kestra id after a delivery); `ContextFilter` copies them onto every record logged meanwhile,
from the portal, the Kestra client or a library. Only ids are ever bound: never a value a
person typed, so no SECRET input reaches a log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

FIELDS = ("execution", "kestra_id", "app")

_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Every line logged inside names these (`FIELDS`; empty values are left out)."""
    token = _context.set({**(_context.get() or {}), **_known(fields)})
    try:
        yield
    finally:
        _context.reset(token)


def add(**fields: str | None) -> None:
    """Name more from now on, inside the current `bound` block (outside one, nothing)."""
    current = _context.get()
    if current is not None:
        current.update(_known(fields))


def _known(fields: dict[str, str | None]) -> dict[str, str]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a log field: {sorted(unknown)}")
    return {name: value for name, value in fields.items() if value}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = dict(_context.get() or {})
        return True


class PlainFormatter(logging.Formatter):
    """Django's usual line, with the bound ids after the message: `execution=… app=…`."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        context = getattr(record, "context", {})
        return super().formatMessage(record) + "".join(f" {k}={v}" for k, v in context.items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback is a field of it, not lines of its own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
