"""Parsing and validating app definitions (apps_catalog.definition and .blocks).

Pure core: no database, no Django. Every rule has an input that breaks it, and the test
asserts the path, the line and what the message says.
"""

from __future__ import annotations

import json
import textwrap
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from apps_catalog import definition
from apps_catalog.blocks import BLOCKS, resolve_block_type
from apps_catalog.definition import (
    APP_TYPE,
    STAGES,
    Access,
    AppDefinition,
    Block,
    DefinitionError,
    Issue,
    default_layout,
    parse_app,
    parse_iso_duration,
    read_documents,
)

EXAMPLE_APPS = Path(__file__).resolve().parents[2] / "examples" / "apps"

# Five lines, so a layout appended to it starts on line 6.
HEADER = """\
id: my_app
type: io.kestra.plugin.ee.apps.Execution
displayName: My app
namespace: demo
flowId: my_flow
"""


def with_blocks(blocks: str, stage: str = "OPEN") -> str:
    """An app whose only stage holds these blocks; the first block starts on line 9."""
    layout = f"layout:\n  - on: {stage}\n    blocks:\n"
    return HEADER + layout + textwrap.indent(textwrap.dedent(blocks), "      ")


def edited(old: str, new: str) -> str:
    assert old in HEADER
    return HEADER.replace(old, new)


def issues_of(source: str) -> list[Issue]:
    with pytest.raises(DefinitionError) as caught:
        parse_app(source)
    return caught.value.issues


def only_issue(source: str) -> Issue:
    issues = issues_of(source)
    assert len(issues) == 1, issues
    return issues[0]


def example(name: str) -> AppDefinition:
    return parse_app((EXAMPLE_APPS / name).read_text())


# -- the example apps ------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLE_APPS.glob("*.yml")), ids=lambda path: path.name)
def test_every_example_app_parses_and_survives_storage(path: Path) -> None:
    definition = parse_app(path.read_text())

    stored = json.loads(json.dumps(definition.to_dict()))
    assert AppDefinition.from_dict(stored) == definition
    # The normalised form is itself a valid app, meaning the same thing.
    assert parse_app(yaml.safe_dump(stored)) == definition


def test_the_examples_are_all_there() -> None:
    assert len(list(EXAMPLE_APPS.glob("*.yml"))) >= 5


def test_data_request_normalised() -> None:
    app = example("data_request.yml")

    assert (app.id, app.namespace, app.flow_id) == ("data_request", "demo", "data_request")
    assert app.display_name == "Request a dataset"
    assert app.description.startswith("Pick a dataset")
    assert app.access == Access(type="PUBLIC", groups=(), catalog=True)
    assert app.tags == ("Reporting", "Analytics")
    assert app.flow_revision is None and app.execution_id is None and app.thumbnail is None
    assert app.disabled is False
    assert app.expiration_start is None and app.expiration_end is None
    assert list(app.layout) == ["OPEN", "RUNNING", "SUCCESS", "FAILURE"]
    assert [block.type for block in app.layout["OPEN"]] == [
        "Markdown",
        "CreateExecutionForm",
        "CreateExecutionButton",
    ]
    button = app.layout["OPEN"][2]
    assert button.props == {"text": "Submit", "style": "SUCCESS", "size": "DEFAULT"}
    cancel = app.layout["RUNNING"][3]
    assert cancel == Block(
        "CancelExecutionButton", {"text": "Cancel request", "style": "DEFAULT", "size": "DEFAULT"}
    )
    assert app.layout["RUNNING"][2] == Block("Logs", {"filter": None})
    alert = app.layout["SUCCESS"][1]
    assert alert.props == {
        "content": "Your data is ready for download.",
        "style": "SUCCESS",
        "showIcon": True,
    }
    link = app.layout["SUCCESS"][3]
    assert link.props == {
        "url": "{{ app.url }}",
        "text": "Request another dataset",
        "style": "DEFAULT",
        "size": "DEFAULT",
    }
    assert app.layout["FAILURE"][1].props == {"filter": {"logLevel": "WARN", "taskIds": None}}


def test_feedback_form_uses_the_scalar_access_and_the_default_layout() -> None:
    app = example("feedback_form.yml")

    assert app.access == Access(type="PUBLIC")
    assert app.layout == default_layout()
    assert app.layout["OPEN"] == (
        Block("CreateExecutionForm", {}),
        Block("CreateExecutionButton", {"text": "Submit", "style": "INFO", "size": "DEFAULT"}),
    )
    assert app.layout["CREATED"] == (
        Block("Markdown", {"content": "Thanks for submitting your request!"}),
    )


def test_it_ticket_uses_bare_block_names() -> None:
    app = example("it_ticket.yml")

    assert app.access == Access(type="PRIVATE")
    assert list(app.layout) == ["OPEN", "SUCCESS", "FALLBACK"]
    assert app.layout["OPEN"][2].props["text"] == "Open ticket"
    assert app.layout["SUCCESS"][2].props == {"filter": {"logLevel": "WARN", "taskIds": ["route"]}}
    assert app.layout["SUCCESS"][0].props["showIcon"] is True
    assert app.layout["FALLBACK"][1] == Block("AutoRefresh", {})


def test_nightly_job_has_stacktrace_redirect_and_error_stage() -> None:
    app = example("nightly_job.yml")

    assert app.access == Access(type="PRIVATE", catalog=True)
    assert app.layout["OPEN"][1].props == {"text": "Run", "style": "WARNING", "size": "LARGE"}
    stacktrace, logs, redirect = app.layout["FAILURE"]
    assert stacktrace.props == {
        "message": "The job failed",
        "content": "State: {{ execution.state }}",
    }
    assert logs.props == {"filter": {"logLevel": "ERROR", "taskIds": None}}
    assert redirect.props == {"url": "{{ app.url }}", "delay": "PT30S"}
    assert app.layout["ERROR"][0].props["style"] == "ERROR"


