"""Any template, well-formed or not, renders or raises PebbleError, and never goes past
the limits: the guarantee that lets the portal show a broken block instead of a 500 and
the emulator fail a task instead of crashing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestra_pebble.engine import Engine, Limits
from kestra_pebble.errors import PebbleError
from tests.pebble.test_engine import CONTEXT, FILTERS, FUNCTIONS

LIMITS = Limits(max_template=2_000, max_output=5_000, max_iterations=200, max_items=200)
ENGINE = Engine(filters=FILTERS, functions=FUNCTIONS, limits=LIMITS)

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
