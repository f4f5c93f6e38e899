import pytest
from django.http import QueryDict
from django.template.loader import render_to_string

from executions import forms
from executions.blocks import field_json

INPUTS = [
    {"id": "dataset", "type": "SELECT", "values": ["a", "b"]},
    {"id": "tags", "type": "MULTISELECT", "values": ["x", "y"]},
    {"id": "ok", "type": "BOOL"},
    {"id": "when", "type": "DATETIME"},
    {"id": "password", "type": "SECRET"},
    {"id": "rows", "type": "INT"},
]


def test_values_are_read_as_kestra_expects_them():
    post = QueryDict(mutable=True)
    post.update(
        {"input.dataset": "b", "input.when": "2025-01-02T03:04", "input.password": "s3cret"}
    )
    post.setlist("input.tags", ["x", "y"])
    post.setlist("input.ok", ["false", "true"])
    values = forms.read_values(post, INPUTS)
    assert values == {
        "dataset": "b",
        "tags": '["x", "y"]',
        "ok": "true",
        "when": "2025-01-02T03:04:00Z",
        "password": "s3cret",
    }


def test_an_empty_field_is_not_sent():
    post = QueryDict("input.rows=&input.ok=false")
    assert forms.read_values(post, INPUTS) == {"ok": "false"}


def test_secrets_are_never_shown_back():
    shown = forms.shown_values({"password": "s3cret", "rows": "3"}, INPUTS)
    assert shown == {"password": "******", "rows": "3"}


def test_fields_keep_what_was_typed_and_the_errors():
    result = {
        "inputs": [
            {
                "input": {"id": "rows", "type": "INT", "min": 1},
                "value": None,
                "enabled": True,
                "errors": [{"message": "it must be more than 1"}],
            },
            {"input": {"id": "hidden", "type": "STRING"}, "enabled": False, "errors": []},
            {"input": {"id": "password", "type": "SECRET"}, "value": "s3cret", "enabled": True},
        ]
    }
    fields = forms.fields_from_validation(result, {"rows": "-4", "password": "s3cret"})
    assert [f.id for f in fields] == ["rows", "password"]
    assert fields[0].value == "-4" and fields[0].errors == ["it must be more than 1"]
    assert fields[1].value == ""
    assert forms.has_errors(fields)


LABELLED = [
    {"label": "Cloud VM", "value": "vm"},
    {"label": "Managed database", "value": "db"},
    "plain",
]


def _labelled_field(input_type: str, **extra: object) -> forms.Field:
    definition = {"id": "kind", "type": input_type, "values": LABELLED, **extra}
    result = {"inputs": [{"input": definition, "value": None, "enabled": True}]}
    (field,) = forms.fields_from_validation(result, {"kind": "db"}, show_errors=False)
    return field


@pytest.mark.parametrize(
    ("input_type", "extra", "shown"),
    [
        ("SELECT", {}, '<option value="vm">Cloud VM</option>'),
        ("SELECT", {"isRadio": True}, 'value="vm"> Cloud VM</label>'),
        ("MULTISELECT", {}, 'value="vm"> Cloud VM</label>'),
        ("SELECT", {"allowCustomValue": True}, '<option value="vm" label="Cloud VM">'),
    ],
)
def test_options_given_with_labels_show_the_label_and_send_the_value(input_type, extra, shown):
    field = _labelled_field(input_type, **extra)
    assert field.options == [("vm", "Cloud VM"), ("db", "Managed database"), ("plain", "plain")]
    page = render_to_string("inputs/field.html", {"field": field})
    assert shown in page
    assert ">vm<" not in page and "> vm<" not in page  # the value is never the text shown


def test_the_api_gives_labelled_options_as_kestra_defines_them():
    assert field_json(_labelled_field("SELECT"))["values"] == LABELLED
