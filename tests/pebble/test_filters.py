"""Each filter called as the engine calls it, with the outputs Pebble's and Kestra's own
tests give (CoreFiltersTest, the Kestra filter tests) and their error messages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from kestra_pebble.errors import PebbleError
from kestra_pebble.filters import FILTERS
from kestra_pebble.values import to_text

from .fake_env import FakeEnv


def apply(name: str, value: Any, *args: Any, **kwargs: Any) -> Any:
    return FILTERS[name](FakeEnv(), value, *args, **kwargs)


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs", "expected"),
    [
        ("abbreviate", "This is a test of the abbreviate filter", (16,), {}, "This is a tes..."),
        (
            "abbreviate",
            "This is a test of the abbreviate filter",
            (),
            {"length": 16},
            "This is a tes...",
        ),
        ("abbreviate", "1234567", (2,), {}, "12"),
        ("abbreviate", "abc", (5,), {}, "abc"),
        ("abs", -5, (), {}, 5),
        ("abs", -5.2, (), {}, 5.2),
        ("capitalize", "this should be capitalized.", (), {}, "This should be capitalized."),
        ("capitalize", " \nthis should be capitalized.", (), {}, " \nThis should be capitalized."),
        ("capitalize", "", (), {}, ""),
        ("capitalize", "ßa ǆb", (), {}, "ßa ǆb"),
        ("title", "ǆb ßa", (), {}, "ǅb ßa"),
        ("title", " \ntest", (), {}, " \nTest"),
        ("title", "test test tEST TEST", (), {}, "Test Test TEST TEST"),
        ("lower", "TEMPLATE", (), {}, "template"),
        ("upper", "template", (), {}, "TEMPLATE"),
        ("upper", {"a": 1}, (), {}, "{A=1}"),
        ("trim", "        \t\tThis should be trimmed. \t\t", (), {}, "This should be trimmed."),
        ("default", None, ("test",), {}, "test"),
        ("default", "", ("test",), {}, "test"),
        ("default", [], ("test",), {}, "test"),
        ("default", 0, ("test",), {}, 0),
        ("default", None, (), {"default": "ONE"}, "ONE"),
        ("first", ["Alex", "Joe", "Bob"], (), {}, "Alex"),
        ("first", "Alex", (), {}, "A"),
        ("first", [], (), {}, None),
        ("last", ["Alex", "Joe", "Bob"], (), {}, "Bob"),
        ("last", "Alex", (), {}, "x"),
        ("join", ["Alex", "Joe", "Bob"], (",",), {}, "Alex,Joe,Bob"),
        ("join", ["Alex", "Joe", "Bob"], (), {}, "AlexJoeBob"),
        ("join", [1.0, 2.5, 3.0], (",",), {}, "1.0,2.5,3.0"),
        ("join", [1, None, True], ("-",), {}, "1-null-true"),
        ("length", "test", (), {}, 4),
        ("length", None, (), {}, 0),
        ("length", {"a": 1, "b": 2, "c": 3}, (), {}, 3),
        ("length", "😀", (), {}, 2),
        ("slice", "Alex", (), {}, "Alex"),
        ("slice", "abcdefghijklmnopqrstuvwxyz", (2, 4), {}, "cd"),
        ("slice", "Alexander", (2, 5), {}, "exa"),
        (
            "slice",
            ["Alex", "Joe", "Bob", "Sarah", "Mary", "Marge"],
            (2, 5),
            {},
            ["Bob", "Sarah", "Mary"],
        ),
        (
            "sort",
            ["zebra", " cat", "123", "Apple", "apple", "cat"],
            (),
            {},
            [" cat", "123", "Apple", "apple", "cat", "zebra"],
        ),
        ("rsort", [3, 1, 2], (), {}, [3, 2, 1]),
        ("reverse", ["one", "two", "three"], (), {}, ["three", "two", "one"]),
        ("urlencode", "The string ü@foo-bar", (), {}, "The+string+%C3%BC%40foo-bar"),
        ("urlencode", "a~b*c", (), {}, "a%7Eb*c"),
        ("urldecode", "Kestra+rulez+%21", (), {}, "Kestra rulez !"),
        ("base64encode", "test", (), {}, "dGVzdA=="),
        ("base64decode", "dGVzdA==", (), {}, "test"),
        ("base64decode", "dGVzdA", (), {}, "test"),
        (
            "sha256",
            "test",
            (),
            {},
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        ("sha1", "hello", (), {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("md5", "hello", (), {}, "5d41402abc4b2a76b9719d911017c592"),
        (
            "sha512",
            "",
            (),
            {},
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
        ("merge", {"one": 1}, ({"two": 2},), {}, {"one": 1, "two": 2}),
        ("merge", [1], ([2],), {}, [1, 2]),
        ("merge", [1], ({"a": 2},), {}, [1, {"a": 2}]),
        ("merge", None, ([2],), {}, [2]),
        ("merge", {"a": 1}, (["b", [1, 2]],), {}, {"a": 1, "b": "b", "[1, 2]": [1, 2]}),
        ("split", "one,two,three", (",",), {}, ["one", "two", "three"]),
        ("split", "one,two,three", (",", 2), {}, ["one", "two,three"]),
        ("split", "a.b.c", ("\\.",), {}, ["a", "b", "c"]),
        ("split", "a,b,,", (",",), {}, ["a", "b"]),
        ("split", "a,b,,", (",", -1), {}, ["a", "b", "", ""]),
        (
            "replace",
            "I like %this% and %that%.",
            ({"%this%": "foo", "%that%": "bar"},),
            {},
            "I like foo and bar.",
        ),
        ("replace", "john doe is john doe", ({"john": "jane"},), {}, "jane doe is jane doe"),
        (
            "replace",
            "aa1bb2cc3dd4ee5",
            ({"(\\d)": "-$1-"},),
            {"regexp": True},
            "aa-1-bb-2-cc-3-dd-4-ee-5-",
        ),
        ("replace", {"a": "xx", "b": [1, "x"]}, ({"x": "y"},), {}, {"a": "yy", "b": ["1", "y"]}),
        ("chunk", [1, 2, 3, 4, 5, 6, 7, 8, 9], (2,), {}, [[1, 2], [3, 4], [5, 6], [7, 8], [9]]),
        ("className", "a", (), {}, "java.lang.String"),
        ("className", 1, (), {}, "java.lang.Integer"),
        ("className", 2**40, (), {}, "java.lang.Long"),
        ("className", 1.5, (), {}, "java.lang.Double"),
        ("className", True, (), {}, "java.lang.Boolean"),
        ("distinct", ["1", "1", "2", "3"], (), {}, ["1", "2", "3"]),
        ("string", 123, (), {}, "123"),
        ("string", [1, "a", True], (), {}, '[1,"a",true]'),
        ("endsWith", "Hello World", ("World",), {}, True),
        ("startsWith", "Hello World", ("Hello",), {}, True),
        ("startsWith", "Hello World", ("World",), {}, False),
        ("escapeChar", "L'eau c'est la vie", ("single",), {}, "L\\'eau c\\'est la vie"),
        ("escapeChar", '"Hello"', ("double",), {}, '\\"Hello\\"'),
        ("escapeChar", "L'eau c'est la vie", ("shell",), {}, "L'\\''eau c'\\''est la vie"),
        ("escapeChar", "", ("SHELL",), {}, ""),
        ("flatten", ["a", ["b", "c"], "d", [["e"]]], (), {}, ["a", "b", "c", "d", ["e"]]),
        ("indent", "first line\nsecond line", (2,), {}, "first line\n  second line"),
        ("indent", "first line\r\nsecond line", (2,), {}, "first line\r\n  second line"),
        ("indent", "first line\rsecond line", (2,), {}, "first line\r  second line"),
        ("indent", "first line\nsecond line", (2, "\t"), {}, "first line\n\t\tsecond line"),
        ("indent", "\n\n", (2,), {}, "\n  \n  "),
        ("indent", 1, (2,), {}, "1"),
        ("indent", "", (2,), {}, ""),
        ("nindent", "string", (2,), {}, "\n  string"),
        ("nindent", "\n\n", (2,), {}, "\n  \n  \n  "),
        ("nindent", "first line\r\nsecond line", (2,), {}, "\r\n  first line\r\n  second line"),
        ("nindent", "first line\nsecond line", (2, "\t"), {}, "\n\t\tfirst line\n\t\tsecond line"),
        ("keys", [1, 2, 3], (), {}, [0, 1, 2]),
        ("keys", {"a": 1, "b": 2}, (), {}, ["a", "b"]),
        ("values", {"a": 1, "b": "x"}, (), {}, [1, "x"]),
        ("slugify", "Test\t\t\ntest*", (), {}, "test-test"),
        ("slugify", "  Héllo, Wörld_2024! ", (), {}, "hello-world-2024"),
        ("substringBefore", "a.b.c", (".",), {}, "a"),
        ("substringAfter", "a.b.c", (), {"separator": "."}, "b.c"),
        ("substringBeforeLast", "a.b.c", (".",), {}, "a.b"),
        ("substringAfterLast", "a.b.c", (".",), {}, "c"),
        ("substringAfter", "a.b.c", ("x",), {}, ""),
        ("substringBefore", "a.b.c", ("x",), {}, "a.b.c"),
        ("substringAfterLast", "a.b.", (".",), {}, ""),
        ("toJson", {"empty_object": {}}, (), {}, '{"empty_object":{}}'),
        ("toJson", None, (), {}, "null"),
        ("json", "string", (), {}, '"string"'),
        ("toIon", {"empty_object": {}}, (), {}, "{empty_object:{}}"),
        ("toIon", None, (), {}, "null"),
        ("toIon", "string", (), {}, '"string"'),
        ("toIon", ["string", 1, 1.1230000257492065], (), {}, '["string",1,1.1230000257492065e0]'),
        ("toIon", {"a b": True}, (), {}, "{'a b':true}"),
        ("yaml", "string", (), {}, "string\n"),
        ("yaml", 1, (), {}, "1\n"),
        ("yaml", 1.123, (), {}, "1.123\n"),
        ("yaml", True, (), {}, "true\n"),
        ("yaml", ["string", 1, 1.123], (), {}, " - string\n - 1\n - 1.123\n"),
        (
            "yaml",
            {"int": 1, "string": "string", "map": {"a": "true"}},
            (),
            {},
            'int: 1\nstring: string\nmap:\n  a: "true"\n',
        ),
        ("yaml", None, (), {}, "null\n"),
        ("yaml", {"text": "one\ntwo"}, (), {}, "text: |-\n  one\n  two\n"),
        ("yaml", "one\n\ntwo\n", (), {}, "|\n  one\n\n  two\n"),
        ("yaml", {"e": "", "n": "null", "y": "yes"}, (), {}, 'e: ""\nn: "null"\ny: "yes"\n'),
        ("jq", [1, 2, 3], (".[0]",), {}, [1]),
        ("jq", {"test": [1, 2, 3]}, (".test[0]",), {}, [1]),
        ("jq", {"second": [1, 2, 3]}, (".second[]",), {}, [1, 2, 3]),
        ("jq", '{"a": {"b": "c"}}', (".a.b",), {}, ["c"]),
        (
            "jq",
            {"date": dt.datetime(2013, 9, 8, 16, 19, tzinfo=dt.UTC)},
            (".date",),
            {},
            ["2013-09-08T16:19:00+00:00"],
        ),
        ("number", "12.5", (), {}, 12.5),
        ("number", "2147483647", (), {}, 2147483647),
        ("number", "9223372036854775807", ("BIGDECIMAL",), {}, Decimal("9223372036854775807")),
        ("number", "0x1F", (), {}, 31),
        ("numberFormat", 10000.235166, ("$#,###,###,##0.00",), {}, "$10,000.24"),
        ("numberFormat", 10000.235166, (), {"format": "$#,###,###,##0.00"}, "$10,000.24"),
        ("numberFormat", 1000000, (), {}, "1,000,000"),
        ("numberFormat", 3.141592653, ("#.##",), {}, "3.14"),
        ("numberFormat", 0.125, ("0.##",), {}, "0.12"),
        ("numberFormat", 0.135, ("0.##",), {}, "0.14"),
        ("numberFormat", 0.5, ("#.##",), {}, ".5"),
        ("numberFormat", 0.5, ("0.00%",), {}, "50.00%"),
        ("numberFormat", 12345.678, ("0.###E0",), {}, "1.235E4"),
        ("numberFormat", -5, ("#;(#)",), {}, "(5)"),
        ("numberFormat", -5, ("#,##0.00",), {}, "-5.00"),
        ("numberFormat", 0, ("#.##",), {}, "0"),
        ("numberFormat", 7, ("000",), {}, "007"),
        ("numberFormat", 1234.5, ("'#'#",), {}, "#1234"),
    ],
)
def test_it_gives_what_pebble_and_kestra_give(name, value, args, kwargs, expected):
    assert apply(name, value, *args, **kwargs) == expected


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            "abbreviate",
            "base64decode",
            "base64encode",
            "capitalize",
            "chunk",
            "className",
            "date",
            "dateAdd",
            "distinct",
            "escapeChar",
            "first",
            "flatten",
            "indent",
            "jq",
            "join",
            "keys",
            "last",
            "lower",
            "nindent",
            "number",
            "numberFormat",
            "replace",
            "reverse",
            "rsort",
            "sha1",
            "sha256",
            "sha512",
            "md5",
            "slice",
            "slugify",
            "sort",
            "split",
            "substringAfter",
            "substringAfterLast",
            "substringBefore",
            "substringBeforeLast",
            "timestamp",
            "timestampMicro",
            "timestampNano",
            "title",
            "trim",
            "upper",
            "urldecode",
            "urlencode",
            "values",
        }
    ),
)
def test_null_goes_through_as_null(name):
    assert FILTERS[name](FakeEnv(), None, "x") is None


def test_null_prints_as_the_word_null_where_kestra_serialises_it():
    assert (apply("toJson", None), apply("toIon", None), apply("yaml", None)) == (
        "null",
        "null",
        "null\n",
    )


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs", "message"),
    [
        (
            "abbreviate",
            "abc",
            (-1,),
            {},
            "Invalid argument to abbreviate filter; must be greater than zero",
        ),
        ("abs", None, (), {}, 'Can not pass null value to "abs" filter.'),
        ("abs", "a", (), {}, "The 'abs' filter does require as input a number."),
        (
            "base64decode",
            "this is not a base64 encoded string",
            (),
            {},
            "Please provide a correctly Base64 encoded string containing an UTF-8 string",
        ),
        ("base64decode", {"foo": 1}, (), {}, "This filter applies to String"),
        ("sha256", {"foo": 1}, (), {}, "Need a string to hash"),
        (
            "chunk",
            1,
            (2,),
            {},
            "'chunk' filter can only be applied to List. Actual type was: java.lang.Integer",
        ),
        ("chunk", [1], (), {}, "'chunk' filter expects an argument 'size'."),
        (
            "escapeChar",
            "Hello",
            ("foo",),
            {},
            "The 'escapeChar' filter expects the value of 'type' to be either 'single', "
            "'double', or 'shell'.",
        ),
        ("escapeChar", "Hello", (), {}, "The 'escapeChar' filter expects an argument 'type'."),
        ("flatten", "a", (), {}, "The 'flatten' filter can only be applied to lists."),
        ("indent", "a\nb", (), {}, "The 'indent' filter expects an integer as argument 'amount'."),
        (
            "nindent",
            "a\nb",
            (-1,),
            {},
            "The 'nindent' filter expects a positive integer >=0 as argument 'amount'.",
        ),
        ("jq", [1], (), {}, "The 'jq' filter expects an argument 'expression'."),
        ("jq", [1], (".[",), {}, "Unable to parse jq value '[1]' with type 'java.util.ArrayList'"),
        (
            "join",
            {"a": 1},
            (),
            {},
            "The 'join' filter expects that the input is either a collection or an array.",
        ),
        (
            "keys",
            "a",
            (),
            {},
            "'keys' filter can only be applied to List, Map, Array. "
            "Actual type was: java.lang.String",
        ),
        (
            "values",
            [1],
            (),
            {},
            "'values' filter can only be applied to Map. Actual type was: java.util.ArrayList",
        ),
        ("merge", None, (None,), {}, "The two arguments to be merged are null"),
        (
            "merge",
            {"one": 1},
            ("No way!",),
            {},
            "Currently, only Maps and Lists can be merged with a Map. Arg2: java.lang.String",
        ),
        (
            "merge",
            [1],
            ("No way!",),
            {},
            "Currently, only Maps and Lists can be merged with a List. Arg2: java.lang.String",
        ),
        ("merge", "a", ([1],), {}, "The object being filtered is not a Map/List/Array"),
        (
            "number",
            1,
            (),
            {},
            "'number' filter can only be applied to String. Actual type was: java.lang.Integer",
        ),
        ("number", "abc", (), {}, "abc is not a valid number."),
        (
            "numberFormat",
            "a",
            (),
            {},
            "The input for the 'NumberFormat' filter has to be a number.",
        ),
        ("replace", "a", (), {}, "The argument 'replace_pairs' is required."),
        ("slice", "Alex", (-1,), {}, "fromIndex must be greater than 0"),
        ("slice", "Alex", (0, 1000), {}, "toIndex must be smaller than input size: 4"),
        ("slice", "Alex", (2, 1), {}, "toIndex must be greater than fromIndex"),
        (
            "slice",
            1,
            (2, 5),
            {},
            "Slice filter can only be applied to String, List and array inputs. "
            "Actual type was: java.lang.Integer",
        ),
        ("split", "a", (), {}, "missing delimiter parameter in split filter"),
        (
            "substringAfter",
            "a.b",
            (),
            {},
            "The 'substringAfter' filter expects an argument 'separator'.",
        ),
        (
            "substringBeforeLast",
            "a.b",
            (),
            {},
            "The 'substringBeforeLast' filter expects an argument 'separator'.",
        ),
        ("sort", "abc", (), {}, "Unsupported input type for sort filter"),
        ("sort", [1, "a"], (), {}, "The items given to the 'sort' filter cannot be compared"),
        (
            "abbreviate",
            "abc",
            (1, 2),
            {},
            "The argument at position 2 is not allowed. Only 1 argument(s) are allowed.",
        ),
        ("abbreviate", "abc", (), {"size": 2}, "The following named argument does not exist: size"),
    ],
)
def test_it_fails_with_kestras_message(name, value, args, kwargs, message):
    with pytest.raises(PebbleError) as raised:
        apply(name, value, *args, **kwargs)
    assert str(raised.value) == message


def test_a_filter_without_arguments_ignores_what_it_is_given():
    assert apply("upper", "a", 1, 2, x=3) == "A"


def test_sorting_gives_a_new_list_and_leaves_the_context_alone():
    words = ["b", "a"]
    assert (apply("sort", words), apply("reverse", words), words) == (
        ["a", "b"],
        ["a", "b"],
        ["b", "a"],
    )


def test_a_number_read_from_text_is_the_java_type_that_holds_it():
    cases = {
        "12.3": "java.lang.Float",
        "2147483647": "java.lang.Integer",
        "9223372036854775807": "java.lang.Long",
        "3.14159265358979": "java.lang.Double",
        "1.00000000000000000001": "java.lang.Float",
        "1e400": "java.math.BigDecimal",
        "5L": "java.lang.Long",
    }
    assert {text: apply("className", apply("number", text)) for text in cases} == cases


def test_a_number_read_as_a_named_type_keeps_its_java_class():
    kinds = {
        "INT": "java.lang.Integer",
        "LONG": "java.lang.Long",
        "BIGINTEGER": "java.math.BigInteger",
    }
    assert {kind: apply("className", apply("number", "5", kind)) for kind in kinds} == kinds
    assert apply("number", "5", "LONG") + 1 == 6


def test_a_java_float_prints_with_the_digits_java_prints():
    assert to_text(apply("number", "3.14159265358979", "FLOAT")) == "3.1415927"


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs"),
    [
        ("indent", "a\nb\nc", (600,), {}),
        ("nindent", "abc", (1000,), {}),
        ("replace", "aaaa", ({"a": "x" * 300},), {}),
        ("replace", "aaaa", ({"(a)": "$1" * 300},), {"regexp": True}),
        ("join", ["x" * 300] * 4, (), {}),
    ],
)
def test_a_filter_stops_at_the_output_limit_before_building_the_text(name, value, args, kwargs):
    with pytest.raises(PebbleError, match="A text is longer than 1000 characters"):
        FILTERS[name](FakeEnv(max_output=1000), value, *args, **kwargs)


def test_jq_stops_at_the_limit_on_items():
    with pytest.raises(PebbleError, match="The jq expression gives more than 100 values"):
        FILTERS["jq"](FakeEnv(max_items=100), [], "range(1000000)")


def test_sort_orders_booleans_and_refuses_mixed_kinds():
    assert apply("sort", [True, False]) == [False, True]
    with pytest.raises(PebbleError, match="cannot be compared"):
        apply("sort", [True, 1])


@pytest.mark.parametrize(
    ("name", "value", "args", "kwargs", "message"),
    [
        ("replace", "aXb", ({"X": "\\"},), {"regexp": True}, "character to be escaped is missing"),
        ("replace", "aXb", ({"X": "$1"},), {"regexp": True}, "No group in the regular expression"),
    ],
)
def test_a_bad_replacement_fails_with_a_pebble_error(name, value, args, kwargs, message):
    with pytest.raises(PebbleError, match=re.escape(message)):
        apply(name, value, *args, **kwargs)


def test_number_format_writes_infinite_decimals_as_java_does():
    assert (apply("numberFormat", Decimal("-Infinity")), apply("numberFormat", Decimal("NaN"))) == (
        "-\u221e",
        "NaN",
    )
