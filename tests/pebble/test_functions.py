"""Each function called as the engine calls it, with the outputs of Kestra's function
tests and Pebble's CoreFunctionsTest, and their error messages."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest

from kestra_pebble.errors import PebbleError
from kestra_pebble.functions import FUNCTIONS

from .fake_env import FakeEnv


def call(name, *args, env=None, **kwargs):
    return FUNCTIONS[name](env or FakeEnv(), *args, **kwargs)


def test_from_json_reads_objects_lists_and_null():
    assert call("fromJson", '{"test1": [{"test1": 666}, 2, 3], "test2": 2}')["test1"][0] == {
        "test1": 666
    }
    assert call("fromJson", "[1, 2, 3]") == [1, 2, 3]
    assert call("fromJson", '{"empty_object":{}}') == {"empty_object": {}}
    assert call("fromJson", None) is None
    assert call("json", json='{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("fromJson", (), "The 'fromJson' function expects an argument 'json'."),
        ("fromJson", (1,), "The 'fromJson' function expects an argument 'json' with type string."),
        ("fromIon", (), "The 'fromIon' function expects an argument 'ion'."),
        ("yaml", (), "The 'yaml' function expects an argument 'yaml'."),
        ("yaml", (None,), "The 'yaml' function expects an argument 'yaml' with type string."),
        ("render", (), "The 'render' function expects an argument 'toRender'."),
        (
            "render",
            ("x", "yes"),
            "The 'render' function expects an optional argument 'recursive' with type boolean.",
        ),
        ("range", (1, 5, 0), "The increment of the range function must be different than 0"),
        (
            "range",
            ("ab", "c"),
            "Arguments of range function must be of type Number or String with a length of 1",
        ),
        (
            "range",
            (1, "c"),
            "Arguments of range function must be of type Number or String with a length of 1",
        ),
        ("max", (1, "a"), "invalid operands for mathematical comparison [GREATER_THAN]"),
        ("randomInt", (5, 1), "In 'GenerateRandomNumber' upper is less than lower"),
        ("parent", (), "Can not use parent function if template does not extend another template."),
    ],
)
def test_it_fails_with_kestras_message(name, args, message):
    with pytest.raises(PebbleError) as raised:
        call(name, *args)
    assert str(raised.value) == message


def test_bad_json_and_ion_are_reported_as_invalid():
    with pytest.raises(PebbleError, match="^Invalid json: "):
        call("fromJson", "{not: json}")
    for broken in ("{not: ion", "{", "0x_", "2024-13-45T00:00Z"):
        with pytest.raises(PebbleError, match="^Invalid ion: "):
            call("fromIon", broken)


def test_from_ion_reads_symbols_timestamps_and_typed_numbers():
    value = call("fromIon", '{date:2024-04-21T23:00:00.000Z, title:"Main_Page",views:109787}')
    assert value == {
        "date": dt.datetime(2024, 4, 21, 23, 0, tzinfo=dt.UTC),
        "title": "Main_Page",
        "views": 109787,
    }
    typed = call("fromIon", "/* c */ {f: 1.5e0, d: 1.5, s: sym, 'q s': null.int, a: T::[1, 2]}")
    assert typed == {"f": 1.5, "d": Decimal("1.5"), "s": "sym", "q s": None, "a": [1, 2]}
    assert call("fromIon", None) is None


def test_yaml_reads_a_document_and_keeps_dates_as_text():
    document = (
        "# comment\nstring: string\nint: 123\nbool: true\ndate: 1991-08-20\n"
        "'null':\narray:\n  - string\n"
    )
    assert call("yaml", document) == {
        "string": "string",
        "int": 123,
        "bool": True,
        "date": "1991-08-20",
        "null": None,
        "array": ["string"],
    }


def test_max_and_min_compare_numbers_and_skip_nothing():
    assert (call("max", 1, 5, 3), call("min", 4, 2.5, 8), call("max"), call("max", None, 2)) == (
        5,
        2.5,
        None,
        2,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0, 3), [0, 1, 2, 3]),
        ((0, 6, 2), [0, 2, 4, 6]),
        ((5, 1, -2), [5, 3, 1]),
        ((3, 0), []),
        (("a", "e", 2), ["a", "c", "e"]),
    ],
)
def test_range_counts_like_pebble_both_ends_included(args, expected):
    assert call("range", *args) == expected


def test_range_stops_at_the_limit_on_items():
    with pytest.raises(PebbleError, match="more than the 100 allowed"):
        call("range", 1, 101, env=FakeEnv(max_items=100))
    assert len(call("range", 1, 100, env=FakeEnv(max_items=100))) == 100


def test_render_goes_on_until_nothing_changes_and_render_once_stops_after_one_pass():
    env = FakeEnv(
        {"input": "{{someOtherVar}}", "someOtherVar": "{{yetAnotherVar}}", "yetAnotherVar": "test"}
    )
    assert call("render", "{{someOtherVar}}", env=env) == "test"
    assert call("renderOnce", "{{someOtherVar}}", env=env) == "{{yetAnotherVar}}"
    assert call("render", "{{someOtherVar}}", recursive=False, env=env) == "{{yetAnotherVar}}"


def test_render_keeps_values_that_are_not_templates():
    env = FakeEnv({"a": "1"})
    assert (
        call("render", 42, env=env),
        call("render", True, env=env),
        call("render", None, env=env),
    ) == (42, True, None)
    assert call("render", "plain", env=env) == "plain"
    assert env.renders == 0
    assert call("render", {"k": ["{{ a }}"]}, env=env) == {"k": ["1"]}


def test_render_of_a_template_that_never_settles_is_stopped():
    env = FakeEnv({"x": "{{ x }}!"})
    with pytest.raises(PebbleError, match="Too many rendering attempts"):
        call("render", "{{ x }}", env=env)


def test_now_is_the_current_time_in_the_format_asked():
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert call("now", format="iso_local_date") == today
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", call("now"))
    assert call("now", timeZone="Asia/Tokyo").endswith("+09:00")


def test_uuid_and_id_are_new_each_time():
    assert uuid.UUID(call("uuid")).version == 4
    ids = {call("id") for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"[0-9A-Za-z]{1,22}", one) for one in ids)


def test_print_context_gives_the_variables_in_scope():
    assert call("printContext", env=FakeEnv({"inputs": {"a": 1}})) == {"inputs": {"a": 1}}


def test_random_int_stays_within_its_bounds():
    assert {call("randomInt", 1, 3) for _ in range(50)} <= {1, 2}
