"""The submission limit on its own: a clock and a cache the test controls, no database.

Each test pins one edge of the rule (a limit of 1, the last second of a window, a count
that expires, the cache losing a key between two calls), so that `make mutate` can tell
a change in executions/throttle.py from an unchanged one within a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import RequestFactory

from executions import throttle


class Clock:
    """time.time() as the test sets it; `steps` are handed out one per call, then `now`."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.steps: list[float] = []

    def time(self) -> float:
        if self.steps:
            self.now = self.steps.pop(0)
        return self.now


class Cache:
    """The calls the throttle makes to Django's cache, with expiry on the test's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.values: dict[str, tuple[int, float]] = {}
        self.lose_before_incr = False

    def _live(self, key: str) -> bool:
        return key in self.values and self.values[key][1] > self.clock.now

    def add(self, key: str, value: int, timeout: float = 300) -> bool:
        if self._live(key):
            return False
        self.set(key, value, timeout)
        return True

    def set(self, key: str, value: int, timeout: float = 300) -> None:
        self.values[key] = (value, self.clock.now + timeout)

    def incr(self, key: str) -> int:
        if self.lose_before_incr:
            self.lose_before_incr = False
            del self.values[key]
        if not self._live(key):
            raise ValueError(f"Key '{key}' not found")
        value, expires = self.values[key]
        self.values[key] = (value + 1, expires)
        return value + 1

    def live_keys(self) -> list[str]:
        return [key for key in self.values if self._live(key)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(now=6000.0)  # the start of a minute, an hour's window is 3600..7200
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Cache:
    cache = Cache(clock)
    monkeypatch.setattr(throttle, "cache", cache)
    return cache


def request(address: str | None = "10.0.0.1") -> Any:
    made = RequestFactory().post("/apps/x/")
    if address is None:
        del made.META["REMOTE_ADDR"]
    else:
        made.META["REMOTE_ADDR"] = address
    return made


def submit(times: int, address: str | None = "10.0.0.1") -> Iterator[tuple[bool, int]]:
    return (throttle.allow_submission(request(address)) for _ in range(times))


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("20/s", (20, 1)),
        ("20/m", (20, 60)),
        ("20/h", (20, 3600)),
        ("20/d", (20, 86400)),
        ("20/min", (20, 60)),
        ("20/hour", (20, 3600)),
        ("20/second", (20, 1)),
        ("20/day", (20, 86400)),
        (" 20 / H ", (20, 3600)),
        ("20", (20, 60)),
        ("20/", (20, 60)),
    ],
)
def test_a_rate_is_a_count_per_period_spelled_by_its_first_letter(rate, parsed):
    assert throttle.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["lots", "20/w", "/m", "x/m"])
def test_a_rate_that_is_not_a_count_per_period_is_refused(rate):
    with pytest.raises((ValueError, KeyError)):
        throttle.parse_rate(rate)


def test_a_request_without_an_address_is_counted_as_unknown():
    assert throttle.client_id(request(None)) == "unknown"
    assert throttle.client_id(request("10.0.0.9")) == "10.0.0.9"


def _via(peer: str, forwarded: str) -> Any:
    made = request(peer)
    made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


def test_without_trusted_proxies_the_forwarded_address_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert throttle.client_id(_via("10.0.0.5", "203.0.113.7")) == "10.0.0.5"


def test_behind_a_trusted_proxy_each_client_is_the_one_it_names(settings, cache):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::1"]
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    assert throttle.client_id(_via("10.0.0.5", "203.0.113.7")) == "203.0.113.7"
    # Two proxies in a row: the address the outer one was reached from.
    assert throttle.client_id(_via("2001:db8::1", "203.0.113.8, 10.0.0.9")) == "203.0.113.8"
    # Two visitors behind the proxy no longer share one count.
    assert throttle.allow_submission(_via("10.0.0.5", "203.0.113.7"))[0]
    assert throttle.allow_submission(_via("10.0.0.5", "203.0.113.8"))[0]
    assert not throttle.allow_submission(_via("10.0.0.5", "203.0.113.7"))[0]


def test_an_address_a_client_writes_itself_is_not_taken(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    # The proxy appends the address it was reached from; what the client sent stays left.
    assert throttle.client_id(_via("10.0.0.5", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    # A client reaching the portal directly cannot pose as another.
    assert throttle.client_id(_via("198.51.100.1", "203.0.113.7")) == "198.51.100.1"


def test_a_proxy_that_names_nobody_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert throttle.client_id(request("10.0.0.5")) == "10.0.0.5"


def test_a_limit_of_zero_lets_everything_through_and_counts_nothing(settings, cache):
    settings.SUBMISSION_RATE_LIMIT = "0/m"
    assert list(submit(5)) == [(True, 0)] * 5
    assert cache.values == {}


def test_a_limit_of_one_lets_one_through_per_window(settings, cache, clock):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    clock.now = 6020.7
    assert list(submit(3)) == [(True, 40), (False, 40), (False, 40)]


def test_the_limit_is_the_last_submission_allowed(settings, cache):
    settings.SUBMISSION_RATE_LIMIT = "3/h"
    assert [allowed for allowed, _ in submit(5)] == [True, True, True, False, False]


def test_each_client_has_its_own_count(settings, cache):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    assert [allowed for allowed, _ in submit(2, "10.0.0.1")] == [True, False]
    assert [allowed for allowed, _ in submit(2, "10.0.0.2")] == [True, False]
    assert [allowed for allowed, _ in submit(2, None)] == [True, False]


def test_the_wait_runs_to_the_end_of_the_window(settings, cache, clock):
    settings.SUBMISSION_RATE_LIMIT = "1/h"
    clock.now = 3600 + 1000.9
    assert list(submit(2)) == [(True, 2600), (False, 2600)]


def test_a_new_window_starts_a_new_count(settings, cache, clock):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    clock.now = 6059.9
    assert list(submit(2)) == [(True, 1), (False, 1)]
    clock.now = 6060.0
    assert list(submit(2)) == [(True, 60), (False, 60)]


def test_the_wait_is_at_least_a_second_when_the_window_ends_between_two_readings(
    settings, cache, clock
):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    clock.steps = [6059.999, 6060.001]
    assert throttle.allow_submission(request()) == (True, 1)


def test_the_count_lasts_its_whole_window_and_one_second_more(settings, cache, clock):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    assert list(submit(1)) == [(True, 60)]
    clock.now = 6060.9
    assert len(cache.live_keys()) == 1
    clock.now = 6061.0
    assert cache.live_keys() == []


def test_a_count_lost_between_add_and_incr_starts_again_at_one(settings, cache, clock):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    cache.lose_before_incr = True
    assert list(submit(2)) == [(True, 60), (False, 60)]
    clock.now = 6060.9
    assert len(cache.live_keys()) == 1
    clock.now = 6061.0
    assert cache.live_keys() == []


def test_a_count_restarted_after_a_loss_goes_on_from_one(settings, cache):
    settings.SUBMISSION_RATE_LIMIT = "2/m"
    cache.lose_before_incr = True
    assert [allowed for allowed, _ in submit(3)] == [True, True, False]


def test_the_counts_live_in_djangos_cache(settings):
    """The real cache (per process here, Redis when CACHE_URL says so) keeps the counts."""
    from django.core.cache import cache

    cache.clear()
    settings.SUBMISSION_RATE_LIMIT = "1/d"
    assert [allowed for allowed, _ in submit(2, "10.9.9.9")] == [True, False]
    cache.clear()
