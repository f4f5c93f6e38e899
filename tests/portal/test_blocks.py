"""The block pipeline: for every block type, the web page, the API and the admin's stage
preview show the same thing of the same data."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from api.app_response import Viewer, app_response
from apps_catalog.blocks import BLOCKS
from apps_catalog.definition import parse_app
from apps_catalog.services import app_save_source
from executions import layout
from executions.blocks import (
    BLOCK_TYPES,
    CANCEL,
    CREATE,
    RESUME,
    ApiTarget,
    LogFilter,
    app_stage_blocks,
)
from executions.forms import Field
from executions.models import Execution, ExecutionLog
from executions.stage_preview import (
    SAMPLE_EXECUTION_ID,
    SampleExecution,
    sample_logs,
    stage_previews,
)

BASE = "http://portal.test"
INPUTS = {"name": "Ada Lovelace", "quantity": 42}
OUTPUTS = {"result": "Done", "rows": 128}
TASK_OUTPUTS = {"fetch": {"rows": 128}}
# The preview's sample execution carries these when the flow's defaults say so.
# The flow names one input and one output for people (displayName), as Kestra shows them.
FLOW = {
    "inputs": [
        {"id": "name", "type": "STRING", "defaults": "Ada Lovelace", "displayName": "Full name"},
        {"id": "quantity", "type": "INT", "defaults": 42},
    ],
    "outputs": [
        {"id": "result", "type": "STRING", "defaults": "Done"},
        {"id": "rows", "type": "INT", "defaults": 128, "displayName": "Rows read"},
    ],
}
HEAD = "id: shown\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: Shown\n"
HEAD += "namespace: demo\nflowId: data_request\naccess: PUBLIC\n"

# One layout per block type, each shown on SUCCESS and on PAUSE.
LAYOUTS: dict[str, str] = {
    "Markdown": "type: Markdown\n  content: 'Hello {{ inputs.name }}'",
    "Alert": "type: Alert\n  content: Careful\n  style: WARNING\n  showIcon: true",
    "Button": "type: Button\n  url: https://example.org/next\n  text: Next",
    "RedirectTo": "type: RedirectTo\n  url: https://example.org/done\n  delay: PT5S",
    "Loading": "type: Loading",
    "AutoRefresh": "type: AutoRefresh",
    "Divider": "type: Divider",
    "Image": "type: Image\n  url: https://example.org/a.png\n  alt: A chart",
    "Stacktrace": "type: Stacktrace\n  message: Boom\n  content: at line 3",
    "Table": "type: Table\n  data: [{a: 1, b: x}, {c: 2}]",
    "CreateExecutionForm": "type: CreateExecutionForm",
    "CreateExecutionButton": "type: CreateExecutionButton",
    "CancelExecutionButton": "type: CancelExecutionButton",
    "ResumeExecutionForm": "type: ResumeExecutionForm",
    "ResumeExecutionButton": "type: ResumeExecutionButton",
    "Inputs": "type: Inputs\n  filter: {exclude: [quantity]}",
    "Outputs": "type: Outputs",
    "Logs": "type: Logs\n  filter: {logLevel: WARN}",
    "TaskOutputs": (
        "type: TaskOutputs\n  outputs:\n    - displayName: Rows\n      type: INT\n"
        "      value: '{{ outputs.fetch.rows }}'\n      description: Rows read"
    ),
    "Route": "type: io.kestra.plugin.ee.apps.execution.blocks.internal.Route",
}


def _source(block_type: str) -> str:
    block = "\n".join("      " + line for line in f"- {LAYOUTS[block_type]}".splitlines())
    return (
        HEAD
        + "layout:\n"
        + "".join(f"  - on: {stage}\n    blocks:\n{block}\n" for stage in ("SUCCESS", "PAUSE"))
    )


def test_every_catalogued_block_has_one_block_type_and_one_template():
    assert set(BLOCK_TYPES) == set(BLOCKS) == set(LAYOUTS)
    for name in BLOCKS:
        assert Path(settings.BASE_DIR, "templates", "blocks", f"{name.lower()}.html").is_file()


def test_the_log_filter_keeps_a_level_and_the_more_severe_ones_of_the_tasks_named():
    log_filter = LogFilter.of({"logLevel": "WARN", "taskIds": ["fetch"]})

    assert log_filter.levels == ("WARN", "ERROR")
    assert [line.message for line in sample_logs() if log_filter.admits(line)] == [
        "3 rows had no e-mail address"
    ]
    assert LogFilter.of(None) == LogFilter.of({"logLevel": None, "taskIds": None}) == LogFilter()


def test_the_stage_fallback_says_where_the_blocks_come_from():
    definition = parse_app(
        HEAD + "layout:\n  - on: SUCCESS\n    blocks: [{type: Divider}]\n"
        "  - on: FALLBACK\n    blocks: [{type: Loading}]\n"
    )

    origins = {stage: layout.stage_origin(definition, stage) for stage in ("SUCCESS", "RUNNING")}
    assert origins == {"SUCCESS": "layout", "RUNNING": "FALLBACK"}
    assert layout.stage_origin(definition, "OPEN") == "built-in"
    assert [b.type for b in layout.blocks_for_stage(definition, "RUNNING")] == ["Loading"]
    assert layout.blocks_for_stage(definition, "OPEN")[0].type == "CreateExecutionForm"


def _page(shown: list[dict[str, Any]], app: Any, stage: str, execution: Any) -> str:
    context = {"blocks": shown, "app": app, "stage": stage, "execution": execution}
    return render_to_string("executions/_blocks.html", {**context, "can_act": True})


def _execution(app: Any, stage: str) -> Execution:
    execution = Execution.objects.create(
        app=app,
        kestra_id=f"run-{stage}",
        delivery="DELIVERED",
        state={"SUCCESS": "SUCCESS", "PAUSE": "PAUSED"}[stage],
        stage=stage,
        inputs=INPUTS,
        snapshot={"inputs": INPUTS},
        outputs=OUTPUTS,
        task_outputs=TASK_OUTPUTS,
        resume_form={"inputs": []} if stage == "PAUSE" else {},
    )
    ExecutionLog.objects.bulk_create(
        ExecutionLog(execution=execution, position=i, **vars(line))
        for i, line in enumerate(sample_logs())
    )
    return execution


def _shown_facts(item: dict[str, Any]) -> list[str]:
    """What a block's API representation says a person sees, as text in the page."""
    facts = [str(v) for k, v in item.items() if k in {"content", "text", "url", "alt", "message"}]
    facts += [str(v["value"]) for v in item.get("values", [])]
    facts += [str(v["displayName"]) for v in item.get("values", []) if "displayName" in v]
    facts += [str(v["description"]) for v in item.get("values", []) if "description" in v]
    facts += [row["message"] for row in item.get("logs", [])]
    facts += [str(cell) for row in item.get("rows", []) for cell in row]
    facts += [field["id"] for field in item.get("inputs", [])]
    return facts


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["SUCCESS", "PAUSE"])
@pytest.mark.parametrize("block_type", list(LAYOUTS))
def test_the_page_the_api_and_the_preview_agree(block_type, stage):
    app, _ = app_save_source(source=_source(block_type))
    app.flow_snapshot = FLOW  # as Kestra gave it last: what the page reads of the flow
    app.save(update_fields=["flow_snapshot"])
    execution = _execution(app, stage)

    page_blocks = app_stage_blocks(app, stage, execution, BASE).html()
    api = app_response(app, execution, Viewer(BASE, can_act=True))
    (preview,) = stage_previews(app.parsed, uid=app.uid, base_url=BASE, flow=FLOW, only=(stage,))
    preview_api = preview.shown.api(ApiTarget(tokens=dict.fromkeys((CREATE, RESUME, CANCEL))))

    assert [b["block"].type for b in page_blocks] == [block_type]
    page = _page(page_blocks, app, stage, execution)
    shown_in_api = api["layout"]["blocks"]
    # The API leaves out what the page leaves out (the page keeps the create form's empty
    # frame after OPEN), and tells what the page shows.
    if block_type != "CreateExecutionForm":
        assert bool(shown_in_api) == bool(page.strip())
    for item in shown_in_api:
        assert item["type"] == BLOCKS[block_type].class_name
        for fact in _shown_facts(item):
            assert html.escape(fact) in page or fact in page, (fact, page)

    # The preview draws the block from its sample execution as the page draws it from a
    # stored one: same HTML, same API representation (but for tokens and task outputs).
    sample = SampleExecution(stage, INPUTS, OUTPUTS)
    preview_page = _page(preview.blocks, app, stage, sample)
    if block_type == "Route":  # Kestra's internal routing: nothing to show anywhere
        assert preview_api == shown_in_api == [] and preview_page.strip() == ""
        return
    (preview_item,) = preview_api
    if block_type == "TaskOutputs":
        assert preview_item["values"] == [] and "<dd>" not in preview_page
    elif block_type in {"CreateExecutionButton", "CancelExecutionButton", "ResumeExecutionButton"}:
        assert preview_item["dispatch"] is None
    elif block_type in {"CreateExecutionForm", "ResumeExecutionForm"}:
        assert "inputs" in preview_item
    else:  # the same, but for which execution a link names (Logs: its download)
        assert preview_page.replace(SAMPLE_EXECUTION_ID, execution.public_id) == page
        assert [preview_item] == shown_in_api