def test_vacation_approval_has_groups_filters_and_task_outputs() -> None:
    app = example("vacation_approval.yml")

    assert app.access == Access(type="PRIVATE", groups=("HR",), catalog=True)
    markdown, inputs, task_outputs, form, approve, reject = app.layout["PAUSE"]
    assert inputs.props == {"filter": {"include": None, "exclude": ["reason"]}}
    assert task_outputs.props == {
        "outputs": [
            {
                "displayName": "Request summary",
                "type": "FILE",
                "value": "{{ outputs.summary.uri }}",
                "description": None,
            }
        ]
    }
    assert form == Block("ResumeExecutionForm", {})
    assert approve.props == {"text": "Approve", "style": "SUCCESS", "size": "DEFAULT"}
    assert reject.props == {"text": "Reject", "style": "DANGER", "size": "DEFAULT"}


# -- accepted forms ----------------------------------------------------------------------


def test_a_minimal_app_gets_every_default() -> None:
    app = parse_app(HEADER)

    assert app == AppDefinition(
        id="my_app",
        display_name="My app",
        namespace="demo",
        flow_id="my_flow",
        layout=default_layout(),
    )
    assert app.access == Access(type="PRIVATE", groups=(), catalog=True)


def test_every_optional_top_level_key_is_read() -> None:
    source = HEADER + textwrap.dedent("""\
        flowRevision: 3
        executionId: RlLf9YLa9PUka7zlFlK1X
        description: "**Markdown** here"
        access: {type: PRIVATE, groups: [HR, Admins, HR], catalog: false}
        tags: [a, b, a]
        thumbnail: nsfiles:///icon.svg
        disabled: true
        expiration:
          startDate: 2025-06-01T08:00:00+02:00
          endDate: 2025-06-30T18:00:00Z
        layout: []
    """)

    app = parse_app(source)

    assert app.flow_revision == 3
    assert app.execution_id == "RlLf9YLa9PUka7zlFlK1X"
    assert app.description == "**Markdown** here"
    assert app.access == Access(type="PRIVATE", groups=("HR", "Admins"), catalog=False)
    assert app.tags == ("a", "b")  # duplicates dropped, order kept
    assert app.thumbnail == "nsfiles:///icon.svg"
    assert app.disabled is True
    assert app.expiration_start == datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    assert app.expiration_start.utcoffset() == timedelta(hours=2)
    assert app.expiration_end == datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
    assert app.layout == {}  # an explicit empty layout is not the default one
    assert AppDefinition.from_dict(json.loads(json.dumps(app.to_dict()))) == app


def test_to_dict_is_kestra_shaped_json() -> None:
    source = HEADER + "expiration: {endDate: '2030-01-01T00:00:00'}\n"

    data = parse_app(source).to_dict()

    assert data["type"] == APP_TYPE
    assert data["displayName"] == "My app"
    assert data["access"] == {"type": "PRIVATE", "groups": [], "catalog": True}
    assert data["expiration"] == {"startDate": None, "endDate": "2030-01-01T00:00:00+00:00"}
    assert data["layout"][0] == {
        "on": "OPEN",
        "blocks": [
            {"type": "CreateExecutionForm"},
            {"type": "CreateExecutionButton", "text": "Submit", "style": "INFO", "size": "DEFAULT"},
        ],
    }
    assert json.loads(json.dumps(data)) == data


def test_a_date_time_without_offset_is_utc() -> None:
    app = parse_app(HEADER + "expiration: {startDate: '2025-01-01 09:30'}\n")

    assert app.expiration_start == datetime(2025, 1, 1, 9, 30, tzinfo=UTC)
    assert app.expiration_end is None


@pytest.mark.parametrize(
    "offset", ["+05:30", "+0530", "-01:00", "Z"], ids=["colon", "compact", "negative", "zulu"]
)
def test_date_time_offsets(offset: str) -> None:
    app = parse_app(HEADER + f"expiration: {{startDate: 2025-01-01T12:00:00{offset}}}\n")

    assert app.expiration_start is not None
    assert app.expiration_start.tzinfo is not None


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_block_type_is_accepted_in_every_spelling(name: str) -> None:
    spec = BLOCKS[name]
    package = spec.package
    for spelling in (name, f"{package}.{name}"):
        assert resolve_block_type(spelling) == name
    required = {prop: "x" for prop, rule in spec.props.items() if rule.required}
    if name == "TaskOutputs":
        required = {"outputs": [{"displayName": "d", "type": "STRING", "value": 1}]}
    block = {"type": f"{package}.{name}", **required}

    app = parse_app(HEADER + yaml.safe_dump({"layout": [{"on": "OPEN", "blocks": [block]}]}))

    parsed = app.layout["OPEN"][0]
    assert parsed.type == name
    assert set(parsed.props) == set(spec.props)  # every property present, defaults filled


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("io.kestra.ee.apps.blocks.Markdown", "Markdown"),
        ("io.kestra.ee.apps.blocks.Alert", "Alert"),
        ("io.kestra.ee.apps.blocks.Button", "Button"),
        ("io.kestra.ee.apps.blocks.Loading", "Loading"),
        ("io.kestra.ee.apps.blocks.AutoRefresh", "AutoRefresh"),
        ("io.kestra.plugin.ee.apps.blocks.RedirectTo", "RedirectTo"),
        ("io.kestra.plugin.ee.apps.core.blocks.Divider", "Divider"),
        ("io.kestra.plugin.ee.apps.execution.blocks.TaskOutputs", "TaskOutputs"),
    ],
)
def test_legacy_and_full_block_names_resolve(spelling: str, name: str) -> None:
    assert resolve_block_type(spelling) == name


