"""The engine on its own: Pebble's grammar and precedences, Java's arithmetic, Kestra's
printing and error wording, the tags, typed rendering, escaping and the limits. The
engine here has a few filters and functions of its own, so these tests stand apart from
the filter library."""

from __future__ import annotations

import html
from typing import Any

import pytest

from kestra_pebble.engine import Engine, Limits
from kestra_pebble.errors import PebbleError


def _upper(env: Any, value: Any) -> str:
    return str(value).upper()


def _default(env: Any, value: Any, fallback: Any) -> Any:
    return fallback if value is None or value == "" else value


def _length(env: Any, value: Any) -> int:
    return len(value)


def _range(env: Any, start: int, end: int) -> list[int]:
    if end - start >= env.max_items:
        raise PebbleError("range too large")
    return list(range(start, end + 1))


def _render(env: Any, source: str) -> str:
    return str(env.render(source, env.context))


def _join(env: Any, value: Any, separator: str = "", *, last: str | None = None) -> str:
    items = [str(item) for item in value]
    if last is not None and len(items) > 1:
        return separator.join(items[:-1]) + last + items[-1]
    return separator.join(items)


FILTERS = {"upper": _upper, "default": _default, "length": _length, "join": _join}


def _block(env: Any, name: str) -> Any:
    return env.block(name)


FUNCTIONS = {"range": _range, "render": _render, "block": _block}

CONTEXT = {
    "inputs": {"resource_type": "Cloud VM", "n": 7, "name": "Ada", "blank": None},
    "outputs": {"reg": {"values": {"foo": "bar"}, "items": [1, 2, 3]}},
    "execution": {"startDate": "2024-01-01"},
    "trigger": None,
    "items": ["a", "b", "c"],
}


@pytest.fixture
def engine() -> Engine:
    return Engine(filters=FILTERS, functions=FUNCTIONS)