@pytest.mark.django_db
def test_the_open_form_is_offered_alike_by_the_page_the_api_and_the_preview():
    source = HEAD + "layout:\n  - on: OPEN\n    blocks:\n"
    source += "      - type: CreateExecutionForm\n      - type: CreateExecutionButton\n"
    app, _ = app_save_source(source=source)
    fields = [Field(id="name", type="STRING", label="Name")]

    shown = app_stage_blocks(app, "OPEN", None, BASE).html()
    page = render_to_string(
        "executions/_blocks.html", {"blocks": shown, "app": app, "stage": "OPEN", "fields": fields}
    )
    api = app_response(app, None, Viewer(BASE, can_act=False), fields=fields)
    (preview,) = stage_previews(app.parsed, uid=app.uid, base_url=BASE, flow=FLOW, only=("OPEN",))

    form, button = api["layout"]["blocks"]
    assert [field["id"] for field in form["inputs"]] == ["name"] and 'name="input.name"' in page
    assert button["dispatch"] == api["dispatch"] and f">{button['text']}</button>" in page
    target = ApiTarget(tokens={CREATE: None}, fields=preview.fields)
    (preview_form, preview_button) = preview.shown.api(target)
    assert [field["id"] for field in preview_form["inputs"]] == list(INPUTS)
    assert preview_button["dispatch"] is None