@pytest.mark.parametrize(
    "spelling",
    [
        "markdown",  # class names are case-sensitive
        "io.kestra.plugin.ee.apps.core.blocks.Logs",  # an execution block in the core package
        "io.kestra.plugin.ee.apps.execution.blocks.Markdown",
        "io.kestra.ee.apps.blocks.Logs",  # no legacy name for execution blocks
        "Chart",
        "",
    ],
)
def test_unknown_block_names_do_not_resolve(spelling: str) -> None:
    assert resolve_block_type(spelling) is None


KESTRA_DEFAULT_LAYOUT = """\
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Submit
        style: INFO
        size: DEFAULT
      - type: io.kestra.plugin.ee.apps.execution.blocks.internal.Route
  - on: CREATED
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Markdown
        content: "Thanks for submitting your request!"
      - type: io.kestra.plugin.ee.apps.execution.blocks.internal.Route
"""


def test_kestra_documented_default_layout_with_its_internal_route_block_imports() -> None:
    app = parse_app(HEADER + KESTRA_DEFAULT_LAYOUT)
    assert [b.type for b in app.layout["OPEN"]] == [
        "CreateExecutionForm",
        "CreateExecutionButton",
        "Route",
    ]
    assert [b.type for b in app.layout["CREATED"]] == ["Markdown", "Route"]


DOCUMENTED_APP = Path(__file__).with_name("kestra_documented_app.yml")


def test_an_app_using_everything_kestra_documents_parses_with_every_value_kept() -> None:
    source = DOCUMENTED_APP.read_text()
    written = yaml.safe_load(source)

    app = parse_app(source)

    assert tuple(app.layout) == STAGES
    blocks = [block for stage in written["layout"] for block in stage["blocks"]]
    parsed = [block for stage in app.layout.values() for block in stage]
    assert {block.type for block in parsed} == set(BLOCKS)  # a new block joins the file
    for raw, block in zip(blocks, parsed, strict=True):
        assert resolve_block_type(raw["type"]) == block.type
        assert block.props == {k: v for k, v in raw.items() if k != "type"}, block.type
    assert AppDefinition.from_dict(json.loads(json.dumps(app.to_dict()))) == app
    assert (app.flow_revision, app.execution_id, app.thumbnail) == (
        2,
        "5CS8qsm7YTif4PWuAUWHQ5",
        "nsfiles:///kestra-icon.svg",
    )
    assert app.access == Access(type="PRIVATE", groups=("Admins",), catalog=True)


def test_a_button_may_be_medium_sized_as_kestra_documents() -> None:
    app = parse_app(with_blocks("- type: CreateExecutionButton\n  size: MEDIUM\n"))
    assert app.layout["OPEN"][0].props["size"] == "MEDIUM"


def test_a_block_with_only_its_type_gets_its_defaults() -> None:
    app = parse_app(
        with_blocks("""\
            - type: CreateExecutionButton
            - type: CancelExecutionButton
            - type: ResumeExecutionButton
            - type: Alert
            - type: Button
              url: https://example.com
        """)
    )

    assert [block.props for block in app.layout["OPEN"]] == [
        {"text": "Execute", "style": "DEFAULT", "size": "DEFAULT"},
        {"text": "Cancel", "style": "DEFAULT", "size": "DEFAULT"},
        {"text": "Resume", "style": "DEFAULT", "size": "DEFAULT"},
        {"content": None, "style": "INFO", "showIcon": False},
        {"url": "https://example.com", "text": "Submit", "style": "DEFAULT", "size": "DEFAULT"},
    ]


def test_table_rows_and_task_output_values_are_free_form_data() -> None:
    app = parse_app(
        with_blocks("""\
            - type: Table
              data:
                - {name: Ada, age: 36, admin: true, 1: one}
                - {name: Bob, tags: [x, y], extra: ~}
            - type: TaskOutputs
              outputs:
                - displayName: Totals
                  type: JSON
                  value: {count: 3, ratio: 0.5}
                  description: From the sum task
        """)
    )

    table, task_outputs = app.layout["OPEN"]
    assert table.props["data"] == [
        {"name": "Ada", "age": 36, "admin": True, "1": "one"},
        {"name": "Bob", "tags": ["x", "y"], "extra": None},
    ]
    assert task_outputs.props["outputs"][0]["value"] == {"count": 3, "ratio": 0.5}
    assert task_outputs.props["outputs"][0]["description"] == "From the sum task"


def test_scalars_follow_yaml_1_2_not_yaml_1_1() -> None:
    # YAML 1.1 (PyYAML's default) reads on/yes/no as booleans and dates as dates.
    source = (
        with_blocks("""\
        - type: Markdown
          content: yes
        - type: CreateExecutionButton
          text: no
        - type: Image
          url: 2024-01-01
          alt: 1_000
    """)
        + "tags: [on, Off]\n"
    )

    app = parse_app(source)

    markdown, button, image = app.layout["OPEN"]
    assert markdown.props["content"] == "yes"
    assert button.props["text"] == "no"
    assert image.props == {"url": "2024-01-01", "alt": "1_000"}
    assert app.tags == ("on", "Off")


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("0o17", "the integer 0o17"),
        ("0x1F", "the integer 0x1F"),
        ("-12", "the integer -12"),
        ("1.5e3", "the number 1.5e3"),
        (".inf", "the number .inf"),
        ("True", "the boolean True"),
        ("FALSE", "the boolean FALSE"),
    ],
)
def test_yaml_1_2_typed_scalars_are_not_text(value: str, described: str) -> None:
    issue = only_issue(with_blocks(f"- {{type: Image, alt: {value}}}"))

    assert issue.path == "layout[0].blocks[0].alt"
    assert issue.message.startswith(f"must be a string, got {described}")


