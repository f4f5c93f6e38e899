"""Fault injection settings, changed at start (CLI) or at runtime (``/_emulator/faults``)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    latency_ms: int = 0
    fail_rate: float = 0.0
    unreachable: bool = False
    fail_after_create_rate: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "fail_rate": self.fail_rate,
                "unreachable": self.unreachable,
                "fail_after_create_rate": self.fail_after_create_rate,
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
            else:
                raise ValueError(f"unknown fault setting: {key}")
            checked[key] = value
        with self._lock:
            for key, value in checked.items():
                setattr(self, key, value)

    def roll_fail(self) -> bool:
        return self.fail_rate > 0 and random.random() < self.fail_rate  # noqa: S311

    def roll_fail_after_create(self) -> bool:
        rate = self.fail_after_create_rate
        return rate > 0 and random.random() < rate  # noqa: S311