def render(engine: Engine, source: str, **variables: Any) -> str:
    return engine.render(source, {**CONTEXT, **variables})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the examples the issue found broken
        ("{{ inputs.resource_type equals 'Cloud VM' }}", "true"),
        ("{{ 7 / 2 }}", "3"),
        ("{{ not false == false }}", "false"),  # (not false) == false
        ("{{ 'a' ~ 'b' | upper }}", "AB"),  # `~` (110) binds tighter than `|` (100)
        ("{{ outputs.reg.values.foo }}", "bar"),
        ("{{ 'a' + 1 }}", "a1"),
        ("{{ 1..3 }}", "[1,2,3]"),
        # arithmetic as Java does it
        ("{{ -7 / 2 }}", "-3"),
        ("{{ -7 % 3 }}", "-1"),
        ("{{ 7 % -3 }}", "1"),
        ("{{ 7.0 / 2 }}", "3.5"),
        ("{{ 1 / 2.0 }}", "0.5"),
        ("{{ 2 + 3 * 4 }}", "14"),
        ("{{ (2 + 3) * 4 }}", "20"),
        ("{{ 10 - 2 - 3 }}", "5"),
        ("{{ 9223372036854775807 + 1 }}", "-9223372036854775808"),
        ("{{ '3' * 2 }}", "6"),
        ("{{ 1 + 2 ~ 3 }}", "123"),  # `~` first: 1 + '23'
        ("{{ 1.0 / 0 }}", "Infinity"),
        ("{{ 10 / 4.0 }}", "2.5"),
        ("{{ 2.0 * 3 }}", "6.0"),
        ("{{ -(3) }}", "-3"),
        ("{{ -inputs.n }}", "-7"),
        ("{{ [1] + 2 }}", "[1,2]"),
        ("{{ [1, 2, 3] - 2 }}", "[1,3]"),
        ("{{ 'n=' + null }}", "n=null"),
        # printing
        ("{{ true }}/{{ false }}/{{ null }}", "true/false/"),
        ("{{ {'a': [1, 2.5, null, true]} }}", '{"a":[1,2.5,null,true]}'),
        ("{{ [] }}{{ {} }}", "[]{}"),
        ("{{ 1.0 }}", "1.0"),
        # comparisons and logic
        ("{{ 1 == 1.0 }}", "true"),
        ("{{ 1 == '1' }}", "false"),
        ("{{ true == 1 }}", "false"),
        ("{{ 'b' > 'a' }}", "true"),
        ("{{ 2 >= 2 and 1 < 2 }}", "true"),
        ("{{ null > 1 }}", "false"),
        ("{{ false or 'x' }}", "true"),
        ("{{ 0 or '' }}", "false"),
        ("{{ not 0 }}", "true"),
        ("{{ 1 != 2 }}", "true"),
        ("{{ true or false and false }}", "true"),  # `and` binds tighter than `or`
        ("{{ 1 + 1 == 2 }}", "true"),
        # contains, in, not in
        ("{{ 'abc' contains 'b' }}", "true"),
        ("{{ [1, 2, 3] contains [1, 3] }}", "true"),
        ("{{ {'a': 1} contains 'a' }}", "true"),
        ("{{ null contains 1 }}", "false"),
        ("{{ 'foo' in ['foo', 'bar'] }}", "true"),
        ("{{ 'baz' in ['foo', 'bar'] }}", "false"),
        ("{{ 'foo' in {'foo': 'bar'} }}", "true"),
        ("{{ 2 not in [1, 3] }}", "true"),
        ("{{ 'x' in null }}", "false"),
        # tests
        ("{{ inputs.blank is null }}", "true"),
        ("{{ inputs.name is not null }}", "true"),
        ("{{ missing is defined }}", "false"),
        ("{{ inputs.name is defined }}", "true"),
        ("{{ inputs.missing is not defined }}", "true"),
        (
            "{{ '  ' is empty }}/{{ [] is empty }}/{{ {} is empty }}/{{ 'a' is empty }}",
            "true/true/true/false",
        ),
        ("{{ 2 is even }}/{{ 3 is odd }}/{{ 3 is even }}", "true/true/false"),
        ("{{ items is iterable }}/{{ 'abc' is iterable }}", "true/false"),
        ("{{ inputs is map }}/{{ items is map }}", "true/false"),
        ("{{ '{\"a\": 1}' is json }}/{{ 'nope' is json }}", "true/false"),
        # coalescing (Kestra)
        ("{{ (trigger.date ?? execution.startDate) | upper }}", "2024-01-01"),
        ("{{ inputs.missing ?? 'fallback' }}", "fallback"),
        ("{{ inputs.blank ?? 'null too' }}", "null too"),
        ("{{ inputs.blank ??? 'only undefined' }}", ""),
        ("{{ inputs.missing ??? 'undefined' }}", "undefined"),
        ("{{ a ?? b ?? 'third' }}", "third"),
        ("{{ inputs.missing | default('d') }}", "d"),
        # literals, access, interpolation, ternary
        ('{{ "Hello #{ inputs.name }, #{ inputs.n + 1 }!" }}', "Hello Ada, 8!"),
        ("{{ 'it\\'s' }}", "it's"),
        ("{{ 'back\\slash' }}", "back\\slash"),
        ('{{ "say \\"hi\\"" }}', 'say "hi"'),
        ("{{ items[1] }}{{ inputs['name'] }}{{ outputs.reg['items'][2] }}", "bAda3"),
        ("{{ true ? 'y' : 'n' }}", "y"),
        ("{{ null ? 'y' : 'n' }}", "n"),
        ("{{ false ? 'a' : true ? 'b' : 'c' }}", "b"),
        ("{{ items | join(', ', last=' and ') }}", "a, b and c"),
        ("{{ TRUE }}{{ NONE }}", "true"),
    ],
)
def test_it_renders_as_pebble_does(engine: Engine, source: str, expected: str) -> None:
    assert render(engine, source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% if 1 > 2 %}a{% elseif 2 > 1 %}b{% else %}c{% endif %}", "b"),
        ("{% if false %}a{% elseif false %}b{% else %}c{% endif %}", "c"),
        ("{% if 'yes' %}non-empty strings are true{% endif %}", "non-empty strings are true"),
        ("{% for x in items %}{{ loop.index }}{{ x }}{% endfor %}", "0a1b2c"),
        (
            "{% for x in items %}{{ loop.first }},{{ loop.last }},{{ loop.length }},"
            "{{ loop.revindex }};{% endfor %}",
            "true,false,3,2;false,false,3,1;false,true,3,0;",
        ),
        ("{% for x in [] %}x{% else %}none{% endfor %}", "none"),
        ("{% for x in null %}x{% else %}none{% endfor %}", ""),
        ("{% for e in {'a': 1, 'b': 2} %}{{ e.key }}={{ e.value }} {% endfor %}", "a=1 b=2 "),
        ("{% for i in 1..3 %}{% for j in 1..2 %}{{ i * j }}{% endfor %}{% endfor %}", "122436"),
        ("{% set x = inputs.n * 2 %}{{ x }}", "14"),
        ("{% set t = 0 %}{% for i in [1, 2, 3] %}{% set t = t + i %}{% endfor %}{{ t }}", "6"),
        ("{% for x in items %}{% set inner = x %}{% endfor %}{{ inner ?? 'gone' }}", "gone"),
        ("{% for x in items %}{% endfor %}{{ x ?? 'loop variable gone' }}", "loop variable gone"),
        ("{% raw %}{{ inputs.name }}{% endraw %}", "{{ inputs.name }}"),
        ("a{# a comment #}b", "ab"),
        ("a  {{- 'b' -}}  c", "abc"),
        ("a  {%- if true -%}  b  {%- endif -%}  c", "abc"),
        ("a {#- gone -#} b", "ab"),
        ("line\n{% if true %}\nkept\n{% endif %}\n", "line\n\nkept\n\n"),  # no newline trimming
        ("{{ render('{{ inputs.name }}!') }}", "Ada!"),
    ],
)
def test_its_tags_behave_as_pebble_does(engine: Engine, source: str, expected: str) -> None:
    assert render(engine, source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ nope }}", "Unable to find `nope` used in the expression `{{ nope }}` at line 1"),
        (
            "{{ inputs.invalid }}",
            "Unable to find `invalid` used in the expression `{{ inputs.invalid }}` at line 1",
        ),
        ("a\n\n{{ trigger.date }}", "Unable to find `trigger` used in the expression"),
        ("a\n\n{{ trigger.date }}", "at line 3"),
        ("{{ items[5] }}", "Unable to find `5`"),
        ("{{ 'x' * 2 }}", 'For input string: "x"'),
        ("{{ 1 / 0 }}", "/ by zero ({{ 1 / 0 }})"),
        ("{{ inputs > 1 }}", "invalid operands for mathematical comparison [GREATER_THAN]"),
        ("{% if inputs.blank %}x{% endif %}", "null value given to if statement"),
        ("{% if items %}x{% endif %}", "Unsupported value type ArrayList"),
        ("{{ 1 contains 1 }}", "Contains operator can only be used on Collections"),
        ("{{ 1 in 'abc' }}", "In operator can only be used on Collections, Maps and arrays"),
        ("{{ x | nofilter }}", "Filter [nofilter] does not exist."),
        ("{{ nofunction() }}", "Function or Macro [nofunction] does not exist."),
        ("{{ x is prime }}", "Test [prime] does not exist."),
        ("{{ null is even }}", 'Can not pass null value to "even" test.'),
        ("{% for x in 'abc' %}{% endfor %}", "Not an iterable object. Value = [abc]"),
        ("{{ 1 + }}", 'Unexpected token "}}"'),
        ("{{ (1 }}", 'Unclosed ")"'),
        ("{{ 1 ) }}", 'Unexpected ")"'),
        ("{{ 'open }}", "Unclosed string"),
        ("{{ inputs.name ", 'Unexpected end of template, expected "}}"'),
        ("{% if true %}x", 'Unexpected end of template, expected "endif"'),
        ("{% endif %}", 'Unexpected tag name "endif"'),
        ("{% macro x() %}{% endmacro %}", 'Unexpected tag name "macro"'),
        ("{# never closed", "Unclosed comment"),
        ("{% raw %}never closed", "Unclosed raw tag"),
        ("{{ a @ b }}", "Unexpected character [@]"),
        ("{{ {'k': 'v'}['k'] }}", 'Expected }}, found "["'),
        ("{{ inputs.name.upper() }}", 'Methods can not be called: "upper(…)"'),
        ("{% set true = 1 %}", "Can not assign a value to true"),
        ("{{ join(items, sep=',', 1) }}", "Positional arguments must be declared before"),
        ("{{ items | join(1, 2, 3) }}", "Filter [join] failed"),
    ],
)
def test_it_fails_with_a_clear_message(engine: Engine, source: str, message: str) -> None:
    with pytest.raises(PebbleError) as failure:
        render(engine, source)
    assert message in str(failure.value)


