"""Block properties rendered with Kestra's expression language: as Kestra prints values,
never a 500 for a broken expression, and visitors' values shown as text in Markdown."""

from executions.expressions import Rendered, render
from executions.templatetags.portal import markdown


def test_it_reads_nested_context():
    rendered = render("{{ outputs.fetch.uri }}", {"outputs": {"fetch": {"uri": "kestra:///x"}}})
    assert rendered == Rendered("kestra:///x")


def test_a_map_key_named_like_a_python_method_is_the_key():
    context = {"outputs": {"reg": {"values": {"foo": "bar"}}}}
    assert render("{{ outputs.reg.values.foo }}", context).text == "bar"


def test_values_print_as_kestra_prints_them():
    context = {"ok": True, "tags": ["a", "b"], "n": None}
    assert (
        render("{{ ok }} {{ tags }} [{{ n }}] {{ 7 / 2 }}", context).text == 'true ["a","b"] [] 3'
    )


def test_it_cannot_reach_python_internals():
    rendered = render("{{ inputs.__class__.__mro__ }}", {"inputs": {}})
    assert rendered.text == ""
    assert rendered.errors == (
        "Unable to find `__class__` used in the expression `{{ inputs.__class__.__mro__ }}` "
        "at line 1",
    )


def test_it_cannot_call_methods_that_change_data():
    data = {"inputs": {"items": [1]}}
    rendered = render("{{ inputs.items.append(2) }}", data)
    assert data["inputs"]["items"] == [1]
    assert rendered.text == "" and len(rendered.errors) == 1


def test_a_broken_expression_leaves_out_only_the_broken_part():
    rendered = render(
        "Hello {{ inputs.name }}, {{ 'a' * 2 }}{{ 1 / 0 }}bye", {"inputs": {"name": "Ada"}}
    )
    assert rendered.text == "Hello Ada, bye"
    assert [error.split(" (")[0] for error in rendered.errors] == [
        'For input string: "a"',
        "/ by zero",
    ]


def test_a_template_that_does_not_parse_shows_its_text_without_the_expression():
    rendered = render("Total: {{ oops( }} items", {})
    assert rendered.text == "Total:  items"
    assert len(rendered.errors) == 1


def test_markup_mode_escapes_values_and_not_the_template():
    assert render("**{{ v }}**", {"v": "<b>"}, markup=True).text == "**&lt;b&gt;**"
    assert render("{{ v }}", {"v": "<b>"}).text == "<b>"


def test_a_visitors_value_in_markdown_shows_as_text_not_a_link_or_an_image():
    comment = "[click](https://evil.example) ![pixel](https://tracker.example/p.gif) **loud**"
    content = render("Comment: {{ inputs.comment }}", {"inputs": {"comment": comment}}, markup=True)
    html = markdown(content.text)
    assert "<a" not in html and "<img" not in html and "<strong>" not in html
    assert "[click](https://evil.example) ![pixel](https://tracker.example/p.gif) **loud**" in html


def test_the_apps_own_markdown_keeps_its_links():
    content = render("[Docs](https://kestra.io) for {{ name }}", {"name": "Ada"}, markup=True)
    assert '<a href="https://kestra.io" rel="noopener noreferrer">Docs</a> for Ada' in markdown(
        content.text
    )