def test_null_values_count_as_absent() -> None:
    source = HEADER + "description:\ntags:\naccess:\nlayout:\n"

    app = parse_app(source)

    assert app.description == ""
    assert app.tags == ()
    assert app.access == Access()
    assert app.layout == default_layout()


def test_null_block_property_takes_its_default() -> None:
    app = parse_app(with_blocks("- type: CreateExecutionButton\n  text:\n  style: ~\n"))

    assert app.layout["OPEN"][0].props == {"text": "Execute", "style": "DEFAULT", "size": "DEFAULT"}


def test_anchors_and_aliases_within_limits_are_fine() -> None:
    source = HEADER + textwrap.dedent("""\
        layout:
          - on: SUCCESS
            blocks: &done
              - type: Markdown
                content: Done
              - type: Button
                url: "{{ app.url }}"
          - on: FAILURE
            blocks: *done
    """)

    app = parse_app(source)

    assert app.layout["SUCCESS"] == app.layout["FAILURE"]
    assert len(app.layout["FAILURE"]) == 2


def test_explicit_core_tags_are_fine() -> None:
    app = parse_app(HEADER + "flowRevision: !!int '7'\ntags: [!!str 12]\n")

    assert app.flow_revision == 7
    assert app.tags == ("12",)


# -- top-level rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "path", "line", "message"),
    [
        (edited("id: my_app\n", ""), "id", 1, "is required"),
        (edited("type: io.kestra.plugin.ee.apps.Execution\n", ""), "type", 1, "is required"),
        (edited("displayName: My app\n", ""), "displayName", 1, "is required"),
        (edited("namespace: demo\n", ""), "namespace", 1, "is required"),
        (edited("flowId: my_flow\n", ""), "flowId", 1, "is required"),
        (edited("id: my_app", "id: my.app"), "id", 1, "must match [a-zA-Z0-9][a-zA-Z0-9_-]*"),
        (edited("id: my_app", "id: _app"), "id", 1, "got '_app'"),
        (edited("id: my_app", "id: " + "a" * 101), "id", 1, "at most 100 characters"),
        (edited("id: my_app", "id: 42"), "id", 1, "must be a string, got the integer 42"),
        (
            edited(
                "type: io.kestra.plugin.ee.apps.Execution", "type: io.kestra.plugin.ee.apps.Form"
            ),
            "type",
            2,
            "must be io.kestra.plugin.ee.apps.Execution",
        ),
        (edited("displayName: My app", "displayName: ''"), "displayName", 3, "must not be empty"),
        (
            edited("displayName: My app", "displayName: " + "x" * 151),
            "displayName",
            3,
            "at most 150 characters",
        ),
        (
            edited("displayName: My app", "displayName: true"),
            "displayName",
            3,
            "must be a string, got the boolean true (put it in quotes",
        ),
        (edited("namespace: demo", "namespace: Demo"), "namespace", 4, "[a-z0-9][a-z0-9._-]*"),
        (edited("namespace: demo", "namespace: " + "a" * 151), "namespace", 4, "at most 150"),
        (edited("flowId: my_flow", "flowId: my flow"), "flowId", 5, "got 'my flow'"),
        (edited("flowId: my_flow", "flowId: " + "f" * 101), "flowId", 5, "at most 100"),
        (HEADER + "flowRevision: 0\n", "flowRevision", 6, "from 1 to 2147483647, got 0"),
        (HEADER + "flowRevision: '3'\n", "flowRevision", 6, "must be an integer, got the string"),
        (HEADER + "flowRevision: 2.5\n", "flowRevision", 6, "must be an integer, got the number"),
        (HEADER + "flowRevision: true\n", "flowRevision", 6, "must be an integer, got the boolean"),
        (HEADER + "executionId: ' '\n", "executionId", 6, "must not be empty"),
        (HEADER + "description: [a]\n", "description", 6, "must be a string, got a list"),
        (HEADER + "thumbnail: 3\n", "thumbnail", 6, "must be a string"),
        (HEADER + "disabled: 'no'\n", "disabled", 6, "must be a boolean, got the string 'no'"),
        (HEADER + "disabled: no\n", "disabled", 6, "must be a boolean"),
        (HEADER + "tags: Reporting\n", "tags", 6, "must be a list, got the string"),
        (HEADER + "tags:\n  - a\n  - 5\n", "tags[1]", 8, "must be a string, got the integer 5"),
        (HEADER + "tags: ['']\n", "tags[0]", 6, "must not be empty"),
        (HEADER + "tags: [" + "t" * 101 + "]\n", "tags[0]", 6, "at most 100"),
        (HEADER + "colour: red\n", "colour", 6, "is not a known property; expected one of id"),
        (HEADER + "flowid: x\n", "flowid", 6, "did you mean flowId?"),
        (HEADER + "id: again\n", "id", 6, "is defined twice"),
    ],
)
def test_top_level_rules(source: str, path: str, line: int, message: str) -> None:
    issue = only_issue(source)

    assert (issue.path, issue.line) == (path, line)
    assert message in issue.message