def test_it_reads_map_keys_and_list_items_never_python_attributes(engine: Engine) -> None:
    assert render(engine, "{{ outputs.reg.values.foo }}") == "bar"
    for source in ("{{ inputs.keys }}", "{{ items.append }}", "{{ inputs.name.__class__ }}"):
        with pytest.raises(PebbleError, match="Unable to find"):
            render(engine, source)


def test_typed_rendering_keeps_the_value_of_one_expression(engine: Engine) -> None:
    assert engine.render_typed("{{ outputs.reg.items }}", CONTEXT) == [1, 2, 3]
    assert engine.render_typed(" {{ inputs.n > 3 }} ", CONTEXT) is True
    assert engine.render_typed("{{ inputs.blank }}", CONTEXT) is None
    assert engine.render_typed("n={{ inputs.n }}", CONTEXT) == "n=7"
    assert engine.render_typed("{{ 1 }}{{ 2 }}", CONTEXT) == "12"
    assert engine.render_typed("no expression", CONTEXT) == "no expression"


def test_escape_applies_to_printed_values_and_not_to_the_template(engine: Engine) -> None:
    context = {"comment": "<b>bold</b> & co"}
    assert (
        engine.render("<p>{{ comment }}</p>", context, escape=html.escape)
        == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; co</p>"
    )