@pytest.mark.django_db
def test_inputs_show_the_flows_display_names_and_values_by_their_type():
    app, _ = app_save_source(source=_source("Inputs").replace("{exclude: [quantity]}", "{}"))
    app.flow_snapshot = {
        "inputs": [
            {"id": "request.start_date", "type": "DATE", "displayName": "First day"},
            {"id": "remote", "type": "BOOLEAN", "displayName": "Working remotely"},
            {"id": "when", "type": "DATETIME"},
            {"id": "odd", "type": "DATE"},
        ]
    }
    app.save(update_fields=["flow_snapshot"])
    execution = _execution(app, "SUCCESS")
    shown = {
        "request.start_date": "2027-01-04",
        "remote": "true",
        "when": "2027-01-04T09:30:00Z",
        "odd": "2027-02-30",
    }
    Execution.objects.filter(pk=execution.pk).update(inputs=shown, snapshot={})
    execution.refresh_from_db()

    page = _page(
        app_stage_blocks(app, "SUCCESS", execution, BASE).html(), app, "SUCCESS", execution
    )
    terms = [html.unescape(t) for t in re.findall(r"<dt[^>]*>(.*?)</dt>", page)]
    values = [html.unescape(v) for v in re.findall(r'<span class="value">(.*?)</span>', page)]
    assert terms == ["First day", "Working remotely", "when", "odd"]
    assert values == ["4 January 2027", "Yes", "4 January 2027, 09:30 UTC", "2027-02-30"]
    assert '<dt title="request.start_date">First day</dt>' in page

    (block,) = app_response(app, execution, Viewer(BASE, can_act=True))["layout"]["blocks"]
    assert block["values"][0] == {
        "key": "request.start_date",
        "value": "2027-01-04",
        "displayName": "First day",
        "type": "DATE",
    }


@pytest.mark.django_db
def test_inputs_show_a_labelled_choice_by_its_label_and_the_api_gives_both():
    app, _ = app_save_source(source=_source("Inputs").replace("{exclude: [quantity]}", "{}"))
    choices = [{"label": "Standing desk", "value": "desk"}, {"label": "Chair", "value": "chair"}]
    app.flow_snapshot = {
        "inputs": [
            {"id": "product", "type": "SELECT", "displayName": "Product", "values": choices},
            {"id": "extras", "type": "MULTISELECT", "values": [*choices, "lamp"]},
            {"id": "plain", "type": "SELECT", "values": ["desk", "chair"]},
        ]
    }
    app.save(update_fields=["flow_snapshot"])
    execution = _execution(app, "SUCCESS")
    chosen = {"product": "desk", "extras": ["chair", "lamp"], "plain": "desk"}
    Execution.objects.filter(pk=execution.pk).update(inputs=chosen, snapshot={})
    execution.refresh_from_db()

    page = _page(
        app_stage_blocks(app, "SUCCESS", execution, BASE).html(), app, "SUCCESS", execution
    )
    values = [html.unescape(v) for v in re.findall(r'<span class="value">(.*?)</span>', page)]
    assert values == ["Standing desk", "Chair, lamp", "desk"]

    (block,) = app_response(app, execution, Viewer(BASE, can_act=True))["layout"]["blocks"]
    product, extras, plain = block["values"]
    assert (product["value"], product["valueLabel"]) == ("desk", "Standing desk")
    assert (extras["value"], extras["valueLabel"]) == (["chair", "lamp"], ["Chair", "lamp"])
    assert plain["value"] == "desk" and "valueLabel" not in plain