@pytest.mark.parametrize(
    ("access", "path", "line", "message"),
    [
        ("access: public", "access", 6, "must be one of PUBLIC, PRIVATE, got 'public'"),
        ("access: true", "access", 6, "must be a string, got the boolean true"),
        ("access: [PUBLIC]", "access", 6, "must be a mapping, got a list"),
        ("access: {type: OPEN}", "access.type", 6, "must be one of PUBLIC, PRIVATE, got 'OPEN'"),
        ("access:\n  groups: HR", "access.groups", 7, "must be a list"),
        ("access:\n  groups: [HR, {a: b}]", "access.groups[1]", 7, "got a mapping"),
        ("access:\n  catalog: 'yes'", "access.catalog", 7, "must be a boolean"),
        ("access:\n  type: PUBLIC\n  public: true", "access.public", 8, "expected one of type"),
    ],
)
def test_access_rules(access: str, path: str, line: int, message: str) -> None:
    issue = only_issue(HEADER + access + "\n")

    assert (issue.path, issue.line) == (path, line)
    assert message in issue.message


@pytest.mark.parametrize(
    ("expiration", "path", "line", "message"),
    [
        ("expiration: 2025-01-01", "expiration", 6, "must be a mapping"),
        (
            "expiration:\n  startDate: 2025-02-01T00:00:00Z\n  endDate: 2025-01-01T00:00:00Z",
            "expiration.endDate",
            8,
            "must be after startDate (2025-02-01T00:00:00+00:00)",
        ),
        (
            "expiration:\n  startDate: 2025-01-01T00:00:00Z\n  endDate: 2025-01-01T00:00:00Z",
            "expiration.endDate",
            8,
            "must be after startDate",
        ),
        ("expiration:\n  startDate: 2025-01-01", "expiration.startDate", 7, "ISO-8601 date-time"),
        ("expiration:\n  endDate: tomorrow", "expiration.endDate", 7, "got 'tomorrow'"),
        ("expiration:\n  endDate: 2025-02-30T00:00:00Z", "expiration.endDate", 7, "ISO-8601"),
        ("expiration:\n  endDate: 1735689600", "expiration.endDate", 7, "must be a string"),
        ("expiration:\n  start: 2025-01-01T00:00:00Z", "expiration.start", 7, "did you mean"),
    ],
)
def test_expiration_rules(expiration: str, path: str, line: int, message: str) -> None:
    issue = only_issue(HEADER + expiration + "\n")

    assert (issue.path, issue.line) == (path, line)
    assert message in issue.message


# -- layout rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "path", "line", "message"),
    [
        ("layout: {on: OPEN}", "layout", 6, "must be a list, got a mapping"),
        ("layout:\n  - OPEN", "layout[0]", 7, "must be a mapping, got the string 'OPEN'"),
        ("layout:\n  - blocks: []", "layout[0].on", 7, "is required"),
        ("layout:\n  - on: OPEN", "layout[0].blocks", 7, "is required"),
        (
            "layout:\n  - on: open\n    blocks: []",
            "layout[0].on",
            7,
            "(values are upper case: OPEN)",
        ),
        (
            "layout:\n  - on: DONE\n    blocks: []",
            "layout[0].on",
            7,
            "must be one of OPEN, CREATED",
        ),
        ("layout:\n  - on: OPEN\n    blocks: Markdown", "layout[0].blocks", 8, "must be a list"),
        (
            "layout:\n  - on: OPEN\n    blocks: []\n    style: x",
            "layout[0].style",
            9,
            "is not a known property; expected one of on, blocks",
        ),
        (
            "layout:\n  - on: OPEN\n    blocks: []\n  - on: RUNNING\n    blocks: []\n"
            "  - on: OPEN\n    blocks: []",
            "layout[2].on",
            11,
            "stage OPEN is already defined on line 7",
        ),
    ],
)
def test_layout_rules(layout: str, path: str, line: int, message: str) -> None:
    issue = only_issue(HEADER + layout + "\n")

    assert (issue.path, issue.line) == (path, line)
    assert message in issue.message


def test_every_stage_is_accepted() -> None:
    layout = "".join(f"  - on: {stage}\n    blocks: []\n" for stage in STAGES)

    app = parse_app(HEADER + "layout:\n" + layout)

    assert tuple(app.layout) == STAGES


