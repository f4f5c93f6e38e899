"""Tiny typed readers for settings that come from environment variables."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

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


_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
# What a link in a page may point at: a web page, a mail address, or a path of this site.
_LINK_SCHEMES = ("http", "https", "mailto")


def envcolor(name: str, default: str = "") -> str:
    """A CSS colour written #rgb or #rrggbb (lower case); the default when unset or blank.
    Nothing else: a value is put in a style sheet, where anything more could break out."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not _COLOR.fullmatch(raw):
        raise SettingError(f"{name} must be a colour written #rgb or #rrggbb, got {raw!r}")
    return raw.lower()


def _is_link(value: str, schemes: tuple[str, ...]) -> bool:
    """An absolute URL with one of these schemes, or a path of this site ("/…", not "//…"),
    with no character that could end an HTML attribute or a CSS value."""
    if not value or any(c.isspace() or c in "\"'<>\\`" for c in value):
        return False
    if value.startswith("/"):
        return not value.startswith("//")
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.netloc or parts.scheme == "mailto")


def envurl(name: str) -> str:
    """An http(s) URL or a path of this site, e.g. a logo; empty when unset."""
    raw = os.environ.get(name, "").strip()
    if raw and not _is_link(raw, ("http", "https")):
        raise SettingError(
            f"{name} must be an http(s) URL or a path such as /static/logo.svg, got {raw!r}"
        )
    return raw


def envlinks(name: str) -> list[tuple[str, str]]:
    """Links written `Label=URL`, separated by commas (e.g. `Privacy=https://x/privacy,
    Help=mailto:help@x`): each label once, each URL a web page, a mail address or a path."""
    links: list[tuple[str, str]] = []
    for item in envlist(name, []):
        label, sep, url = item.partition("=")
        label, url = label.strip(), url.strip()
        if not sep or not label or not _is_link(url, _LINK_SCHEMES):
            raise SettingError(
                f"{name} must list links as Label=https://…, separated by commas; got {item!r}"
            )
        links.append((label, url))
    return links


def envtext(name: str, default: str = "", *, max_length: int) -> str:
    """One line of text shown in the pages (escaped there), at most max_length long."""
    raw = " ".join(os.environ.get(name, default).split())
    if len(raw) > max_length:
        raise SettingError(f"{name} must be at most {max_length} characters, got {len(raw)}")
    return raw
