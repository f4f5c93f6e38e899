from pathlib import Path

from apps_catalog.definition import parse_app
from executions import layout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "apps"


def _data_request():
    return parse_app((EXAMPLES / "data_request.yml").read_text())


def _context(definition, **execution):
    return layout.expression_context(
        definition=definition, uid="U" * 22, app_url="http://portal/apps/UUU/", execution=execution
    )


def test_running_markdown_names_the_chosen_dataset():
    definition = _data_request()
    blocks = layout.resolve(
        definition, "RUNNING", _context(definition, inputs={"dataset": "stores"})
    )
    assert blocks[0].type == "Markdown"
    assert blocks[0].props["content"] == "## Preparing your stores extract..."


def test_a_value_from_a_user_is_escaped_in_markdown():
    definition = _data_request()
    blocks = layout.resolve(
        definition, "RUNNING", _context(definition, inputs={"dataset": "<script>x</script>"})
    )
    assert "<script>" not in blocks[0].props["content"]
    assert "&lt;script&gt;" in blocks[0].props["content"]


def test_the_button_takes_the_app_url():
    definition = _data_request()
    button = [
        b for b in layout.resolve(definition, "SUCCESS", _context(definition)) if b.type == "Button"
    ]
    assert button[0].props["url"] == "http://portal/apps/UUU/"


def test_a_stage_without_layout_uses_fallback_then_the_built_in_page():
    definition = _data_request()
    assert [b.type for b in layout.blocks_for_stage(definition, "CREATED")][0] == "Markdown"
    assert "PAUSE" not in definition.layout
    assert any(
        b.type == "ResumeExecutionForm" for b in layout.blocks_for_stage(definition, "PAUSE")
    )


def test_fallback_is_used_when_the_app_defines_it():
    definition = parse_app(
        "id: a\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: A\nnamespace: demo\n"
        "flowId: f\nlayout:\n  - on: FALLBACK\n    blocks:\n      - type: Markdown\n"
        "        content: all set\n"
    )
    assert [b.props["content"] for b in layout.blocks_for_stage(definition, "SUCCESS")] == [
        "all set"
    ]


def test_only_http_and_relative_urls_are_followed():
    assert layout.safe_url("https://example.org/x") == "https://example.org/x"
    assert layout.safe_url("/apps/x/") == "/apps/x/"
    assert layout.safe_url("javascript:alert(1)") is None
    assert layout.safe_url("//evil.example/x") is None
    assert layout.safe_url("data:text/html,hi") is None


_REGISTER_APP = """\
id: register
type: io.kestra.plugin.ee.apps.Execution
displayName: Register
namespace: company.team
flowId: register
access:
  type: PUBLIC
layout:
  - on: SUCCESS
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Markdown
        content: "Ticket {{ outputs.reg.values.foo }} for {{ inputs.name }}{{ inputs.nope }}."
      - type: io.kestra.plugin.ee.apps.core.blocks.Button
        text: "Open {{ inputs.name }}"
        url: "https://tickets.example/{{ outputs.reg.nope }}"
"""


def test_a_block_shows_a_task_outputs_values_map_key():
    definition = parse_app(_REGISTER_APP)
    context = layout.expression_context(
        definition=definition,
        uid="U" * 22,
        app_url="http://portal/apps/UUU/",
        execution={"inputs": {"name": "Ada"}},
        task_outputs={"reg": {"values": {"foo": "IT-42"}}},
    )
    (block, button) = layout.resolve(definition, "SUCCESS", context)
    assert block.props["content"] == "Ticket IT\\-42 for Ada."
    assert block.errors == (
        "Unable to find `nope` used in the expression "
        "`Ticket {{ outputs.reg.values.foo }} for {{ inputs.name }}{{ inputs.nope }}.` at line 1",
    )
    # part of an address would lead somewhere else: the button keeps its text, not its link
    assert (button.props["text"], button.props["url"]) == ("Open Ada", None)
    assert len(button.errors) == 1


def test_a_built_in_pages_words_are_translated_and_an_apps_own_words_are_not():
    definition = _data_request()  # its own RUNNING stage; no PAUSE stage: the built-in page
    loud = str.upper  # a stand-in for the reader's gettext

    running = layout.resolve(
        definition, "RUNNING", _context(definition, inputs={"dataset": "stores"}), translate=loud
    )
    pause = layout.resolve(definition, "PAUSE", _context(definition), translate=loud)

    assert running[0].props["content"] == "## Preparing your stores extract..."
    assert pause[0].props["content"] == "THIS REQUEST IS WAITING FOR A DECISION."
    buttons = {b.type: b.props["text"] for b in pause if "text" in b.props}
    assert buttons == {"ResumeExecutionButton": "APPROVE", "CancelExecutionButton": "REJECT"}