@pytest.mark.parametrize(
    ("blocks", "path", "line", "message"),
    [
        ("- Markdown", "layout[0].blocks[0]", 9, "must be a mapping with a type"),
        ("- content: hi", "layout[0].blocks[0].type", 9, "is required"),
        ("- type: ~\n  content: hi", "layout[0].blocks[0].type", 9, "is required"),
        ("- type: 3", "layout[0].blocks[0].type", 9, "must be a string, got the integer 3"),
        ("- type: Chart", "layout[0].blocks[0].type", 9, "unknown block type 'Chart'"),
        (
            "- type: Chart",
            "layout[0].blocks[0].type",
            9,
            "io.kestra.plugin.ee.apps.core.blocks.<Name> for core blocks, "
            "io.kestra.plugin.ee.apps.execution.blocks.<Name> for execution blocks",
        ),
        ("- type: Markdwn", "layout[0].blocks[0].type", 9, "(did you mean Markdown?)"),
        (
            "- type: io.kestra.plugin.ee.apps.core.blocks.Logs",
            "layout[0].blocks[0].type",
            9,
            "did you mean io.kestra.plugin.ee.apps.execution.blocks.Logs?",
        ),
        ("- type: Markdown\n  text: hi", "layout[0].blocks[0].text", 10, "expected one of"),
        ("- type: Divider\n  size: LARGE", "layout[0].blocks[0].size", 10, "takes none"),
        ("- type: Markdown\n  content: 12", "layout[0].blocks[0].content", 10, "must be a string"),
        ("- type: Markdown\n  type: Alert", "layout[0].blocks[0].type", 10, "is defined twice"),
        # Alert
        (
            "- type: Alert\n  style: PINK",
            "layout[0].blocks[0].style",
            10,
            "must be one of SUCCESS, INFO, WARNING, ERROR, got 'PINK'",
        ),
        (
            "- type: Alert\n  style: success",
            "layout[0].blocks[0].style",
            10,
            "values are upper case: SUCCESS",
        ),
        (
            "- type: Alert\n  showIcon: 'true'",
            "layout[0].blocks[0].showIcon",
            10,
            "must be a boolean, got the string 'true'",
        ),
        # Button
        ("- type: Button\n  text: Go", "layout[0].blocks[0].url", 9, "is required"),
        (
            "- type: Button\n  url: x\n  style: PRIMARY",
            "layout[0].blocks[0].style",
            11,
            "must be one of DEFAULT, SUCCESS, INFO, WARNING, DANGER, got 'PRIMARY'",
        ),
        (
            "- type: Button\n  url: x\n  size: HUGE",
            "layout[0].blocks[0].size",
            11,
            "must be one of DEFAULT, MEDIUM, LARGE, SMALL, got 'HUGE'",
        ),
        # execution buttons
        (
            "- type: CreateExecutionButton\n  style: ERROR",
            "layout[0].blocks[0].style",
            10,
            "must be one of DEFAULT, SUCCESS, INFO, WARNING, DANGER",
        ),
        (
            "- type: CancelExecutionButton\n  size: small",
            "layout[0].blocks[0].size",
            10,
            "values are upper case: SMALL",
        ),
        (
            "- type: ResumeExecutionButton\n  text: [Approve]",
            "layout[0].blocks[0].text",
            10,
            "must be a string, got a list",
        ),
        # RedirectTo
        (
            "- type: RedirectTo\n  delay: 30s",
            "layout[0].blocks[0].delay",
            10,
            "must be an ISO-8601 duration such as PT30S",
        ),
        ("- type: RedirectTo\n  delay: P1W", "layout[0].blocks[0].delay", 10, "got 'P1W'"),
        (
            "- type: RedirectTo\n  delay: 30",
            "layout[0].blocks[0].delay",
            10,
            "must be a string, got the integer 30",
        ),
        # filters
        ("- type: Inputs\n  filter: [a]", "layout[0].blocks[0].filter", 10, "must be a mapping"),
        (
            "- type: Inputs\n  filter: {include: a}",
            "layout[0].blocks[0].filter.include",
            10,
            "must be a list, got the string 'a'",
        ),
        (
            "- type: Outputs\n  filter: {exclude: [1]}",
            "layout[0].blocks[0].filter.exclude[0]",
            10,
            "must be a string, got the integer 1",
        ),
        (
            "- type: Outputs\n  filter: {only: [a]}",
            "layout[0].blocks[0].filter.only",
            10,
            "expected one of include, exclude",
        ),
        (
            "- type: Logs\n  filter:\n    logLevel: WARNING",
            "layout[0].blocks[0].filter.logLevel",
            11,
            "must be one of ERROR, WARN, INFO, DEBUG, TRACE, got 'WARNING'",
        ),
        (
            "- type: Logs\n  filter:\n    taskIds: fetch",
            "layout[0].blocks[0].filter.taskIds",
            11,
            "must be a list",
        ),
        (
            "- type: Logs\n  filter:\n    include: [a]",
            "layout[0].blocks[0].filter.include",
            11,
            "expected one of logLevel, taskIds",
        ),
        # TaskOutputs
        ("- type: TaskOutputs", "layout[0].blocks[0].outputs", 9, "is required"),
        (
            "- type: TaskOutputs\n  outputs: {a: b}",
            "layout[0].blocks[0].outputs",
            10,
            "must be a list",
        ),
        (
            "- type: TaskOutputs\n  outputs:\n    - type: FILE\n      value: x",
            "layout[0].blocks[0].outputs[0].displayName",
            11,
            "is required",
        ),
        (
            "- type: TaskOutputs\n  outputs:\n    - displayName: a\n      value: x",
            "layout[0].blocks[0].outputs[0].type",
            11,
            "is required",
        ),
        (
            "- type: TaskOutputs\n  outputs:\n    - displayName: a\n      type: FILE",
            "layout[0].blocks[0].outputs[0].value",
            11,
            "is required",
        ),
        (
            "- type: TaskOutputs\n  outputs:\n    - {displayName: a, type: PDF, value: x}",
            "layout[0].blocks[0].outputs[0].type",
            11,
            "must be one of STRING, ENUM",
        ),
        (
            "- type: TaskOutputs\n  outputs:\n    - {displayName: a, type: FILE, value: x, y: 1}",
            "layout[0].blocks[0].outputs[0].y",
            11,
            "expected one of displayName, type, value",
        ),
        # Table
        ("- type: Table\n  data: {a: 1}", "layout[0].blocks[0].data", 10, "must be a list"),
        (
            "- type: Table\n  data: [1]",
            "layout[0].blocks[0].data[0]",
            10,
            "must be a mapping, got the integer 1",
        ),
        (
            "- type: Table\n  data:\n    - {a: 1, a: 2}",
            "layout[0].blocks[0].data[0].a",
            11,
            "is defined twice",
        ),
        (
            "- type: Table\n  data:\n    - {a: .inf}",
            "layout[0].blocks[0].data[0].a",
            11,
            "infinite and NaN numbers are not supported",
        ),
        (
            "- type: Table\n  data:\n    - {[a]: 1}",
            "layout[0].blocks[0].data[0]",
            11,
            "keys must be text, got a list",
        ),
    ],
)
def test_block_rules(blocks: str, path: str, line: int, message: str) -> None:
    issue = only_issue(with_blocks(blocks))

    assert (issue.path, issue.line) == (path, line)
    assert message in issue.message


