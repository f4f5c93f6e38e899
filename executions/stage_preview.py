"""What each stage of an app will look like, drawn with sample data before the app is saved.

The stage preview, shown by the admin and by the API's previewApp (not a file's preview).
It runs the runtime's own block pipeline (executions.blocks: stage fallbacks, expressions,
each block type's data, the block templates), so it cannot drift from what visitors see;
only the execution is made up (SampleExecution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from apps_catalog.definition import AppDefinition
from apps_catalog.models import app_url, site_url
from apps_catalog.thumbnails import thumbnail_src
from executions import layout, stages
from executions.approval_status import DecisionStatus, preview_status
from executions.blocks import (
    NOT_DESCRIBED,
    Described,
    LogFilter,
    LogLine,
    StageBlocks,
    Value,
    described_value,
    stage_blocks,
)
from executions.forms import Field, answers, fields_from_flow, flow_inputs

# Every stage a visitor can meet, in the order they usually meet them.
PREVIEW_STAGES = (
    stages.OPEN,
    stages.CREATED,
    stages.RUNNING,
    stages.PAUSE,
    stages.RESUME,
    stages.SUCCESS,
    stages.FAILURE,
    stages.ERROR,
)
# Kestra's state for each stage, as the sample execution carries it.
_SAMPLE_STATE = {
    stages.CREATED: "CREATED",
    stages.RUNNING: "RUNNING",
    stages.PAUSE: "PAUSED",
    stages.RESUME: "RUNNING",
    stages.SUCCESS: "SUCCESS",
    stages.FAILURE: "FAILED",
}
PREVIEW_UID = "preview"  # stands for the uid of an app not saved yet
SAMPLE_EXECUTION_ID = "7nXqSampleExecution1"
_SAMPLE_START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
_SAMPLE_BY_TYPE: dict[str, Any] = {
    "EMAIL": "ada@example.com",
    "URI": "https://example.com/",
    "SECRET": "******",
    "INT": 42,
    "FLOAT": 3.14,
    "BOOL": True,
    "BOOLEAN": True,
    "DATE": "2025-06-02",
    "DATETIME": "2025-06-02T09:30:00Z",
    "TIME": "09:30:00",
    "DURATION": "PT1H",
    "JSON": {"key": "value"},
    "YAML": {"key": "value"},
    "ARRAY": ["one", "two"],
    "FILE": "sample.csv",
    "ION": {"key": "value"},
}
SAMPLE_FILE_SIZE = 2048  # bytes, shown as Kestra's file metadata would give it


@dataclass(frozen=True)
class SampleApp:
    """What block templates read of an app."""

    uid: str
    display_name: str
    namespace: str
    flow_id: str
    thumbnail_src: str | None = None  # its thumbnail, as the page header shows it

    @property
    def shown_name(self) -> str:
        """As App.shown_name: the definition is already in the reader's language."""
        return self.display_name


@dataclass(frozen=True)
class SampleExecution:
    """The made-up execution a stage shows (an executions.blocks.Run); what block templates
    read of an execution. Never saved, never sent to Kestra."""

    stage: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    flow: Mapping[str, Any] = field(default_factory=dict)
    public_id: str = SAMPLE_EXECUTION_ID
    kestra_id: str = SAMPLE_EXECUTION_ID

    @property
    def state(self) -> str:
        return _SAMPLE_STATE.get(self.stage, "")

    @property
    def is_final(self) -> bool:
        return stages.is_final(self.stage)

    @property
    def is_cancellable(self) -> bool:
        return not self.is_final

    @property
    def awaits_decision(self) -> bool:
        return self.stage == stages.PAUSE

    @property
    def snapshot(self) -> Mapping[str, Any]:
        if self.stage == stages.OPEN:
            return {}
        end = (_SAMPLE_START + timedelta(minutes=3)).isoformat() if self.is_final else ""
        return {
            "id": SAMPLE_EXECUTION_ID,
            "state": {
                "current": self.state,
                "startDate": _SAMPLE_START.isoformat(),
                "endDate": end,
            },
            "labels": [{"key": "portal.app", "value": "preview"}],
            "inputs": dict(self.inputs),
        }

    @property
    def execution_outputs(self) -> Mapping[str, Any] | None:
        return None if self.stage == stages.OPEN else self.outputs

    @property
    def task_outputs(self) -> Mapping[str, Any] | None:
        return None

    def value(self, key: str, value: Any, described: Described = NOT_DESCRIBED) -> Value:
        """A FILE is shown as a file (name, size, links that go nowhere), as on the page."""
        if described.type == "FILE" and isinstance(value, str):
            return described_value(
                key,
                value,
                described,
                file_url="#",
                file_name=value,
                preview_url="#",
                size=SAMPLE_FILE_SIZE,
            )
        return described_value(key, value, described)

    def logs(self, log_filter: LogFilter) -> list[LogLine]:
        return [line for line in sample_logs() if log_filter.admits(line)]


@dataclass(frozen=True)
class SampleLog:
    level: str
    task_id: str
    message: str
    timestamp: datetime