@pytest.mark.django_db
def test_inputs_of_form_groups_objects_and_tables_show_as_people_read_them():
    app, _ = app_save_source(source=_source("Inputs").replace("{exclude: [quantity]}", "{}"))
    app.flow_snapshot = {
        "inputs": [
            {
                "id": "who",
                "type": "FORM",
                "inputs": [
                    {"id": "name", "type": "STRING", "displayName": "Your name"},
                    {"id": "desk", "type": "OBJECT", "properties": [{"id": "floor"}]},
                ],
            },
            {"id": "items", "type": "TABLE", "displayName": "Items", "columns": [{"id": "qty"}]},
        ]
    }
    app.save(update_fields=["flow_snapshot"])
    execution = _execution(app, "SUCCESS")
    resolved = {"who": {"name": "Ada", "desk": {"floor": 2}}, "items": [{"qty": 3}, {"qty": 4}]}
    Execution.objects.filter(pk=execution.pk).update(inputs={}, snapshot={"inputs": resolved})
    execution.refresh_from_db()

    page = _page(
        app_stage_blocks(app, "SUCCESS", execution, BASE).html(), app, "SUCCESS", execution
    )
    terms = [html.unescape(t) for t in re.findall(r"<dt[^>]*>(.*?)</dt>", page)]
    assert terms == ["Your name", "who.desk", "Items"], "an OBJECT stays one value"
    assert '"floor": 2' in html.unescape(page)
    assert re.search(r'<th scope="col">qty</th>.*<td>3</td>.*<td>4</td>', page, re.S)


@pytest.mark.django_db
def test_a_visitor_sees_a_block_without_its_broken_expression_and_no_error():
    content = "Ticket {{ outputs.fetch.values.foo }}{{ outputs.fetch.oops }} is ready."
    markdown = f'      - type: Markdown\n        content: "{content}"\n'
    source = HEAD + "layout:\n  - on: SUCCESS\n    blocks:\n" + markdown
    app, _ = app_save_source(source=source)
    execution = _execution(app, "SUCCESS")
    execution.task_outputs = {"fetch": {"values": {"foo": "IT-42"}}}
    execution.save(update_fields=["task_outputs"])

    page = _page(
        app_stage_blocks(app, "SUCCESS", execution, BASE).html(), app, "SUCCESS", execution
    )

    assert "<p>Ticket IT-42 is ready.</p>" in page
    assert "Unable to find" not in page and "did not render" not in page


@pytest.mark.django_db
def test_the_preview_shows_form_groups_and_samples_tables_by_their_columns():
    source = HEAD + "layout:\n  - on: OPEN\n    blocks:\n      - type: CreateExecutionForm\n"
    source += "  - on: SUCCESS\n    blocks:\n      - type: Inputs\n"
    app, _ = app_save_source(source=source)
    flow = {
        "inputs": [
            {"id": "who", "type": "FORM", "displayName": "About you", "inputs": [{"id": "name"}]},
            {"id": "items", "type": "TABLE", "columns": [{"id": "qty", "type": "INT"}]},
        ]
    }
    opened, done = stage_previews(
        app.parsed, uid=app.uid, base_url=BASE, flow=flow, only=("OPEN", "SUCCESS")
    )
    form = render_to_string(
        "executions/_blocks.html",
        {"blocks": opened.shown.html(), "stage": "OPEN", "fields": opened.fields},
    )
    assert "<legend>About you</legend>" in form and 'name="input.who.name"' in form
    assert 'data-table-for="f-items"' in form
    shown = render_to_string("executions/_blocks.html", {"blocks": done.shown.html()})
    assert "42" in shown, "a sample row of typed cells"