# -- every issue at once -------------------------------------------------------------------


def test_every_issue_is_reported_at_once_in_line_order() -> None:
    source = textwrap.dedent("""\
        id: bad id
        type: io.kestra.plugin.ee.apps.Execution
        displayName: Fine
        namespace: Demo
        tags: yes
        layout:
          - on: OPEN
            blocks:
              - type: Alert
                style: PINK
              - type: Buton
              - type: Button
          - on: OPEN
            blocks: []
    """)

    with pytest.raises(DefinitionError) as caught:
        parse_app(source)

    issues = caught.value.issues
    assert [(issue.line, issue.path) for issue in issues] == [
        (1, "flowId"),
        (1, "id"),
        (4, "namespace"),
        (5, "tags"),
        (10, "layout[0].blocks[0].style"),
        (11, "layout[0].blocks[1].type"),
        (12, "layout[0].blocks[2].url"),
        (13, "layout[1].on"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == len(issues)
    assert lines[4] == (
        "line 10: layout[0].blocks[0].style: "
        "must be one of SUCCESS, INFO, WARNING, ERROR, got 'PINK'"
    )


def test_issue_and_error_text() -> None:
    assert str(Issue("a.b", 3, "is required")) == "line 3: a.b: is required"
    assert str(Issue("", 1, "bad")) == "line 1: bad"
    assert str(Issue("", None, "the document is empty")) == "the document is empty"
    error = DefinitionError([Issue("b", 9, "two"), Issue("a", 2, "one")])
    assert isinstance(error, ValueError)
    assert str(error) == "line 2: a: one\nline 9: b: two"


# -- the document itself and safety ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("", None, "the document is empty"),
        ("# only a comment\n", None, "the document is empty"),
        ("---\n", None, "the document is empty"),
        ("- id: x\n", 1, "an app definition must be a mapping, got a list"),
        ("just text\n", 1, "an app definition must be a mapping, got the string 'just text'"),
        ("id: a\n  b: c\n", 2, "invalid YAML: mapping values are not allowed here"),
        ("id: [a, b\n", 2, "invalid YAML"),
        ('id: "open\n', 2, "invalid YAML"),
        ("id: a\n\tb: 1\n", 2, "invalid YAML"),
        (HEADER + "---\n" + HEADER, 6, "found a second document (after ---)"),
        ("id: \x07\n", 1, "invalid YAML"),
    ],
)
def test_document_level_errors(source: str, line: int | None, message: str) -> None:
    issue = only_issue(source)

    assert (issue.path, issue.line) == ("", line)
    assert message in issue.message


def test_a_document_over_one_megabyte_is_refused_before_parsing() -> None:
    source = HEADER + "description: '" + "x" * (1024 * 1024) + "'\n"

    issue = only_issue(source)

    assert issue == Issue("", None, "the document is larger than 1 MB")


def test_multibyte_characters_count_in_bytes() -> None:
    source = HEADER + "description: '" + "é" * (600 * 1024) + "'\n"  # 600k chars, 1.2 MB

    assert only_issue(source).message == "the document is larger than 1 MB"


def test_deep_nesting_is_refused_fast() -> None:
    started = time.monotonic()

    issue = only_issue("a: " + "[" * 200_000)

    assert time.monotonic() - started < 2
    assert issue.line == 1
    assert "more than 50 levels deep" in issue.message


def test_nesting_at_the_limit_is_parsed() -> None:
    value = "[" * 49 + "1" + "]" * 49  # 49 lists inside the top-level mapping: 50 levels

    issue = only_issue(HEADER + f"description: {value}\n")

    assert issue.path == "description"  # validation ran: a list is not a string


def test_nesting_through_aliases_is_refused() -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 60)]

    issue = only_issue("\n".join(lines) + "\n")

    assert "aliases nest lists and mappings more than 50 levels deep" in issue.message


def test_a_billion_laughs_is_refused_fast() -> None:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        aliases = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    started = time.monotonic()

    issue = only_issue("\n".join(lines) + "\n")

    assert time.monotonic() - started < 1
    assert "aliases expand the document by more than 100000 nodes" in issue.message
    assert issue.line is not None


def test_a_long_string_repeated_by_aliases_is_refused_by_its_expanded_size() -> None:
    """58 KB of YAML used to become a 100 MB definition: few nodes, each a long string."""
    lines = [f"text: &text '{'A' * 50_000}'", "more:"]
    lines += ["  - *text" for _ in range(100)]
    source = "\n".join(lines) + "\n"
    assert len(source) < 60_000

    issue = only_issue(source)

    assert issue.message == "aliases expand the document to more than 4 MB"
    assert issue.line is not None


def test_a_big_document_without_aliases_is_not_a_bomb(monkeypatch: pytest.MonkeyPatch) -> None:
    # A smaller allowance keeps the test fast; the document has 5x more nodes than it.
    monkeypatch.setattr(definition, "MAX_ALIAS_EXPANSION", 500)
    rows = "".join(f"          - {{n: {i}, a: x, b: y}}\n" for i in range(400))  # 2,800 nodes
    source = with_blocks("- type: Table\n  data:\n") + rows

    app = parse_app(source)

    assert len(app.layout["OPEN"][0].props["data"]) == 400


