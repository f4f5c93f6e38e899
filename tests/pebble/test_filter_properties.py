"""Every filter and function, given any value and any arguments, returns or fails with
the package's own error: never a TypeError, a ValueError or a hang."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestra_pebble.errors import PebbleError
from kestra_pebble.filters import FILTERS
from kestra_pebble.functions import FUNCTIONS

from .fake_env import FakeEnv

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["2024-01-31", "2024-01-31T10:00:00Z", "DAYS", "yyyy-MM-dd", ".a", "single"])
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.dates()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=8,
)
ARGUMENTS = st.lists(VALUES, max_size=3)

# Functions that call back into the rendering (`render`) are covered with the engine.
PURE_FUNCTIONS = sorted(set(FUNCTIONS) - {"render", "renderOnce"})


@pytest.mark.parametrize("name", sorted(FILTERS))
@settings(max_examples=25, deadline=None)
@given(value=VALUES, arguments=ARGUMENTS)
def test_a_filter_returns_or_fails_with_a_pebble_error(name, value, arguments):
    with contextlib.suppress(PebbleError):
        FILTERS[name](FakeEnv(max_items=1000, max_output=100_000), value, *arguments)


@pytest.mark.parametrize("name", PURE_FUNCTIONS)
@settings(max_examples=25, deadline=None)
@given(arguments=ARGUMENTS)
def test_a_function_returns_or_fails_with_a_pebble_error(name, arguments):
    with contextlib.suppress(PebbleError):
        FUNCTIONS[name](FakeEnv(max_items=1000, max_output=100_000), *arguments)
