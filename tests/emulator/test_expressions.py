"""Pebble-style expressions as the flows use them (pure functions, no server)."""

from __future__ import annotations

import pytest

from kestra_emulator.expressions import is_truthy, render, render_typed
from kestra_pebble import PebbleError

CONTEXT = {
    "inputs": {"name": "ann", "n": 3, "flag": False, "none": None, "request": {"name": "Bo"}},
    "outputs": {"register": {"values": {"ticket": "IT-1"}}, "pause": {"onResume": {"ok": True}}},
    "execution": {"id": "abc"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("Hi {{ inputs.name }}", "Hi ann"),
        ("{{ inputs.request.name }}", "Bo"),
        ("{{ outputs.register.values.ticket }}", "IT-1"),  # map key, not dict.values
        ("{{ outputs.pause.onResume.ok }}", "true"),
        ("{{ inputs.flag }}", "false"),
        ("[{{ inputs.none }}]", "[]"),
        ("PT{{ inputs.n }}S", "PT3S"),
        ("{{ inputs.name | upper }}", "ANN"),
        ("{{ inputs.none ?? 'x' }}", "x"),
        ("{{ outputs.missing.uri ?? inputs.name }}", "ann"),
        ("{{ inputs.n > 2 ? 'big' : 'small' }}", "big"),
        ("{{ 'a?b:c' }}", "a?b:c"),
        ("{{ inputs.missing is defined }}", "false"),
        ("{{ {'a': 1} | json }}", '{"a":1}'),
        ("{{ '2024-12-03' | date('dd/MM/yyyy') }}", "03/12/2024"),
        ("line\n", "line\n"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_render_typed_keeps_lists_and_booleans() -> None:
    assert render_typed("{{ inputs.n > 2 ? ['a'] : ['b'] }}", CONTEXT) == ["a"]
    assert render_typed("{{ outputs.pause.onResume.ok }}", CONTEXT) is True
    assert render_typed("n={{ inputs.n }}", CONTEXT) == "n=3"


@pytest.mark.parametrize("template", ["{{ inputs.missing }}", "{{ outputs.x.y }}", "{{ (}}"])
def test_strict_mode_errors(template: str) -> None:
    with pytest.raises(PebbleError):
        render(template, CONTEXT)


def test_sandbox_blocks_python_internals() -> None:
    with pytest.raises(PebbleError):
        render("{{ inputs.__class__.__mro__[1].__subclasses__() }}", CONTEXT)


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (True, True),
        ("true", True),
        ("yes", True),
        ("false", False),
        ("", False),
        ("0", False),
        (None, False),
        (" False ", False),
    ],
)
def test_truthiness(value: object, truthy: bool) -> None:
    assert is_truthy(value) is truthy


def test_secret_reads_the_environment_as_kestras_open_source_edition(monkeypatch):
    monkeypatch.setenv("SECRET_API_TOKEN", "czNjcjN0")  # base64 of "s3cr3t"
    assert render("Bearer {{ secret('API_TOKEN') }}", CONTEXT) == "Bearer s3cr3t"
    with pytest.raises(PebbleError, match="Cannot find secret for key 'MISSING'."):
        render("{{ secret('MISSING') }}", CONTEXT)


def test_a_backend_function_the_emulator_lacks_is_an_error_naming_it():
    with pytest.raises(PebbleError, match=r"Function or Macro \[kv\] does not exist."):
        render("{{ kv('KEY') }}", CONTEXT)
