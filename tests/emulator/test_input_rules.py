"""The emulator's input validation, called directly: every type, bound and message.

tests/emulator/test_inputs.py checks the same rules through the HTTP API as a client sees
them; these pin each rule's edges (a bound equal to the value, a zero bound, the exact
cause text) without a server, so that `make mutate` tells a change within a second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kestra_emulator.inputs import (
    InputResolver,
    InputResult,
    InvalidValue,
    Upload,
    _as_value_list,
    _check_file,
    _instant,
    cause_messages,
    context_values,
    error_message,
    nest,
    parse_typed,
    values_of,
)


def parse(kind: str, text: str, **definition: Any) -> Any:
    return parse_typed({"id": "x", "type": kind, **definition}, text)


def refused(kind: str, text: str, **definition: Any) -> str:
    with pytest.raises(InvalidValue) as caught:
        parse(kind, text, **definition)
    return str(caught.value)


def resolve(
    definitions: list[dict[str, Any]],
    submitted: dict[str, list[str]] | None = None,
    uploads: dict[str, Upload] | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, InputResult]:
    resolver = InputResolver(
        definitions,
        submitted or {},
        uploads or {},
        lambda input_id, name: f"kestra:///inputs/{input_id}/{name}",
        context or {},
    )
    return {result.id: result for result in resolver.resolve_all()}


# --- one value by type ----------------------------------------------------------------------


def test_int_reads_trimmed_digits_and_names_a_bad_value():
    assert parse("INT", " 42 ") == 42
    assert refused("INT", "4x2") == 'For input string: "4x2"'


@pytest.mark.parametrize(("kind", "low", "high"), [("INT", "3", "5"), ("FLOAT", "3.0", "5.0")])
def test_numbers_may_equal_their_bounds_but_not_pass_them(kind, low, high):
    assert parse(kind, low, min=3, max=5) == 3
    assert parse(kind, high, min=3, max=5) == 5
    assert refused(kind, "2", min=3, max=5) == "it must be more than `3`"
    assert refused(kind, "6", min=3, max=5) == "it must be less than `5`"


def test_a_bound_of_zero_is_still_a_bound():
    assert refused("INT", "-1", min=0) == "it must be more than `0`"
    assert refused("FLOAT", "0.5", max=0) == "it must be less than `0`"
    assert parse("INT", "0", min=0, max=0) == 0


def test_bounds_written_as_text_compare_as_numbers():
    assert refused("INT", "10", max="9") == "it must be less than `9`"
    assert refused("FLOAT", "0.25", min="0.5") == "it must be more than `0.5`"


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "abc"])
def test_float_refuses_what_is_not_a_finite_number(text):
    assert refused("FLOAT", text) == f'For input string: "{text}"'


def test_float_reads_trimmed_decimals():
    assert parse("FLOAT", " 1.5 ") == 1.5


@pytest.mark.parametrize(("text", "value"), [("true", True), (" TRUE ", True), ("False", False)])
def test_bool_is_true_or_false_in_any_case(text, value):
    assert parse("BOOL", text) is value
    assert parse("BOOLEAN", text) is value


def test_bool_names_what_it_got():
    assert refused("BOOL", "yes") == "it must be a boolean (`true` or `false`), got `yes`"


def test_a_string_matches_its_whole_validator():
    assert parse("STRING", "abc", validator="[a-z]+") == "abc"
    assert refused("STRING", "abc1", validator="[a-z]+") == "it must match the pattern `[a-z]+`"
    assert parse("STRING", "any thing 1") == "any thing 1"
    assert parse("SECRET", "s3cret", validator="[a-z0-9]+") == "s3cret"


def test_a_select_takes_one_of_its_values_written_in_any_form():
    values = [{"value": "a"}, "b", 3, True]
    for text in ("a", "b", "3", "true"):
        assert parse("SELECT", text, values=values) == text
    assert refused("SELECT", "c", values=values) == "it must match the values `[a, b, 3, true]`"
    assert refused("ENUM", "c", values=["a"]) == "it must match the values `[a]`"
    assert parse("SELECT", "b", options=["a", "b"]) == "b"
    assert refused("SELECT", "x") == "it must match the values `[]`"


@pytest.mark.parametrize("custom", ["allowCustomValue", "allowInput"])
def test_a_select_with_custom_values_takes_anything(custom):
    assert parse("SELECT", "free", values=["a"], **{custom: True}) == "free"
    assert parse("MULTISELECT", '["a", "free"]', values=["a"], **{custom: True}) == ["a", "free"]


def test_a_multiselect_takes_a_list_of_its_values():
    assert parse("MULTISELECT", '["a", "b"]', values=["a", "b", "c"]) == ["a", "b"]
    assert parse("MULTISELECT", "[a, c]", values=["a", "b", "c"]) == ["a", "c"]
    assert parse("MULTISELECT", " b ", values=["a", "b"]) == ["b"]
    assert parse("MULTISELECT", "[]", values=["a"]) == []
    assert refused("MULTISELECT", '["a", "z"]', values=["a", "b"]) == (
        "value `z` doesn't match the values `[a, b]`"
    )


def test_a_multiselect_reads_its_items_by_item_type():
    assert parse("MULTISELECT", "[1, 2]", values=["1", "2"], itemType="INT") == [1, 2]
    assert refused("MULTISELECT", "[1, x]", values=["1", "x"], itemType="INT") == (
        'For input string: "x"'
    )


def test_an_array_needs_its_item_type_and_reads_each_item():
    assert refused("ARRAY", "[1]") == "`itemType` is required on an ARRAY input"
    assert parse("ARRAY", "[1, 2]", itemType="INT") == [1, 2]
    assert parse("ARRAY", '["a", "b"]', itemType="STRING") == ["a", "b"]
    assert parse("ARRAY", "single", itemType="STRING") == ["single"]
    assert refused("ARRAY", "[1, x]", itemType="INT") == 'For input string: "x"'


def test_a_date_is_written_in_full():
    assert parse("DATE", " 2025-03-04 ") == "2025-03-04"
    for text in ("20250304", "2025-3-4", "04/03/2025"):
        assert refused("DATE", text) == (
            f"Text '{text}' could not be parsed as a date (YYYY-MM-DD)"
        )


def test_temporal_bounds_exclude_the_bound_itself():
    bounds = {"after": "2025-03-01", "before": "2025-03-05"}
    assert parse("DATE", "2025-03-02", **bounds) == "2025-03-02"
    assert parse("DATE", "2025-03-04", **bounds) == "2025-03-04"
    assert refused("DATE", "2025-03-01", **bounds) == "it must be after `2025-03-01`"
    assert refused("DATE", "2025-03-05", **bounds) == "it must be before `2025-03-05`"


def test_a_datetime_is_an_instant_with_a_zone_written_in_utc():
    assert parse("DATETIME", "2025-03-04T10:00:00Z") == "2025-03-04T10:00:00Z"
    assert parse("DATETIME", "2025-03-04T10:00:00z") == "2025-03-04T10:00:00Z"
    assert parse("DATETIME", " 2025-03-04T12:00:00.5+02:00 ") == "2025-03-04T10:00:00.500Z"
    for text in ("2025-03-04T10:00:00", "tomorrow"):
        assert refused("DATETIME", text) == (
            f"Text '{text}' could not be parsed as an ISO-8601 instant (2042-04-02T04:20:42Z)"
        )


def test_an_instant_needs_a_time_zone():
    assert _instant("2025-03-04T12:00:00+02:00") == dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="^an instant needs a time zone$"):
        _instant("2025-03-04T10:00:00")


def test_datetime_bounds_compare_instants():
    bounds = {"after": "2025-03-04T10:00:00Z", "before": "2025-03-04T12:00:00+01:00"}
    assert parse("DATETIME", "2025-03-04T10:30:00Z", **bounds) == "2025-03-04T10:30:00Z"
    assert refused("DATETIME", "2025-03-04T11:00:00+01:00", **bounds) == (
        "it must be after `2025-03-04T10:00:00Z`"
    )
    assert refused("DATETIME", "2025-03-04T11:00:00Z", **bounds) == (
        "it must be before `2025-03-04T12:00:00+01:00`"
    )


def test_a_time_leaves_out_zero_seconds_like_java():
    assert parse("TIME", "09:30") == "09:30"
    assert parse("TIME", " 09:30:00 ") == "09:30"
    assert parse("TIME", "09:30:15") == "09:30:15"
    assert parse("TIME", "09:30:00.250") == "09:30:00.250000"
    assert refused("TIME", "9h30") == "Text '9h30' could not be parsed as a time (HH:MM:SS)"
    assert refused("TIME", "09:00", after="09:00") == "it must be after `09:00`"


def test_a_duration_is_written_back_like_java_within_its_bounds():
    assert parse("DURATION", "PT90M") == "PT1H30M"
    assert parse("DURATION", "PT1H", min="PT1H", max="PT1H") == "PT1H"
    assert refused("DURATION", "PT59M", min="PT1H") == "It must be more than `PT1H`"
    assert refused("DURATION", "PT61M", max="PT1H") == "It must be less than `PT1H`"
    assert refused("DURATION", "1 hour") == "Text cannot be parsed to a Duration: 1 hour"


def test_a_zero_duration_bound_is_still_a_bound():
    assert refused("DURATION", "-PT1S", min="PT0S") == "It must be more than `PT0S`"
    assert refused("DURATION", "PT1S", max="PT0S") == "It must be less than `PT0S`"


def test_json_and_yaml_are_read_as_values():
    assert parse("JSON", '{"a": [1, 2]}') == {"a": [1, 2]}
    assert (
        refused("JSON", "{")
        == "Invalid JSON: Expecting property name enclosed in double quotes at line 1"
    )
    assert refused("JSON", "\n\nnope") == "Invalid JSON: Expecting value at line 3"
    assert parse("YAML", "a: 2025-03-04\nb: [x]") == {"a": "2025-03-04", "b": ["x"]}
    assert refused("YAML", "a: [").startswith("Invalid YAML: ")


@pytest.mark.parametrize(
    "text", ["kestra:///a/b.csv", "nsfile:///x.txt", "file:///tmp/x", "https://example.org/a?b=1"]
)
def test_a_uri_is_a_known_scheme_or_a_url_with_a_host(text):
    assert parse("URI", text) == text
    assert parse("FILE", text) == text


@pytest.mark.parametrize("text", ["example.org", "https://localhost", "a kestra:///x"])
def test_a_uri_without_a_host_is_refused(text):
    assert refused("URI", text) == f"Invalid URI format for `{text}`"


def test_an_email_needs_an_at_and_a_domain():
    assert parse("EMAIL", "ada@example.org") == "ada@example.org"
    assert parse("EMAIL", "") == ""
    assert refused("EMAIL", "ada") == "The input must be a valid email"
    assert refused("EMAIL", "ada@example.org ") == "The input must be a valid email"


def test_the_type_is_read_in_any_case_and_defaults_to_string():
    assert parse_typed({"id": "x", "type": "int"}, "7") == 7
    assert parse_typed({"id": "x"}, "7") == "7"
    assert refused("COLOUR", "red") == "Unsupported input type `COLOUR`"


# --- rows and objects ---------------------------------------------------------------------------

COLUMNS = [{"id": "item"}, {"id": "urgent", "type": "bool", "required": False}, {"id": "n"}]


def test_a_column_without_a_type_is_text_and_an_optional_cell_may_be_left_out():
    rows = parse("TABLE", '[{"item": 7, "n": "x"}]', columns=COLUMNS)
    assert rows == [{"item": "7", "n": "x"}], "the cell after a missing optional one is read"
    assert parse("OBJECT", '{"item": "pen", "urgent": "true", "n": "1"}', properties=COLUMNS) == {
        "item": "pen",
        "urgent": True,
        "n": "1",
    }


@pytest.mark.parametrize("empty", ['""', "[]", "null"])
def test_an_empty_required_cell_is_missing(empty):
    text = f'[{{"item": {empty}, "n": "x"}}]'
    assert refused("TABLE", text, columns=COLUMNS) == "row 1: `item` is missing"


def test_a_row_that_is_not_an_object_is_named():
    assert refused("TABLE", '[{"item": "a", "n": "b"}, 3]', columns=COLUMNS) == (
        "row 2 must be an object"
    )


def test_a_field_of_a_type_a_record_cannot_hold_is_refused_by_name():
    columns = [{"id": "scan", "type": "FILE"}]
    assert refused("TABLE", '[{"scan": "x"}]', columns=columns) == (
        "field `scan` cannot be of type FILE"
    )


def test_the_row_bounds_are_inclusive():
    rows = {"min": 1, "max": 1}
    assert parse("TABLE", '[{"item": "a", "n": "b"}]', columns=COLUMNS, rows=rows) == [
        {"item": "a", "n": "b"}
    ]


# --- files ------------------------------------------------------------------------------------


def check_file(name: str, content: bytes = b"data", **definition: Any) -> str | None:
    try:
        _check_file(definition, Upload(name, content))
    except InvalidValue as exc:
        return str(exc)
    return None


def test_an_empty_file_is_refused_by_name():
    assert check_file("a.csv", b"") == "Can't upload file: a.csv is empty"
    assert check_file("a.csv") is None


@pytest.mark.parametrize("key", ["allowedFileExtensions", "extension"])
def test_a_file_must_end_with_an_allowed_extension_in_any_case(key):
    assert check_file("A.CSV", **{key: [".csv", "TXT"]}) is None
    assert check_file("b.txt", **{key: [".csv", "TXT"]}) is None
    assert check_file("c.pdf", **{key: [".csv", "TXT"]}) == (
        "File extension not allowed. Accepted extensions: .csv, .txt"
    )
    assert check_file("d.csv", **{key: "csv"}) is None
    assert check_file("e.pdf", **{key: "CSV"}) == (
        "File extension not allowed. Accepted extensions: .csv"
    )


def test_the_extension_is_the_end_of_the_name():
    assert check_file("report.csv.exe", allowedFileExtensions=[".csv"]) is not None
    assert check_file("reportcsv", allowedFileExtensions=["csv"]) is not None


# --- a whole form --------------------------------------------------------------------------


def test_a_required_input_left_empty_is_missing_and_an_optional_one_is_not():
    results = resolve(
        [{"id": "a", "type": "STRING"}, {"id": "b", "type": "STRING", "required": False}],
        {"a": [""], "b": [""]},
    )
    assert results["a"].errors == ["missing required input"]
    assert results["b"].errors == [] and results["b"].value is None


def test_a_bad_value_keeps_the_text_and_its_cause():
    (result,) = resolve([{"id": "n", "type": "INT"}], {"n": ["x"]}).values()
    assert result.value == "x"
    assert result.errors == ['For input string: "x"']


def test_the_first_non_empty_part_is_the_value_and_lists_gather_every_part():
    results = resolve(
        [
            {"id": "s", "type": "STRING"},
            {"id": "m", "type": "MULTISELECT", "values": ["a", "b"]},
            {"id": "r", "type": "ARRAY", "itemType": "INT"},
            {"id": "one", "type": "MULTISELECT", "values": ["a", "b"]},
        ],
        {"s": ["", "first", "second"], "m": ["a", "", "b"], "r": ["1", "2"], "one": ["b"]},
    )
    assert results["s"].value == "first"
    assert results["m"].value == ["a", "b"]
    assert results["r"].value == [1, 2]
    assert results["one"].value == ["b"]


def test_defaults_fill_what_was_not_sent_and_say_so():
    results = resolve(
        [
            {"id": "n", "type": "INT", "defaults": 5},
            {"id": "t", "type": "STRING", "defaults": "{{ 2 + 3 }}"},
            {"id": "l", "type": "MULTISELECT", "values": ["a", "b"], "defaults": ["a", "b"]},
            {"id": "b", "type": "BOOL", "defaults": False},
            {"id": "sent", "type": "INT", "defaults": 5},
        ],
        {"sent": ["7"]},
    )
    assert (results["n"].value, results["n"].is_default) == (5, True)
    assert results["t"].value == "5"
    assert results["l"].value == ["a", "b"]
    assert results["b"].value is False
    assert (results["sent"].value, results["sent"].is_default) == (7, False)


def test_a_default_that_does_not_render_is_an_error():
    (result,) = resolve([{"id": "t", "type": "STRING", "defaults": "{{ nope( }}"}]).values()
    assert result.errors[0].startswith("Invalid default value: ")
    assert "missing required input" in result.errors
    assert result.is_default


def test_a_select_may_start_on_its_first_value():
    results = resolve(
        [
            {"id": "s", "type": "SELECT", "values": ["x", "y"], "autoSelectFirst": True},
            {"id": "e", "type": "SELECT", "values": [], "autoSelectFirst": True},
            {"id": "n", "type": "SELECT", "values": ["x", "y"]},
            {"id": "m", "type": "MULTISELECT", "values": ["x"], "autoSelectFirst": True},
        ]
    )
    assert results["s"].value == "x" and results["s"].errors == []
    assert results["e"].errors == ["missing required input"]
    assert results["n"].errors == ["missing required input"]
    assert results["m"].errors == ["missing required input"]


def test_a_file_input_takes_the_upload_and_names_its_uri():
    upload = Upload("a.csv", b"1,2")
    results = resolve(
        [
            {"id": "f", "type": "FILE"},
            {"id": "g", "type": "FILE", "allowedFileExtensions": [".txt"]},
            {"id": "s", "type": "STRING"},
        ],
        {"s": ["text"]},
        {"f": upload, "g": Upload("b.csv", b"x"), "s": Upload("c.csv", b"y")},
    )
    assert results["f"].value == "kestra:///inputs/f/a.csv" and results["f"].upload is upload
    assert results["g"].value is None and results["g"].upload is None
    assert results["g"].errors == ["File extension not allowed. Accepted extensions: .txt"]
    assert results["s"].value == "text" and results["s"].upload is None


def test_a_file_input_may_be_given_as_a_uri():
    (result,) = resolve([{"id": "f", "type": "FILE"}], {"f": ["kestra:///x/y.csv"]}).values()
    assert result.value == "kestra:///x/y.csv" and result.upload is None


def test_a_condition_turns_an_input_on_or_off():
    definitions = [
        {"id": "kind", "type": "SELECT", "values": ["hardware", "software"]},
        {
            "id": "serial",
            "type": "STRING",
            "dependsOn": {"inputs": ["kind"], "condition": "{{ inputs.kind == 'hardware' }}"},
        },
        {"id": "after", "type": "STRING", "dependsOn": {"inputs": ["serial"]}},
    ]
    on = resolve(definitions, {"kind": ["hardware"], "serial": ["S1"], "after": ["x"]})
    assert on["serial"].enabled and on["serial"].value == "S1"
    assert on["after"].enabled
    off = resolve(definitions, {"kind": ["software"], "serial": ["S1"], "after": ["x"]})
    assert not off["serial"].enabled and off["serial"].value is None
    assert off["serial"].errors == []
    assert not off["after"].enabled


def test_a_condition_written_as_kestras_example_flows_write_it_turns_an_input_on():
    """`equals` is Pebble's word for `==`; Kestra's example flows use it in dependsOn."""
    definitions = [
        {"id": "resource_type", "type": "SELECT", "values": ["Cloud VM", "Access"]},
        {
            "id": "cloud_provider",
            "type": "SELECT",
            "values": ["AWS", "GCP"],
            "dependsOn": {
                "inputs": ["resource_type"],
                "condition": "{{ inputs.resource_type equals 'Cloud VM' }}",
            },
        },
    ]
    on = resolve(definitions, {"resource_type": ["Cloud VM"], "cloud_provider": ["AWS"]})
    assert on["cloud_provider"].enabled and on["cloud_provider"].value == "AWS"
    off = resolve(definitions, {"resource_type": ["Access"], "cloud_provider": ["AWS"]})
    assert not off["cloud_provider"].enabled and off["cloud_provider"].errors == []


def test_a_default_may_format_a_date_with_javas_patterns():
    (result,) = resolve(
        [{"id": "day", "type": "STRING", "defaults": "{{ '2024-12-03' | date('dd/MM/yyyy') }}"}]
    ).values()
    assert (result.value, result.is_default, result.errors) == ("03/12/2024", True, [])


def test_a_condition_that_does_not_render_disables_the_input_with_its_cause():
    (_, result) = resolve(
        [
            {"id": "a", "type": "STRING"},
            {"id": "b", "type": "STRING", "dependsOn": {"inputs": ["a"], "condition": "{{ a( }}"}},
        ],
        {"a": ["x"], "b": ["y"]},
    ).values()
    assert not result.enabled
    assert len(result.errors) == 1 and result.errors[0].startswith("Invalid condition: ")


def test_a_dependency_on_an_unknown_input_is_ignored():
    (result,) = resolve(
        [{"id": "a", "type": "STRING", "dependsOn": {"inputs": ["ghost"]}}], {"a": ["x"]}
    ).values()
    assert result.enabled and result.value == "x"


def test_a_circular_dependency_disables_the_inputs():
    results = resolve(
        [
            {"id": "a", "type": "STRING", "dependsOn": {"inputs": ["b"]}},
            {"id": "b", "type": "STRING", "dependsOn": {"inputs": ["a"]}},
        ],
        {"a": ["x"], "b": ["y"]},
    )
    assert not results["a"].enabled and not results["b"].enabled


def test_an_expression_lists_a_selects_values_from_its_dependencies():
    definitions = [
        {"id": "kind", "type": "SELECT", "values": ["hardware", "software"]},
        {
            "id": "model",
            "type": "SELECT",
            "expression": "{{ inputs.kind == 'hardware' ? ['laptop', 'phone'] : ['ide'] }}",
            "dependsOn": {"inputs": ["kind"]},
        },
        {
            "id": "many",
            "type": "MULTISELECT",
            "expression": '["p", "q"]',
            "dependsOn": {"inputs": ["kind"]},
        },
        {
            "id": "text",
            "type": "STRING",
            "expression": '["p"]',
            "dependsOn": {"inputs": ["kind"]},
        },
    ]
    results = resolve(
        definitions, {"kind": ["hardware"], "model": ["phone"], "many": ["q"], "text": ["t"]}
    )
    assert results["model"].value == "phone"
    assert results["model"].definition["values"] == ["laptop", "phone"]
    assert results["many"].value == ["q"]
    assert "values" not in results["text"].definition
    wrong = resolve(definitions, {"kind": ["software"], "model": ["phone"], "many": ["q"]})
    assert wrong["model"].errors == ["it must match the values `[ide]`"]


@pytest.mark.parametrize(
    ("expression", "cause"),
    [("{{ nope( }}", "Invalid expression: "), ("not a list", "Invalid expression: `not a list`")],
)
def test_an_expression_that_gives_no_list_is_an_error(expression, cause):
    (_, result) = resolve(
        [
            {"id": "a", "type": "STRING"},
            {"id": "s", "type": "SELECT", "expression": expression, "dependsOn": {"inputs": ["a"]}},
        ],
        {"a": ["x"], "s": ["y"]},
    ).values()
    assert result.errors[0].startswith(cause)


def test_a_value_list_is_a_list_or_its_json():
    assert _as_value_list('["a", 1]') == ["a", 1]
    assert _as_value_list(["a"]) == ["a"]
    for value, text in (("x", "x"), ('{"a": 1}', "{'a': 1}"), (5, "5")):
        with pytest.raises(InvalidValue) as caught:
            _as_value_list(value)
        assert str(caught.value) == f"`{text}` is not a list"


def test_a_resolved_input_is_resolved_once():
    calls: list[str] = []
    resolver = InputResolver(
        [
            {"id": "f", "type": "FILE"},
            {"id": "g", "type": "STRING", "dependsOn": {"inputs": ["f"]}},
        ],
        {"g": ["x"]},
        {"f": Upload("a.csv", b"1")},
        lambda input_id, name: calls.append(input_id) or "kestra:///f",
    )
    resolver.resolve_all()
    assert calls == ["f"]


def test_inputs_may_be_named_by_name_as_in_older_flows():
    (result,) = resolve([{"name": "old", "type": "INT"}], {"old": ["3"]}).values()
    assert result.id == "old" and result.value == 3


# --- what the results give ----------------------------------------------------------------


def test_nest_builds_maps_from_dotted_ids():
    assert nest({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    assert nest({"a": 1, "a.b": 2}) == {"a": {"b": 2}}
    assert nest({"a.b.c": 1}) == {"a": {"b": {"c": 1}}}


def result(value: Any, kind: str = "STRING", enabled: bool = True, **extra: Any) -> InputResult:
    return InputResult(
        definition={"id": extra.pop("id", "x"), "type": kind}, value=value, enabled=enabled, **extra
    )


def test_values_mask_secrets_drop_nulls_and_disabled_inputs():
    results = [
        result("s3cret", "SECRET", id="pw"),
        result("v", id="r.name"),
        result(None, id="empty"),
        result("hidden", enabled=False, id="off"),
    ]
    assert values_of(results, masked=True) == {"pw": "******", "r": {"name": "v"}}
    assert values_of(results, masked=False) == {"pw": "s3cret", "r": {"name": "v"}}
    assert values_of(results, masked=False, keep_nulls=True) == {
        "pw": "s3cret",
        "r": {"name": "v"},
        "empty": None,
    }
    assert context_values(results) == {
        "pw": "s3cret",
        "r": {"name": "v"},
        "empty": None,
        "off": None,
    }


def test_causes_name_their_input():
    results = [result(None, id="a", errors=["e1", "e2"]), result(None, id="b")]
    assert error_message("a", "e1") == "Invalid value for input `a`. Cause: e1"
    assert cause_messages(results) == [
        ("a", "Invalid value for input `a`. Cause: e1"),
        ("a", "Invalid value for input `a`. Cause: e2"),
    ]


def test_a_result_as_json_per_dialect():
    secret = result("s3cret", "SECRET", id="pw", is_default=True)
    assert secret.to_json(dialect="2.0") == {
        "input": {"id": "pw", "type": "SECRET", "required": True},
        "enabled": True,
        "value": "******",
        "isDefault": True,
    }
    bad = result("x", "INT", id="n", errors=["e"])
    assert bad.to_json(dialect="1.0") == {
        "input": {"id": "n", "type": "INT", "required": True},
        "enabled": True,
        "value": "x",
        "errors": [{"message": "e"}],
    }
    assert bad.to_json(dialect="2.0")["errors"] == [{"message": "e", "renderError": False}]
    assert "value" not in result("x", enabled=False).to_json(dialect="2.0")
    assert "value" not in result(None).to_json(dialect="2.0")
    assert result(0, "INT").to_json(dialect="2.0")["value"] == 0
