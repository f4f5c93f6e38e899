"""A per-client limit on submissions to public forms, kept in Django's cache."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/m" → (20, 60). A count of 0 turns the limit off."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()[:1] or "m"]


def client_id(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def allow_submission(request: HttpRequest) -> tuple[bool, int]:
    """Count this submission against the client's window: (allowed, seconds to wait)."""
    limit, period = parse_rate(settings.SUBMISSION_RATE_LIMIT)
    if limit <= 0:
        return True, 0
    window = int(time.time() // period)
    key = f"submissions:{client_id(request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    wait = (window + 1) * period - int(time.time())
    return count <= limit, max(1, wait)
