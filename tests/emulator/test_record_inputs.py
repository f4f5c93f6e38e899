"""FORM groups, TABLE, OBJECT and ION inputs, resolved and validated as Kestra does."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests import kestra_http

from .conftest import Kestra

ROWS = [{"item": "laptop", "quantity": 2, "urgent": True}, {"item": "cable", "quantity": "3"}]
GOOD = {
    "requester.name": "Ada",
    "items": json.dumps(ROWS),
    "address": '{"city": "Lyon", "floor": 3}',
    "note": '{"a": [1, 2]}',
}


def _validate(kestra: Kestra, values: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = kestra.post(
        "/executions/test/records/validate", files={k: (None, v) for k, v in values.items()}
    )
    assert response.status_code == 200, response.text
    return {item["input"]["id"]: item for item in response.json()["inputs"]}


def test_a_form_is_resolved_as_its_inputs_under_its_id(kestra: Kestra) -> None:
    result = _validate(kestra, GOOD)
    assert list(result) == ["requester.name", "requester.team", "items", "address", "note"]
    assert result["requester.name"]["value"] == "Ada"


def test_typed_rows_objects_and_ion_values_are_parsed(kestra: Kestra) -> None:
    inputs = kestra.create("records", GOOD)["inputs"]
    assert inputs["requester"] == {"name": "Ada"}
    assert inputs["items"] == [
        {"item": "laptop", "quantity": 2, "urgent": True},
        {"item": "cable", "quantity": 3},
    ]
    assert inputs["address"] == {"city": "Lyon", "floor": 3}
    assert inputs["note"] == {"a": [1, 2]}


def test_ion_text_that_is_not_json_is_kept_as_text(kestra: Kestra) -> None:
    result = _validate(kestra, {**GOOD, "note": "{a: 1}"})
    assert result["note"]["value"] == "{a: 1}" and "errors" not in result["note"]


@pytest.mark.parametrize(
    ("input_id", "value", "message"),
    [
        ("items", "[]", "it must have at least `1` rows"),
        ("items", json.dumps(ROWS * 2), "it must have at most `2` rows"),
        ("items", '[{"item": "pen", "quantity": 0}]', "row 1: `quantity`: it must be more"),
        ("items", '[{"quantity": 1}]', "row 1: `item` is missing"),
        ("items", '{"item": "pen"}', "it must be a list of rows"),
        ("items", "[1", "Invalid JSON"),
        ("address", '{"floor": "x"}', "the object: `city` is missing"),
        ("address", '{"city": "Lyon", "floor": "x"}', 'For input string: "x"'),
        ("address", "[1]", "it must be an object"),
    ],
)
def test_bad_records_get_a_message_naming_the_cell(
    kestra: Kestra, input_id: str, value: str, message: str
) -> None:
    result = _validate(kestra, {**GOOD, input_id: value})
    errors = [e["message"] for e in result[input_id]["errors"]]
    assert len(errors) == 1 and message in errors[0], errors


def test_the_equipment_order_example_runs_with_its_form_groups(emulator_url: str) -> None:
    values = {
        "requester.name": "Ada",
        "requester.email": "ada@example.org",
        "order.items": '[{"item": "laptop", "quantity": 1}, {"item": "monitor", "quantity": 2}]',
    }
    kestra_id = kestra_http.start(emulator_url, "demo", "equipment_order", values)
    assert kestra_http.wait_for(emulator_url, kestra_id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    done = kestra_http.execution(emulator_url, kestra_id)
    assert done["inputs"]["order"]["within"] == "PT120H", "the default P5D, as Java writes it"
    outputs = requests.get(f"{emulator_url}/api/v1/main/outputs/executions/{kestra_id}", timeout=5)
    assert outputs.json() == {"summary": "Ada ordered 2 kinds of items"}
