from executions.expressions import render


def test_it_reads_nested_context():
    assert (
        render("{{ outputs.fetch.uri }}", {"outputs": {"fetch": {"uri": "kestra:///x"}}})
        == "kestra:///x"
    )


def test_it_cannot_reach_python_internals():
    text = "{{ inputs.__class__.__mro__ }}"
    assert "object" not in render(text, {"inputs": {}})


def test_it_cannot_call_methods_that_change_data():
    data = {"inputs": {"items": [1]}}
    render("{{ inputs.items.append(2) }}", data)
    assert data["inputs"]["items"] == [1]


def test_a_broken_expression_leaves_the_text_as_written():
    assert render("{{ oops(", {}) == "{{ oops("


def test_markup_mode_escapes_values():
    assert render("{{ v }}", {"v": "<b>"}, markup=True) == "&lt;b&gt;"
    assert render("{{ v }}", {"v": "<b>"}) == "<b>"
