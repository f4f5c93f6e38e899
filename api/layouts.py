"""Kestra's AppResponse, {dispatch, stream, layout: {blocks}}: the blocks the web page would
show for the same app, execution and person (executions.layout), as JSON.

Action buttons carry the token to dispatch them with; a button whose action makes no
sense here (or is not this person's to take) is left out, as the page leaves it out.
Everything is read from the portal's database, never from Kestra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from api import tokens
from apps_catalog.blocks import BLOCKS
from apps_catalog.models import App
from executions import forms, layout, presenters, stages
from executions.models import Execution

CREATE, RESUME, CANCEL = "create", "resume", "cancel"
ACTION_OF_BUTTON = {
    "CreateExecutionButton": CREATE,
    "ResumeExecutionButton": RESUME,
    "CancelExecutionButton": CANCEL,
}


@dataclass(frozen=True)
class Viewer:
    """What the response depends on besides the app and the execution."""

    base_url: str  # absolute, for `{{ app.url }}` and file links
    can_act: bool  # may resume or cancel this execution (accounts.access.can_act_on)


def app_url(base_url: str, app: App) -> str:
    return f"{settings.PORTAL_BASE_URL or base_url}{app.get_absolute_url()}"


def available_actions(app: App, execution: Execution | None, can_act: bool) -> list[str]:
    """The actions that make sense now, in the order a layout usually offers them."""
    if execution is None:
        return [] if app.parsed.execution_id else [CREATE]
    found = []
    if can_act and execution.stage == stages.PAUSE and execution.kestra_id:
        found.append(RESUME)
    if can_act and execution.kestra_id and not execution.is_final:
        found.append(CANCEL)
    return found


def _context(app: App, execution: Execution | None, base_url: str) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    if execution is not None:
        snapshot = {**execution.snapshot, "inputs": presenters.execution_inputs(execution)}
    return layout.expression_context(
        definition=app.parsed,
        uid=app.uid,
        app_url=app_url(base_url, app),
        execution=snapshot,
        outputs=execution.outputs if execution else None,
        task_outputs=execution.task_outputs if execution else None,
    )


def field_json(field: forms.Field) -> dict[str, Any]:
    return {
        "id": field.id,
        "type": field.type,
        "displayName": field.label,
        "description": field.description,
        "required": field.required,
        "value": field.value if field.value != "" else None,
        "values": field.values,
        "errors": [{"message": message} for message in field.errors],
        **field.attrs,
    }


def _file_links(app: App, execution: Execution, path: str, base_url: str) -> dict[str, str]:
    query = urlencode({"path": path, "executionId": execution.public_id})
    links = {}
    for kind in ("meta", "preview", "download"):
        kwargs = {"tenant": settings.KESTRA_TENANT, "uid": app.uid}
        url = reverse(f"api:file_{kind}", kwargs=kwargs)
        links[kind] = f"{base_url}{url}?{query}"
    return links


def value_json(app: App, execution: Execution, value: presenters.Value, base_url: str) -> dict:
    item: dict[str, Any] = {"key": value.key, "value": value.value}
    if value.description:
        item["description"] = value.description
    if value.file_name:
        item["file"] = {
            "path": value.value,
            "name": value.file_name,
            **_file_links(app, execution, str(value.value), base_url),
        }
    return item


def log_rows(execution: Execution, spec: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The execution's stored log lines, filtered as a Logs block's `filter` says."""
    spec = spec or {}
    logs = execution.logs.all()
    level = spec.get("logLevel")
    if level in presenters.LOG_LEVELS:
        logs = logs.filter(level__in=presenters.LOG_LEVELS[presenters.LOG_LEVELS.index(level) :])
    if spec.get("taskIds"):
        logs = logs.filter(task_id__in=spec["taskIds"])
    return [
        {
            "timestamp": timestamp.isoformat() if timestamp else None,
            "level": level,
            "taskId": task_id,
            "message": message,
        }
        for timestamp, level, task_id, message in logs.values_list(
            "timestamp", "level", "task_id", "message"
        )
    ]


def _execution_data(
    app: App, block: layout.ResolvedBlock, execution: Execution, base_url: str
) -> dict[str, Any]:
    if block.type == "Logs":
        return {"logs": log_rows(execution, block.props.get("filter"))}
    data = presenters.block_data(block, execution)
    if block.type in {"Inputs", "Outputs", "TaskOutputs"}:
        return {"values": [value_json(app, execution, v, base_url) for v in data or []]}
    return {}


def block_json(
    app: App,
    block: layout.ResolvedBlock,
    execution: Execution | None,
    viewer: Viewer,
    fields: Iterable[forms.Field] = (),
) -> dict[str, Any] | None:
    """One resolved block as Kestra's UI would receive it; None when it is not shown."""
    spec = BLOCKS.get(block.type)
    item: dict[str, Any] = {"type": spec.class_name if spec else block.type, **block.props}
    action = ACTION_OF_BUTTON.get(block.type)
    if action is not None:
        if action not in available_actions(app, execution, viewer.can_act):
            return None
        item["dispatch"] = tokens.dispatch_token(action, app, execution)
    if block.type in {"CreateExecutionForm", "ResumeExecutionForm"}:
        wanted = CREATE if block.type == "CreateExecutionForm" else RESUME
        if wanted not in available_actions(app, execution, viewer.can_act):
            return None
        item["inputs"] = [field_json(field) for field in fields]
    if block.type == "Table":
        item.update(presenters.block_data(block, None))
    if execution is not None:
        item.update(_execution_data(app, block, execution, viewer.base_url))
    return item


def resume_fields(execution: Execution | None) -> list[forms.Field]:
    if execution is None or execution.stage != stages.PAUSE:
        return []
    return forms.fields_from_validation(execution.resume_form, show_errors=False)


def app_response(
    app: App,
    execution: Execution | None,
    viewer: Viewer,
    *,
    fields: Iterable[forms.Field] | None = None,
) -> dict[str, Any]:
    """The AppResponse for this app at this execution (None: the OPEN stage).

    `fields` are the form's fields, with their errors after a refused dispatch; by default
    the OPEN form is empty (the caller fetched it) and the resume form is the stored one.
    """
    stage = execution.stage if execution is not None else stages.OPEN
    shown = list(fields) if fields is not None else resume_fields(execution)
    context = _context(app, execution, viewer.base_url)
    blocks = [
        block_json(app, block, execution, viewer, shown)
        for block in layout.resolve(app.parsed, stage, context)
    ]
    actions = available_actions(app, execution, viewer.can_act)
    return {
        "dispatch": tokens.dispatch_token(actions[0], app, execution) if actions else None,
        "stream": tokens.stream_token(app, execution),
        "layout": {"blocks": [block for block in blocks if block is not None]},
        # Beyond Kestra's shape: what a script needs to follow up without parsing blocks.
        "stage": stage,
        "executionId": execution.public_id if execution is not None else None,
        "state": execution.state or None if execution is not None else None,
        "final": stages.is_final(stage),
    }
