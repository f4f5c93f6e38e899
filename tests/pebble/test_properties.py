"""Any template, well-formed or not, renders or raises PebbleError, and never goes past
the limits: the guarantee that lets the portal show a broken block instead of a 500 and
the emulator fail a task instead of crashing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestra_pebble import kestra_engine
from kestra_pebble.engine import Engine, Limits
from kestra_pebble.errors import PebbleError
from kestra_pebble.filters import FILTERS
from kestra_pebble.functions import FUNCTIONS
from tests.pebble import test_engine
from tests.pebble.test_engine import CONTEXT

LIMITS = Limits(max_template=2_000, max_output=5_000, max_iterations=200, max_items=200)
ENGINE = Engine(filters=test_engine.FILTERS, functions=test_engine.FUNCTIONS, limits=LIMITS)

_PIECES = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{-",
    "-}}",
    "{%-",
    "-%}",
    " ",
    "\n",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "=",
    "?",
    "'",
    '"',
    "#{",
    "\\",
    "-",
    "+",
    "*",
    "/",
    "%",
    "~",
    "|",
    "..",
    "??",
    "???",
    "==",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "is",
    "is not",
    "in",
    "not in",
    "contains",
    "equals",
    "if",
    "elseif",
    "else",
    "endif",
    "for",
    "endfor",
    "set",
    "raw",
    "endraw",
    "true",
    "false",
    "null",
    "0",
    "1",
    "7",
    "2.5",
    "9223372036854775807",
    "'a'",
    '"b#{1}"',
    "inputs",
    "inputs.n",
    "inputs.name",
    "items",
    "outputs.reg.values",
    "loop.index",
    "x",
    "upper",
    "default",
    "length",
    "join",
    "range",
    "render",
    "defined",
    "empty",
    "even",
    "null",
    "map",
    "json",
    "i",
    "1..9",
    "x ~ x",
]

templates = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=40).map(" ".join),
)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except PebbleError:
        return PebbleError


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates)
def test_any_template_renders_or_raises_pebble_error_within_the_limits(source: str) -> None:
    text = _outcome(lambda: ENGINE.render(source, CONTEXT))
    assert text is PebbleError or (isinstance(text, str) and len(text) <= LIMITS.max_output)
    _outcome(lambda: ENGINE.render_typed(source, CONTEXT))
    # what the portal's pages use: it never raises, and what it shows stays within the limits
    shown, errors = ENGINE.render_lenient(source, CONTEXT)
    assert len(shown) <= max(LIMITS.max_output, len(source))
    if text is PebbleError:
        assert errors
    else:
        assert (shown, errors) == (text, [])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["{% for i in 1..9 %}", "{% set x = x ~ x %}", "{{ x }}"]), max_size=12
    )
)
def test_loops_that_grow_text_stop_at_the_limits(parts: list[str]) -> None:
    source = (
        "{% set x = 'abcdefgh' %}"
        + "".join(parts)
        + "{% endfor %}" * parts.count("{% for i in 1..9 %}")
    )
    text = _outcome(lambda: ENGINE.render(source, CONTEXT))
    assert text is PebbleError or len(text) <= LIMITS.max_output


KESTRA = kestra_engine(limits=LIMITS)
_CALLS = st.sampled_from(
    [f"| {name}" for name in FILTERS]
    + [f"| {name}({args})" for name in FILTERS for args in ("1", "'a'", "2, 'b'", "[1]", "{}")]
    + [f"{name}()" for name in FUNCTIONS]
    + [f"{name}({args})" for name in FUNCTIONS for args in ("1", "'{{ x }}'", "1, 9", "[1]")]
)
_VALUES = st.sampled_from(
    ["inputs", "items", "'a b'", "'2024-01-02'", "12", "-3.5", "null", "[1, 'a']", "{'k': 1}"]
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_VALUES, st.lists(_CALLS, max_size=3)), min_size=1, max_size=4))
def test_kestras_filters_and_functions_render_or_raise_pebble_error(
    parts: list[tuple[str, list[str]]],
) -> None:
    source = " ".join(
        "{{ " + (call if not call.startswith("|") else f"{value} {call}") + " }}"
        if calls
        else "{{ " + value + " }}"
        for value, calls in parts
        for call in (calls or [""])
    )
    text = _outcome(lambda: KESTRA.render(source, CONTEXT))
    assert text is PebbleError or len(text) <= LIMITS.max_output
