"""The conformance suite: every case of conformance.yaml, rendered through the package's
default engine (`kestra_pebble.render`), gives the output Kestra gives or fails with
Kestra's message. A case marked `xfail` names why it does not yet; it must keep failing,
so that a fix is noticed and the mark taken off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kestra_pebble import render
from kestra_pebble.errors import PebbleError

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "conformance.yaml").read_text(encoding="utf-8")
)


def _case(number: int, case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
    return pytest.param(case, id=f"{number:03d}", marks=marks)


@pytest.mark.parametrize("case", [_case(number, case) for number, case in enumerate(CASES, 1)])
def test_it_gives_what_kestra_gives(case):
    context = case.get("context", {})
    if "error" in case:
        with pytest.raises(PebbleError) as raised:
            render(case["template"], context)
        assert case["error"] in str(raised.value)
    else:
        assert render(case["template"], context) == case["output"]


def test_the_suite_has_at_least_200_cases_each_with_its_source():
    assert len(CASES) >= 200
    assert all(case.get("source") and ("output" in case) != ("error" in case) for case in CASES)