def test_a_block_shown_again_is_escaped_once_as_it_was_the_first_time(engine: Engine) -> None:
    """`block("x")` gives the template's own text, its values escaped already: printed as
    it is, as Pebble prints a SafeString."""
    source = '{% block "x" %}<i>{{ comment }}</i>{% endblock %} {{ block("x") }}'
    once = "<i>&lt;b&gt; &amp; co</i>"
    assert engine.render(source, {"comment": "<b> & co"}, escape=html.escape) == f"{once} {once}"


def test_a_template_is_parsed_once(engine: Engine) -> None:
    for n in range(5):
        assert render(engine, "{{ inputs.n + x }}", x=n) == str(7 + n)
    info = engine.parse.cache_info()  # type: ignore[attr-defined]
    assert (info.misses, info.hits) == (1, 4)


def test_it_does_not_change_the_callers_context(engine: Engine) -> None:
    context = {"x": 1}
    assert engine.render("{% set x = 2 %}{% set y = 3 %}{{ x }}{{ y }}", context) == "23"
    assert context == {"x": 1}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x' }}" * 20, "The template is longer than 100 characters"),
        (
            "{% for i in 1..19 %}{{ 'abcdefghijabcdefghij' }}{% endfor %}",
            "The output is longer than 200",
        ),
        ("{% for i in 1..30 %}{% endfor %}", "The loops run more than 20 times"),
        (
            "{% set s = 'ab' %}{% for i in 1..9 %}{% set s = s ~ s %}{% endfor %}",
            "A text is longer",
        ),
        ("{{ 1..1000 }}", "range too large"),
        ("{{ render('{{ render(\\'{{ 1 }}\\') }}') }}", "render other templates more than 1 deep"),
    ],
)
def test_limits_stop_a_render_with_a_clear_error(source: str, message: str) -> None:
    limits = Limits(
        max_template=100 if len(source) > 150 else 1000,
        max_output=200,
        max_iterations=20,
        max_items=100,
        max_depth=1,
    )
    engine = Engine(filters=FILTERS, functions=FUNCTIONS, limits=limits)
    with pytest.raises(PebbleError, match=message.replace("(", r"\(")):
        engine.render(source, CONTEXT)


