"""Fault injection settings, changed at start (CLI) or at runtime (``/_emulator/faults``)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

# What `refuse_streams` may answer instead of a stream (0: serve it).
REFUSALS = frozenset({0, 404, 405, 501, 503})


@dataclass
class Faults:
    latency_ms: int = 0
    fail_rate: float = 0.0
    unreachable: bool = False
    fail_after_create_rate: float = 0.0
    # Follow streams (SSE): 0 serves them; an HTTP status (404, 501, …) answers that instead,
    # as a Kestra (or a proxy in front of it) that does not stream.
    refuse_streams: int = 0
    # Bumped by {"cut_streams": true}: every stream opened before is cut (its connection
    # closed without an `end` event), as a dropped connection would.
    stream_generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "fail_rate": self.fail_rate,
                "unreachable": self.unreachable,
                "fail_after_create_rate": self.fail_after_create_rate,
                "refuse_streams": self.refuse_streams,
                "streams_cut": self.stream_generation,
            }

    def update(self, data: dict[str, Any]) -> None:
        """Partial update; raises ValueError naming the bad field before changing anything."""
        checked: dict[str, Any] = {}
        for key, value in data.items():
            if key == "latency_ms":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError("latency_ms must be a non-negative integer")
            elif key in ("fail_rate", "fail_after_create_rate"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{key} must be a number between 0 and 1")
                if not 0 <= value <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1")
                value = float(value)
            elif key == "unreachable":
                if not isinstance(value, bool):
                    raise ValueError("unreachable must be a boolean")
            elif key == "refuse_streams":
                if isinstance(value, bool) or value not in REFUSALS:
                    raise ValueError(f"refuse_streams must be one of {sorted(REFUSALS)}")
            elif key == "cut_streams":
                if not isinstance(value, bool):
                    raise ValueError("cut_streams must be a boolean")
            else:
                raise ValueError(f"unknown fault setting: {key}")
            checked[key] = value
        with self._lock:
            for key, value in checked.items():
                if key == "cut_streams":
                    self.stream_generation += 1 if value else 0
                else:
                    setattr(self, key, value)

    def roll_fail(self) -> bool:
        return self.fail_rate > 0 and random.random() < self.fail_rate  # noqa: S311

    def roll_fail_after_create(self) -> bool:
        rate = self.fail_after_create_rate
        return rate > 0 and random.random() < rate  # noqa: S311