def test_a_recursive_alias_is_refused() -> None:
    issue = only_issue(HEADER + "description: &loop [*loop]\n")

    assert issue == Issue("", 6, "an alias refers to a node that contains it")


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system ['echo hi']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!timestamp 2025-01-01", "!!timestamp"),
        ("!!set {a, b}", "!!set"),
        ("!custom x", "!custom"),
    ],
)
def test_tags_beyond_yaml_core_are_refused(value: str, tag: str) -> None:
    issue = only_issue(HEADER + f"description: {value}\n")

    assert issue == Issue("", 6, f"the YAML tag {tag} is not supported")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", "'abc' is not a valid integer"),
        ("!!bool maybe", "'maybe' is not a valid boolean"),
        ("!!float x", "'x' is not a valid number"),
        ("!!null x", "'x' is not a valid null"),
    ],
)
def test_explicit_tags_must_fit_their_value(value: str, message: str) -> None:
    issue = only_issue(HEADER + f"flowRevision: {value}\n")

    assert issue == Issue("", 6, message)


def test_merge_keys_are_not_yaml_1_2_and_are_refused() -> None:
    source = HEADER + "access: &a {type: PUBLIC}\nexpiration:\n  <<: *a\n"

    issue = only_issue(source)

    assert (issue.path, issue.line) == ("expiration.<<", 8)


# -- several documents -------------------------------------------------------------------


def test_read_documents_returns_one_entry_per_document() -> None:
    second = edited("id: my_app", "id: second")
    broken = "id: [unclosed\n"
    invalid = edited("namespace: demo", "namespace: Demo")
    source = "\n".join(["---", HEADER, "---", broken, "---", second, "--- # last", invalid, "---"])

    documents = read_documents(source)

    assert len(documents) == 4  # the empty document after the last --- is not an app
    # Each app's own text, as an import stores it: the "---" goes, a comment after it stays.
    texts = [text.rstrip("\n") for text, _ in documents]
    expected = (HEADER, broken, second, "# last\n" + invalid)
    assert texts == [text.rstrip("\n") for text in expected]
    first, syntax, ok, bad = [result for _, result in documents]
    assert isinstance(first, AppDefinition) and first.id == "my_app"
    assert isinstance(syntax, DefinitionError)
    # Lines are those of the whole stream: the flow list opened on line 9 is never closed.
    assert syntax.issues[0].line == 11
    assert "(while parsing a flow sequence on line 9)" in syntax.issues[0].message
    assert isinstance(ok, AppDefinition) and ok.id == "second"
    assert isinstance(bad, DefinitionError)
    assert [(issue.path, issue.line) for issue in bad.issues] == [("namespace", 22)]


def test_read_documents_of_a_single_document_without_marker() -> None:
    documents = read_documents(HEADER)

    assert documents == [(HEADER, parse_app(HEADER))]


def test_read_documents_handles_markers_with_content_and_windows_newlines() -> None:
    source = (
        "--- "
        + "{id: a, type: "
        + APP_TYPE
        + ", displayName: A, namespace: n, flowId: f}\n"
        + "---\r\n"
        + HEADER.replace("\n", "\r\n")
    )

    documents = read_documents(source)

    ids = [result.id for _, result in documents if isinstance(result, AppDefinition)]
    assert ids == ["a", "my_app"]


def test_read_documents_of_nothing_is_empty() -> None:
    assert read_documents("") == []
    assert read_documents("# nothing\n---\n") == []


def test_read_documents_limits_each_document_and_the_whole() -> None:
    big = HEADER + "description: '" + "x" * (1024 * 1024) + "'\n"

    small_then_big = [result for _, result in read_documents(HEADER + "---\n" + big)]
    huge = [result for _, result in read_documents("x" * (17 * 1024 * 1024))]

    assert isinstance(small_then_big[0], AppDefinition)
    assert isinstance(small_then_big[1], DefinitionError)
    assert small_then_big[1].issues[0].message == "the document is larger than 1 MB"
    assert len(huge) == 1 and isinstance(huge[0], DefinitionError)
    assert "larger than 16 MB" in str(huge[0])


# -- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT1M30S", timedelta(minutes=1, seconds=30)),
        ("PT2H", timedelta(hours=2)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H3M4.5S", timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        ("pt5s", timedelta(seconds=5)),  # java.time.Duration ignores case
        ("PT0S", timedelta(0)),
        ("30s", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("P1W", None),  # weeks, months and years are not Durations in Java
        ("P1Y", None),
        ("-PT5S", None),
        ("PT5S ", None),
        ("", None),
    ],
)
def test_parse_iso_duration(text: str, expected: timedelta | None) -> None:
    assert parse_iso_duration(text) == expected


def test_from_dict_tolerates_the_minimal_stored_shape() -> None:
    app = AppDefinition.from_dict({"id": "a", "displayName": "A", "namespace": "n", "flowId": "f"})

    assert app == AppDefinition(id="a", display_name="A", namespace="n", flow_id="f")


def test_block_dicts_are_copies() -> None:
    block = Block("Inputs", {"filter": {"include": ["a"], "exclude": None}})

    block.to_dict()["filter"]["include"].append("b")

    assert block.props["filter"]["include"] == ["a"]


def test_the_catalogue_defaults_are_valid_choices() -> None:
    for spec in BLOCKS.values():
        for prop in spec.props.values():
            if prop.choices and prop.default is not None:
                assert prop.default in prop.choices, spec.name
            assert not (prop.required and prop.default is not None), spec.name


def test_aware_datetimes_from_stored_form() -> None:
    tz = timezone(timedelta(hours=2))
    app = AppDefinition(
        id="a",
        display_name="A",
        namespace="n",
        flow_id="f",
        expiration_start=datetime(2025, 1, 1, tzinfo=tz),
    )

    assert AppDefinition.from_dict(app.to_dict()) == app