def test_deep_nesting_is_an_error_not_a_crash(engine: Engine) -> None:
    for source in (
        "{{ " + "(" * 500 + "1" + ")" * 500 + " }}",
        "{{ " + " + ".join(["1"] * 500) + " }}",
        "{% if true %}" * 200 + "{% endif %}" * 200,
        "{{ " + "-" * 800 + "1 }}",
    ):
        with pytest.raises(PebbleError, match="nests more than 100 levels deep"):
            engine.render(source, CONTEXT)


def test_a_lenient_render_leaves_out_only_the_broken_parts(engine: Engine) -> None:
    text, errors = engine.render_lenient(
        "Hi {{ inputs.name }}, {{ inputs.nope }}{% if 1 / 0 %}never{% endif %}bye", CONTEXT
    )
    assert text == "Hi Ada, bye"
    assert errors == [
        "Unable to find `nope` used in the expression `Hi {{ inputs.name }}, {{ inputs.nope }}"
        "{% if 1 / 0 %}never{% endif %}bye` at line 1",
        "/ by zero (Hi {{ inputs.name }}, {{ inputs.nope }}{% if 1 / 0 %}never{% endif %}bye)",
    ]


def test_a_lenient_render_of_a_template_that_does_not_parse_keeps_its_text(
    engine: Engine,
) -> None:
    text, errors = engine.render_lenient("Total: {{ (1 }} items{% if %}", CONTEXT)
    assert text == "Total:  items"
    assert len(errors) == 1
    assert 'Unclosed ")"' in errors[0]


def test_a_template_rendered_inside_another_shares_its_loop_budget() -> None:
    limits = Limits(max_iterations=20, max_depth=3)
    engine = Engine(filters=FILTERS, functions=FUNCTIONS, limits=limits)
    inner = "{% for j in 1..5 %}{% endfor %}"
    assert engine.render("{% for i in 1..3 %}{{ render('" + inner + "') }}{% endfor %}", {}) == ""
    with pytest.raises(PebbleError, match="The loops run more than 20 times"):
        engine.render("{% for i in 1..4 %}{{ render('" + inner + "') }}{% endfor %}", {})


KESTRA_COALESCING = {"block": {"test": {"child": "awesome"}}, "inner": "test", "empty": {}}


@pytest.mark.parametrize(
    "source",
    [  # Kestra's NullCoalescingExpressionTest
        "{{ inner.bla ?? block.test.child }}",
        "{{ block.test.child ?? inner.bla }}",
        "{{ block.test.child ?? null }}",
        "{{ block[inner].child ?? null }}",
        "{{ block[missing].child ?? block[inner].child }}",
        "{{ block[missing].child ?? block[missing2].child ?? block[inner].child }}",
        "{{ missing ?? block.test.child }}",
    ],
)
def test_null_coalescing_as_kestra_tests_it(engine: Engine, source: str) -> None:
    assert engine.render(source, KESTRA_COALESCING) == "awesome"


def test_null_coalescing_of_two_missing_names_is_an_error_and_an_empty_map_is_a_value(
    engine: Engine,
) -> None:
    with pytest.raises(PebbleError, match="Unable to find `missing2`"):
        engine.render("{{ missing ?? missing2 }}", KESTRA_COALESCING)
    assert engine.render("{{ empty ?? 'UNDEFINED' }}", KESTRA_COALESCING) == "{}"
