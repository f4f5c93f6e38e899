"""A small loopback load generator: N concurrent clients, a fixed duration, latencies kept."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0


def hammer(
    url: str, *, clients: int = 20, seconds: float = 5.0, ok: tuple[int, ...] = (200,)
) -> Result:
    """GET `url` from `clients` threads for `seconds`; loopback only, bounded in time."""
    assert url.startswith(("http://127.0.0.1", "http://localhost")), "loopback only"
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status = session.get(url, timeout=10).status_code
            except requests.RequestException:
                status = 0
            mine.append(time.perf_counter() - started)
            failed += status not in ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(len(latencies), errors[0], time.monotonic() - began, latencies)
