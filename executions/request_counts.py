"""Requests to Kestra, counted in the database so that metrics are right however many
processes and machines make them.

Why the database rather than prometheus-client's multiprocess mode: that mode adds up the
processes of one machine only, and the Celery workers, which make most of the requests,
serve no HTTP; a worker on a machine with no web process would never be scraped. Each
process adds its requests up in memory and writes them at most every METRICS_FLUSH_SECONDS
(one UPDATE per endpoint, status and bucket), and a Celery worker process writes the rest
when it stops: a process killed loses that much at most.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from executions.models import KestraRequestCount

logger = logging.getLogger(__name__)

# Upper bounds in seconds; the last one takes every slower request.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))

_lock = threading.Lock()
_pending: defaultdict[tuple[str, str, float], list[float]] = defaultdict(lambda: [0, 0.0])
_last_flush = time.monotonic()


def record(endpoint: str, status: str, seconds: float) -> None:
    """One request (the Kestra client's observer); written with the next flush that is due."""
    bucket = BUCKETS[bisect.bisect_left(BUCKETS, seconds)]
    with _lock:
        counts = _pending[(endpoint, status, bucket)]
        counts[0] += 1
        counts[1] += seconds
        due = time.monotonic() - _last_flush >= settings.METRICS_FLUSH_SECONDS
    # Never inside someone's transaction: its rows would stay locked until it commits.
    if due and not connection.in_atomic_block:
        flush()


def flush() -> None:
    global _last_flush
    with _lock:
        pending = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    try:
        for (endpoint, status, bucket), (count, seconds) in pending.items():
            _add(endpoint, status, bucket, int(count), seconds)
    except DatabaseError:
        # A metric must never fail the request that was counted; these counts are lost.
        logger.warning("kestra request counts not written", exc_info=True)


def on_worker_stop(**_: object) -> None:
    flush()


def _add(endpoint: str, status: str, bucket: float, count: int, seconds: float) -> None:
    rows = KestraRequestCount.objects.filter(endpoint=endpoint, status=status, bucket=bucket)
    if rows.update(count=F("count") + count, seconds=F("seconds") + seconds):
        return
    try:
        with transaction.atomic():
            KestraRequestCount.objects.create(
                endpoint=endpoint, status=status, bucket=bucket, count=count, seconds=seconds
            )
    except IntegrityError:  # another process created it meanwhile
        rows.update(count=F("count") + count, seconds=F("seconds") + seconds)


@dataclass(frozen=True)
class Histogram:
    endpoint: str
    status: str
    buckets: list[tuple[float, int]]  # (upper bound, requests at most that slow), cumulative
    count: int
    seconds: float


def histograms() -> Iterator[Histogram]:
    """What every process has written, as one histogram per endpoint and status."""
    rows: defaultdict[tuple[str, str], dict[float, tuple[int, float]]] = defaultdict(dict)
    for row in KestraRequestCount.objects.all():
        rows[(row.endpoint, row.status)][row.bucket] = (row.count, row.seconds)
    for (endpoint, status), by_bucket in sorted(rows.items()):
        running = 0
        cumulative = []
        for bound in BUCKETS:
            running += by_bucket.get(bound, (0, 0.0))[0]
            cumulative.append((bound, running))
        total = sum(seconds for _, seconds in by_bucket.values())
        yield Histogram(endpoint, status, cumulative, running, total)
