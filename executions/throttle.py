"""Per-client limits on submissions to forms and on checks of their values, kept in
Django's cache; and who the client is."""

from __future__ import annotations

import time
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/m" → (20, 60). A count of 0 turns the limit off."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()[:1] or "m"]


def trusted_proxies() -> list[IPv4Network | IPv6Network]:
    """TRUSTED_PROXIES as networks (a bad entry is refused at start-up by kestra_apps.checks)."""
    return [ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]


def _trusted(address: str, proxies: list[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_id(request: HttpRequest) -> str:
    """The client's address, for the limits per client (submissions, sign-ins): the peer's,
    or, when the peer is one of TRUSTED_PROXIES, the first address in X-Forwarded-For, read
    from the right, that is not a trusted proxy. What a client writes there itself is left
    of that and never read."""
    address = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = trusted_proxies()
    if not _trusted(address, proxies):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([hop.strip() for hop in forwarded if hop.strip()]):
        if not _trusted(hop, proxies):
            return hop
    return address


def allow_submission(request: HttpRequest) -> tuple[bool, int]:
    """Count this submission against the client's window: (allowed, seconds to wait)."""
    return _allow(request, "submissions", settings.SUBMISSION_RATE_LIMIT)


def allow_validation(request: HttpRequest) -> tuple[bool, int]:
    """Count this check of a form's values (each one asks Kestra) against the client's
    window: (allowed, seconds to wait)."""
    return _allow(request, "validations", settings.VALIDATE_RATE_LIMIT)


def _allow(request: HttpRequest, what: str, rate: str) -> tuple[bool, int]:
    limit, period = parse_rate(rate)
    if limit <= 0:
        return True, 0
    window = int(time.time() // period)
    key = f"{what}:{client_id(request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    wait = (window + 1) * period - int(time.time())
    return count <= limit, max(1, wait)