@dataclass
class StagePreview:
    stage: str
    origin: str  # where the blocks come from: "layout", "FALLBACK" or "built-in"
    shown: StageBlocks
    fields: list[Field] = field(default_factory=list)
    execution: SampleExecution | None = None  # None for OPEN: no execution yet
    decision: DecisionStatus | None = None  # at PAUSE: the approval policy, nobody voted

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self.shown.html()


def sample_value(input_definition: Mapping[str, Any]) -> Any:
    """A plausible value for one flow input: its default, its first choice, or by type."""
    if input_definition.get("defaults") is not None:
        return input_definition["defaults"]
    choices = input_definition.get("values") or []
    if choices:
        first = choices[0]
        return first.get("value") if isinstance(first, dict) else first
    kind = str(input_definition.get("type", "STRING"))
    if kind == "TABLE":
        return [_sample_record(input_definition.get("columns"))]
    if kind == "OBJECT":
        return _sample_record(input_definition.get("properties"))
    return _SAMPLE_BY_TYPE[kind] if kind in _SAMPLE_BY_TYPE else _("Sample text")


def _sample_record(parts: Any) -> dict[str, Any]:
    return {str(part.get("id")): sample_value(part) for part in parts or []}


def sample_inputs(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    inputs = flow_inputs(flow or {})
    if not inputs:
        return {"name": "Ada Lovelace", "quantity": 42, "notes": _("Sample text")}
    return {str(item.get("id")): sample_value(item) for item in inputs if item.get("id")}


def sample_outputs(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    outputs = (flow or {}).get("outputs") or []
    if not outputs:
        return {"result": _("Sample output"), "rows": 128}
    return {str(item.get("id")): sample_value(item) for item in outputs if item.get("id")}


def sample_logs() -> list[SampleLog]:
    return [
        SampleLog("INFO", "start", _("Starting the request"), _SAMPLE_START),
        SampleLog("DEBUG", "fetch", _("Fetched 128 rows"), _SAMPLE_START + timedelta(seconds=2)),
        SampleLog("WARN", "fetch", _("3 rows had no e-mail address"), _SAMPLE_START),
        SampleLog("ERROR", "notify", _("Sample error message"), _SAMPLE_START),
    ]


def stage_previews(
    definition: AppDefinition,
    *,
    uid: str,
    base_url: str,
    flow: Mapping[str, Any] | None,
    only: Sequence[str] = PREVIEW_STAGES,
) -> list[StagePreview]:
    """Every stage's resolved blocks, with the data each block would show, in the active
    language as a visitor speaking it would see them; base_url is the site's address as the
    request reached it."""
    definition = definition.in_language(translation.get_language())
    url = app_url(uid, base_url)
    inputs, outputs = sample_inputs(flow), sample_outputs(flow)
    # The form holds the sample answers, and the OPEN stage's expressions read them, as a
    # visitor's page reads what they typed.
    open_fields = fields_from_flow(flow, inputs) if flow else _sample_fields()
    previews = []
    for stage in only:
        run = SampleExecution(stage, inputs, outputs, flow or {})
        answers_now = answers(open_fields) if stage == stages.OPEN else None
        previews.append(
            StagePreview(
                stage=stage,
                origin=layout.stage_origin(definition, stage),
                shown=stage_blocks(
                    definition, stage, uid=uid, app_url=url, run=run, inputs=answers_now
                ),
                fields=open_fields if stage == stages.OPEN else _resume_fields(stage),
                execution=None if stage == stages.OPEN else run,
                decision=preview_status(definition.approval_policy)
                if stage == stages.PAUSE
                else None,
            )
        )
    return previews


def _sample_fields() -> list[Field]:
    return [
        Field(id="name", type="STRING", label=_("Name (sample field)")),
        Field(id="quantity", type="INT", label=_("Quantity (sample field)"), required=False),
    ]


def _resume_fields(stage: str) -> list[Field]:
    if stage != stages.PAUSE:
        return []
    return [Field(id="comment", type="STRING", label=_("Comment (sample field)"), required=False)]


def render_stage_previews(
    request: HttpRequest,
    definition: AppDefinition,
    *,
    uid: str,
    flow: Mapping[str, Any] | None,
    notice: str = "",
) -> str:
    """A whole HTML page showing every stage, for the admin to put in a sandboxed frame,
    in the admin's language as a visitor speaking it would see the app."""
    definition = definition.in_language(translation.get_language())
    thumbnail = thumbnail_src(namespace=definition.namespace, thumbnail=definition.thumbnail or "")
    app = SampleApp(
        uid, definition.display_name, definition.namespace, definition.flow_id, thumbnail
    )
    base_url = site_url(request)
    context = {
        "app": app,
        "definition": definition,
        "stages": stage_previews(definition, uid=uid, base_url=base_url, flow=flow),
        "notice": notice,
        "can_act": True,
        "preview": True,
        "show_expression_errors": True,
    }
    return render_to_string("admin/apps_catalog/app/preview.html", context, request=request)
