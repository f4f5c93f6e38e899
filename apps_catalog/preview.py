"""What each stage of an app will look like, drawn with sample data before the app is saved.

The admin's preview. It reuses the runtime's own pieces (stage fallbacks and expression
rendering in executions.layout, the block templates), so the preview cannot drift from
what visitors see; only the execution is made up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from apps_catalog.definition import AppDefinition
from executions import layout, stages
from executions.forms import Field, fields_from_flow
from executions.presenters import LOG_LEVELS, Value, block_data

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
SAMPLE_EXECUTION_ID = "7nXqSampleExecution1"
_SAMPLE_START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
_SAMPLE_BY_TYPE: dict[str, Any] = {
    "STRING": "Sample text",
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
}
_DEFAULT_INPUTS = {"name": "Ada Lovelace", "quantity": 42, "notes": "Sample text"}
_DEFAULT_OUTPUTS = {"result": "Sample output", "rows": 128}


@dataclass(frozen=True)
class SampleApp:
    """What block templates read of an app."""

    uid: str
    display_name: str
    namespace: str
    flow_id: str


@dataclass(frozen=True)
class SampleExecution:
    """What block templates read of an execution; never saved, never sent to Kestra."""

    stage: str
    state: str
    public_id: str = SAMPLE_EXECUTION_ID
    kestra_id: str = SAMPLE_EXECUTION_ID

    @property
    def is_final(self) -> bool:
        return stages.is_final(self.stage)


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
    blocks: list[dict[str, Any]] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    execution: SampleExecution | None = None


def sample_value(input_definition: Mapping[str, Any]) -> Any:
    """A plausible value for one flow input: its default, its first choice, or by type."""
    if input_definition.get("defaults") is not None:
        return input_definition["defaults"]
    choices = input_definition.get("values") or []
    if choices:
        first = choices[0]
        return first.get("value") if isinstance(first, dict) else first
    return _SAMPLE_BY_TYPE.get(str(input_definition.get("type", "STRING")), "Sample text")


def sample_inputs(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    inputs = (flow or {}).get("inputs") or []
    if not inputs:
        return dict(_DEFAULT_INPUTS)
    return {str(item.get("id")): sample_value(item) for item in inputs if item.get("id")}


def sample_outputs(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    outputs = (flow or {}).get("outputs") or []
    if not outputs:
        return dict(_DEFAULT_OUTPUTS)
    return {str(item.get("id")): sample_value(item) for item in outputs if item.get("id")}


def sample_logs() -> list[SampleLog]:
    return [
        SampleLog("INFO", "start", "Starting the request", _SAMPLE_START),
        SampleLog("DEBUG", "fetch", "Fetched 128 rows", _SAMPLE_START + timedelta(seconds=2)),
        SampleLog("WARN", "fetch", "3 rows had no e-mail address", _SAMPLE_START),
        SampleLog("ERROR", "notify", "Sample error message", _SAMPLE_START),
    ]


def _filtered(values: Mapping[str, Any], spec: Mapping[str, Any] | None) -> list[Value]:
    include = (spec or {}).get("include") or []
    exclude = set((spec or {}).get("exclude") or [])
    return [
        Value(key, value)
        for key, value in values.items()
        if (not include or key in include) and key not in exclude
    ]


def _logs(spec: Mapping[str, Any] | None) -> list[SampleLog]:
    spec = spec or {}
    level = spec.get("logLevel")
    allowed = set(LOG_LEVELS[LOG_LEVELS.index(level) :]) if level in LOG_LEVELS else None
    task_ids = spec.get("taskIds") or []
    return [
        log
        for log in sample_logs()
        if (allowed is None or log.level in allowed) and (not task_ids or log.task_id in task_ids)
    ]


def _sample_data(
    block: layout.ResolvedBlock, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
) -> Any:
    """What the runtime's presenters would give the block, from the sample execution."""
    if block.type == "Inputs":
        return _filtered(inputs, block.props.get("filter"))
    if block.type == "Outputs":
        return _filtered(outputs, block.props.get("filter"))
    if block.type == "Logs":
        return _logs(block.props.get("filter"))
    return block_data(block, None)


def _origin(definition: AppDefinition, stage: str) -> str:
    if stage in definition.layout:
        return "layout"
    if stages.FALLBACK in definition.layout and stage != stages.OPEN:
        return stages.FALLBACK
    return "built-in"


def _snapshot(stage: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    if stage == stages.OPEN:
        return {}
    state = _SAMPLE_STATE.get(stage, "")
    end = (_SAMPLE_START + timedelta(minutes=3)).isoformat() if stages.is_final(stage) else ""
    return {
        "id": SAMPLE_EXECUTION_ID,
        "state": {"current": state, "startDate": _SAMPLE_START.isoformat(), "endDate": end},
        "labels": [{"key": "portal.app", "value": "preview"}],
        "inputs": dict(inputs),
    }


def stage_previews(
    definition: AppDefinition,
    *,
    uid: str,
    app_url: str,
    flow: Mapping[str, Any] | None,
    only: Sequence[str] = PREVIEW_STAGES,
) -> list[StagePreview]:
    """Every stage's resolved blocks, with the data each block would show."""
    inputs, outputs = sample_inputs(flow), sample_outputs(flow)
    open_fields = fields_from_flow(flow) if flow else _sample_fields()
    previews = []
    for stage in only:
        context = layout.expression_context(
            definition=definition,
            uid=uid,
            app_url=app_url,
            execution=_snapshot(stage, inputs),
            outputs=outputs if stage != stages.OPEN else None,
        )
        blocks = [
            {"block": block, "data": _sample_data(block, inputs, outputs)}
            for block in layout.resolve(definition, stage, context)
        ]
        previews.append(
            StagePreview(
                stage=stage,
                origin=_origin(definition, stage),
                blocks=blocks,
                fields=open_fields if stage == stages.OPEN else _resume_fields(stage),
                execution=None
                if stage == stages.OPEN
                else SampleExecution(stage, _SAMPLE_STATE.get(stage, "")),
            )
        )
    return previews


def _sample_fields() -> list[Field]:
    return [
        Field(id="name", type="STRING", label="Name (sample field)"),
        Field(id="quantity", type="INT", label="Quantity (sample field)", required=False),
    ]


def _resume_fields(stage: str) -> list[Field]:
    if stage != stages.PAUSE:
        return []
    return [Field(id="comment", type="STRING", label="Comment (sample field)", required=False)]


def render_preview(
    request: HttpRequest,
    definition: AppDefinition,
    *,
    uid: str,
    flow: Mapping[str, Any] | None,
    notice: str = "",
) -> str:
    """A whole HTML page showing every stage, for the admin to put in a sandboxed frame."""
    app = SampleApp(uid, definition.display_name, definition.namespace, definition.flow_id)
    app_url = request.build_absolute_uri(reverse("executions:app", kwargs={"uid": uid}))
    context = {
        "app": app,
        "definition": definition,
        "stages": stage_previews(definition, uid=uid, app_url=app_url, flow=flow),
        "notice": notice,
        "can_act": True,
        "preview": True,
    }
    return render_to_string("admin/apps_catalog/app/preview.html", context, request=request)
