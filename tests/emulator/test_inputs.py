"""Input validation for every type, defaults, required, dependsOn and dynamic SELECT values."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Kestra

GOOD = {
    "s": "abc",
    "i": "5",
    "f": "1.5",
    "b": "true",
    "old_b": "FALSE",
    "sel": "a",
    "custom": "zzz",
    "multi": '["x","z"]',
    "enum": "ON",
    "d": "2024-02-03",
    "dt": "2024-02-03T10:00:00+02:00",
    "t": "09:30",
    "dur": "PT5M",
    "j": '{"a":[1,2]}',
    "y": "a: 1\nb: [x]",
    "u": "https://example.com/x?y=1",
    "e": "me@example.com",
    "secret": "hush",
    "arr": "[1, 2]",
    "must": "m",
    "person.name": "Bob",
    "person.age": "30",
}


def _validate(
    kestra: Kestra, flow: str, values: dict[str, str], files: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    parts: dict[str, Any] = {k: (None, v) for k, v in values.items()}
    parts.update(files or {})
    response = kestra.post(f"/executions/test/{flow}/validate", files=parts or None)
    assert response.status_code == 200, response.text
    return {item["input"]["id"]: item for item in response.json()["inputs"]}


def test_valid_values_of_every_type_are_parsed(kestra: Kestra) -> None:
    created = kestra.create("all_inputs", GOOD, files={"doc": ("data.CSV", b"a,b\n1,2\n")})
    inputs = created["inputs"]
    assert inputs["i"] == 5 and inputs["f"] == 1.5
    assert inputs["b"] is True and inputs["old_b"] is False
    assert inputs["multi"] == ["x", "z"] and inputs["custom"] == "zzz" and inputs["enum"] == "ON"
    assert inputs["d"] == "2024-02-03" and inputs["t"] == "09:30"
    assert inputs["dt"] == "2024-02-03T08:00:00Z"  # instants are UTC
    assert inputs["dur"] == "PT5M"
    assert inputs["j"] == {"a": [1, 2]} and inputs["y"] == {"a": 1, "b": ["x"]}
    assert inputs["arr"] == [1, 2]
    assert inputs["person"] == {"name": "Bob", "age": 30}  # dotted ids nest
    assert inputs["secret"] == "******"  # never echoed back
    assert inputs["doc"] == (
        f"kestra:///test/all_inputs/executions/{created['id']}/inputs/doc/data.CSV"
    )
    stored = kestra.get(f"/executions/{created['id']}/file", params={"path": inputs["doc"]})
    assert stored.content == b"a,b\n1,2\n"
    done = kestra.wait_for(created["id"])
    task = next(t for t in done["taskRunList"] if t["taskId"] == "echo")
    echo = kestra.get(f"/outputs/tasks/{created['id']}/{task['id']}").json()
    assert echo == {"value": "hush|Bob"}  # tasks see the clear secret


@pytest.mark.parametrize(
    ("input_id", "value", "message"),
    [
        ("s", "ABC", "it must match the pattern `^[a-z]+$`"),
        ("i", "11", "it must be less than `10`"),
        ("i", "0", "it must be more than `1`"),
        ("i", "1.5", 'For input string: "1.5"'),
        ("f", "3.0", "it must be less than `2.5`"),
        ("f", "x", 'For input string: "x"'),
        ("b", "yes", "it must be a boolean"),
        ("sel", "c", "it must match the values `[a, b]`"),
        ("multi", '["x","w"]', "value `w` doesn't match the values `[x, y, z]`"),
        ("enum", "MAYBE", "it must match the values `[ON, OFF]`"),
        ("d", "2035-01-01", "it must be before `2030-01-01`"),
        ("d", "2019-12-31", "it must be after `2020-01-01`"),
        ("d", "03/02/2024", "could not be parsed"),
        ("dt", "2019-01-01T00:00:00Z", "it must be after `2020-01-01T00:00:00Z`"),
        ("dt", "2024-01-01T00:00:00", "could not be parsed"),
        ("t", "19:00", "it must be before `18:00:00`"),
        ("dur", "PT2H", "It must be less than `PT1H`"),
        ("dur", "PT30S", "It must be more than `PT1M`"),
        ("dur", "5 minutes", "Duration"),
        ("j", "{a", "Invalid JSON"),
        ("y", "a: [", "Invalid YAML"),
        ("u", "not a uri", "Invalid URI format"),
        ("e", "nope", "The input must be a valid email"),
        ("arr", '["a"]', 'For input string: "a"'),
    ],
)
def test_invalid_values_get_kestra_messages(
    kestra: Kestra, input_id: str, value: str, message: str
) -> None:
    result = _validate(kestra, "all_inputs", {"must": "m", input_id: value})
    errors = [e["message"] for e in result[input_id]["errors"]]
    assert len(errors) == 1 and message in errors[0], errors
    others = [i for i, item in result.items() if item.get("errors") and i != input_id]
    assert others == []


def test_missing_required_input(kestra: Kestra) -> None:
    result = _validate(kestra, "all_inputs", {})
    assert result["must"]["errors"] == [{"message": "missing required input", "renderError": False}]
    assert "value" not in result["must"]


def test_file_extension_and_empty_file_are_rejected(kestra: Kestra) -> None:
    result = _validate(kestra, "all_inputs", {"must": "m"}, {"doc": ("evil.exe", b"MZ")})
    assert "Accepted extensions: .csv, .txt" in result["doc"]["errors"][0]["message"]
    empty = _validate(kestra, "all_inputs", {"must": "m"}, {"doc": ("a.csv", b"")})
    assert "Can't upload file" in empty["doc"]["errors"][0]["message"]


def test_validate_stores_nothing_and_gives_the_future_file_uri(kestra: Kestra) -> None:
    result = _validate(kestra, "all_inputs", {"must": "m"}, {"doc": ("a.csv", b"x")})
    assert result["doc"]["value"].endswith("/inputs/doc/a.csv")
    assert kestra.get("/executions/search").json()["total"] == 0


def test_defaults_are_used_and_flagged(kestra: Kestra, kestra13: Kestra) -> None:
    result = _validate(kestra, "basics", {})
    assert result["name"]["value"] == "world" and result["name"]["isDefault"] is True
    assert result["name"]["input"]["defaults"] == "world"
    legacy = _validate(kestra13, "basics", {})
    assert legacy["name"]["value"] == "world" and "isDefault" not in legacy["name"]


def test_expression_defaults_are_rendered(kestra: Kestra) -> None:
    result = _validate(kestra, "depends", {"kind": "software", "model": "ide"})
    assert result["started"]["value"].endswith("Z")


def test_depends_on_condition_enables_inputs(kestra: Kestra) -> None:
    software = _validate(kestra, "depends", {"kind": "software", "model": "ide"})
    assert software["serial"]["enabled"] is False and "errors" not in software["serial"]
    hardware = _validate(kestra, "depends", {"kind": "hardware", "model": "laptop"})
    assert hardware["serial"]["enabled"] is True
    assert hardware["serial"]["errors"][0]["message"] == "missing required input"


def test_select_expression_values_are_rendered_from_dependencies(kestra: Kestra) -> None:
    hardware = _validate(kestra, "depends", {"kind": "hardware"})
    assert hardware["model"]["input"]["values"] == ["laptop", "phone"]
    software = _validate(kestra, "depends", {"kind": "software", "model": "laptop"})
    assert software["model"]["input"]["values"] == ["ide", "office"]
    assert "it must match the values `[ide, office]`" in software["model"]["errors"][0]["message"]


def test_disabled_inputs_are_dropped_from_the_execution(kestra: Kestra) -> None:
    created = kestra.create("depends", {"kind": "software", "model": "office", "serial": "S1"})
    assert "serial" not in created["inputs"]
    assert created["inputs"]["model"] == "office"


def test_it_ticket_conditional_system_input(kestra: Kestra) -> None:
    base = {"title": "Printer is broken", "kind": "Bug"}
    response = kestra.post(
        "/executions/demo/it_ticket/validate", files={k: (None, v) for k, v in base.items()}
    )
    by_id = {i["input"]["id"]: i for i in response.json()["inputs"]}
    assert by_id["system"]["enabled"] is False
    access = {"title": "VPN", "kind": "Access request"}
    response = kestra.post(
        "/executions/demo/it_ticket/validate", files={k: (None, v) for k, v in access.items()}
    )
    by_id = {i["input"]["id"]: i for i in response.json()["inputs"]}
    assert by_id["system"]["enabled"] is True
    assert by_id["system"]["errors"][0]["message"] == "missing required input"
    assert by_id["title"]["errors"][0]["message"] == "it must match the pattern `^.{5,120}$`"


def test_multiselect_accepts_repeated_parts(kestra: Kestra) -> None:
    response = kestra.post(
        "/executions/demo/feedback",
        files=[
            ("email", (None, "a@b.co")),
            ("rating", (None, "4")),
            ("topics", (None, "Talks")),
            ("topics", (None, "Food")),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["inputs"]["topics"] == ["Talks", "Food"]


def test_legacy_file_part_named_files_uses_the_filename_as_input_id(kestra: Kestra) -> None:
    created = kestra.create("basics", files={"files": ("upload", b"old style")})
    assert created["inputs"]["upload"].endswith("/inputs/upload/upload")
