"""Tiny typed readers for settings that come from environment variables."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ValueError):
    """An environment variable holds a value of the wrong shape."""


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name} must be a boolean (true/false), got {raw!r}")


def _parsed(name: str, default: T, parse: Callable[[str], T], kind: str) -> T:
    """The variable read by `parse`; the default when it is unset or blank."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return parse(raw)
    except ValueError:
        raise SettingError(f"{name} must be {kind}, got {raw!r}") from None


def envint(name: str, default: int) -> int:
    return _parsed(name, default, int, "an integer")


def envfloat(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME_FILE first (a file holding the secret, as mounted in containers), then NAME."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise SettingError(
                f"{name}_FILE points to an unreadable file: {exc.strerror}"
            ) from None
    return os.environ.get(name, default)
