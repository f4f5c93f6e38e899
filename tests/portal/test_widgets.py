"""Every input type of Kestra gets the widget a person expects."""

import re

import pytest
from django.template.loader import render_to_string

from executions.forms import fields_from_validation

INPUTS = [
    (
        {
            "id": "name",
            "type": "STRING",
            "displayName": "Name",
            "description": "Your **full** name",
        },
        "Ada",
    ),
    ({"id": "count", "type": "INT", "min": 1, "max": 9}, 3),
    ({"id": "ratio", "type": "FLOAT"}, 0.5),
    ({"id": "ok", "type": "BOOL"}, True),
    ({"id": "legacy", "type": "BOOLEAN"}, False),
    ({"id": "size", "type": "SELECT", "values": ["S", "M"]}, "M"),
    ({"id": "shade", "type": "SELECT", "values": ["red", "blue"], "isRadio": True}, "blue"),
    ({"id": "city", "type": "SELECT", "values": ["Paris"], "allowCustomValue": True}, "Lyon"),
    (
        {"id": "tags", "type": "MULTISELECT", "values": ["a", "b", "c"], "allowCustomValue": True},
        ["a", "zz"],
    ),
    ({"id": "old", "type": "ENUM", "values": ["x", "y"]}, "y"),
    ({"id": "day", "type": "DATE"}, "2025-01-02"),
    ({"id": "at", "type": "DATETIME"}, "2025-01-02T03:04:00Z"),
    ({"id": "time", "type": "TIME"}, "10:15:30"),
    ({"id": "wait", "type": "DURATION"}, "PT5M"),
    ({"id": "doc", "type": "FILE", "allowedFileExtensions": [".csv", ".txt"]}, None),
    ({"id": "payload", "type": "JSON"}, {"a": 1}),
    ({"id": "conf", "type": "YAML"}, "a: 1"),
    ({"id": "site", "type": "URI"}, "https://example.org"),
    ({"id": "mail", "type": "EMAIL"}, "ada@example.org"),
    ({"id": "token", "type": "SECRET"}, "s3cret"),
    ({"id": "list", "type": "ARRAY", "itemType": "INT"}, [1, 2]),
    ({"id": "optional", "type": "STRING", "required": False}, None),
]


@pytest.fixture(scope="module")
def html() -> str:
    result = {"inputs": [{"input": d, "value": v, "enabled": True} for d, v in INPUTS]}
    return render_to_string("inputs/fields.html", {"fields": fields_from_validation(result)})


def _field(html: str, input_id: str) -> str:
    start = html.index(f'data-input="{input_id}"')
    end = html.find('<div class="field', start)
    return html[start : end if end > 0 else len(html)]


@pytest.mark.parametrize(
    ("input_id", "expected"),
    [
        ("name", 'type="text"'),
        ("count", 'type="number"'),
        ("ratio", 'step="any"'),
        ("ok", 'role="switch"'),
        ("legacy", 'type="checkbox"'),
        ("size", "<select"),
        ("shade", 'type="radio"'),
        ("city", 'list="dl-city"'),
        ("tags", 'type="checkbox"'),
        ("old", "<select"),
        ("day", 'type="date"'),
        ("at", 'type="datetime-local"'),
        ("time", 'type="time"'),
        ("wait", 'placeholder="PT5M"'),
        ("doc", 'accept=".csv,.txt"'),
        ("payload", "<textarea"),
        ("conf", "<textarea"),
        ("site", 'type="url"'),
        ("mail", 'type="email"'),
        ("token", 'type="password"'),
        ("list", "<textarea"),
    ],
)
def test_each_type_has_its_widget(html, input_id, expected):
    assert expected in _field(html, input_id)


def test_values_are_shown_in_their_widget(html):
    assert 'value="3"' in _field(html, "count") and 'min="1"' in _field(html, "count")
    assert "checked" in _field(html, "ok")
    assert '<option value="M" selected>' in _field(html, "size")
    assert re.search(r'value="blue"\s*checked', _field(html, "shade"))
    assert 'value="Lyon"' in _field(html, "city")
    assert re.search(r'value="a"\s*checked', _field(html, "tags"))
    assert 'value="zz"' in _field(html, "tags"), "a custom value is kept in the other box"
    assert 'value="2025-01-02T03:04"' in _field(html, "at")
    assert "{&quot;a&quot;: 1}" in _field(html, "payload")


def test_labels_help_and_required_marks(html):
    name = _field(html, "name")
    assert ">Name" in name and "<strong>full</strong>" in name and 'class="required"' in name
    assert 'class="required"' not in _field(html, "optional")


def test_a_secret_is_never_echoed_back(html):
    assert "s3cret" not in html


def test_a_duration_keeps_its_text_box_and_offers_days_to_seconds(html):
    wait = _field(html, "wait")
    assert 'name="input.wait"' in wait and 'value="PT5M"' in wait, "works without script"
    assert 'data-duration-for="f-wait"' in wait, "the parts write into the text box"
    assert all(f'data-unit="{unit}"' in wait for unit in "DHMS")
    assert all(f">{name} <input" in wait for name in ("Days", "Hours", "Minutes", "Seconds"))
    assert 'aria-describedby="h-wait"' in wait, "the format is explained to screen readers"
