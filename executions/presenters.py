"""What each block shows of an execution: data prepared for the block templates."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from executions.forms import MASK
from executions.layout import ResolvedBlock
from executions.models import Execution

LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
FILE_SCHEME = "kestra:///"
PREVIEW_ROWS = 100


@dataclass(frozen=True)
class Value:
    key: str
    value: Any
    file_url: str = ""
    file_name: str = ""
    preview_url: str = ""
    description: str = ""


def _filtered(
    items: Mapping[str, Any], spec: Mapping[str, Any] | None
) -> Iterator[tuple[str, Any]]:
    include = (spec or {}).get("include") or []
    exclude = set((spec or {}).get("exclude") or [])
    for key, value in items.items():
        if (include and key not in include) or key in exclude:
            continue
        yield key, value


def file_paths(value: Any) -> Iterator[str]:
    """Every kestra:// file named in a value, however deeply nested."""
    if isinstance(value, str) and value.startswith(FILE_SCHEME):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from file_paths(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_paths(item)


def known_files(execution: Execution) -> set[str]:
    """Files a viewer of this execution may download: those its inputs and outputs name."""
    return (
        set(file_paths(execution.outputs))
        | set(file_paths(execution.task_outputs))
        | set(file_paths(execution.snapshot.get("inputs")))
    )


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _value(execution: Execution, key: str, value: Any, description: str = "") -> Value:
    if isinstance(value, str) and value.startswith(FILE_SCHEME):
        kwargs = {"uid": execution.app.uid, "execution_id": execution.public_id}
        query = urlencode({"path": value})
        return Value(
            key,
            value,
            file_url=f"{reverse('executions:file', kwargs=kwargs)}?{query}",
            file_name=file_name(value),
            preview_url=f"{reverse('executions:preview', kwargs=kwargs)}?{query}",
            description=description,
        )
    return Value(key, value, description=description)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Kestra nests dotted input ids (`request.name`); people know them by the dotted id."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def execution_inputs(execution: Execution) -> dict[str, Any]:
    """The inputs as Kestra resolved them (defaults included), secrets masked as submitted."""
    resolved = _flatten(execution.snapshot.get("inputs") or {})
    masked = {k: v for k, v in execution.inputs.items() if v == MASK}
    return {**execution.inputs, **resolved, **masked}


def _logs(execution: Execution, spec: Mapping[str, Any] | None) -> SafeString:
    """The log lines, filtered in the database and rendered here: a running execution's page
    is asked for every second, and a template per line is what would cost the most."""
    spec = spec or {}
    logs = execution.logs.all()
    level = spec.get("logLevel")
    if level in LOG_LEVELS:
        logs = logs.filter(level__in=LOG_LEVELS[LOG_LEVELS.index(level) :])
    if spec.get("taskIds"):
        logs = logs.filter(task_id__in=spec["taskIds"])
    lines = [
        f'<li class="log log-{escape(entry_level.lower())}"><time datetime="{_iso(timestamp)}">'
        f'{_clock(timestamp)}</time> <span class="level">{escape(entry_level)}</span>'
        f' <span class="task">{escape(task_id)}</span>'
        f' <span class="message">{escape(message)}</span></li>'
        for timestamp, entry_level, task_id, message in logs.values_list(
            "timestamp", "level", "task_id", "message"
        )
    ]
    if not lines:
        return SafeString('<li class="muted">No logs yet.</li>')
    return mark_safe("".join(lines))  # noqa: S308  every value above is escaped


def _iso(timestamp: datetime | None) -> str:
    return timestamp.isoformat() if timestamp else ""


def _clock(timestamp: datetime | None) -> str:
    return timezone.localtime(timestamp).strftime("%H:%M:%S") if timestamp else ""


def block_data(block: ResolvedBlock, execution: Execution | None) -> Any:
    """The rows a block shows; None for blocks that show only their properties."""
    if block.type == "Table":
        rows = block.props.get("data") or []
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        return {"columns": columns, "rows": [[row.get(c, "") for c in columns] for row in rows]}
    if execution is None:
        return None
    if block.type == "Inputs":
        items = execution_inputs(execution)
        return [_value(execution, k, v) for k, v in _filtered(items, block.props.get("filter"))]
    if block.type == "Outputs":
        items = execution.outputs
        return [_value(execution, k, v) for k, v in _filtered(items, block.props.get("filter"))]
    if block.type == "Logs":
        return _logs(execution, block.props.get("filter"))
    if block.type == "TaskOutputs":
        return [
            _value(execution, str(o.get("displayName")), o.get("value"), o.get("description") or "")
            for o in block.props.get("outputs") or []
        ]
    return None


@dataclass(frozen=True)
class Preview:
    kind: str  # "table", "text", "image", "markdown" or "none"
    columns: list[str]
    rows: list[list[Any]]
    text: str = ""
    truncated: bool = False


def preview(path: str, rendered: Mapping[str, Any]) -> Preview:
    """Kestra's FileRender as something a page can show: CSV and row lists as tables, text as
    text, images inline, anything else not previewed."""
    kind = str(rendered.get("type") or "")
    content = rendered.get("content")
    truncated = bool(rendered.get("truncated"))
    if kind == "IMAGE" and isinstance(content, str):
        return Preview("image", [], [], text=content, truncated=truncated)
    if kind == "LIST" and isinstance(content, list):
        return _table([row for row in content if isinstance(row, dict)], truncated)
    if kind == "MARKDOWN" and isinstance(content, str):
        return Preview("markdown", [], [], text=content, truncated=truncated)
    if kind == "TEXT" and isinstance(content, str):
        if file_name(path).lower().endswith(".csv"):
            rows = list(csv.reader(io.StringIO(content)))
            header, body = (rows[0], rows[1 : PREVIEW_ROWS + 1]) if rows else ([], [])
            return Preview(
                "table", header, body, truncated=truncated or len(rows) > PREVIEW_ROWS + 1
            )
        return Preview("text", [], [], text=content, truncated=truncated)
    return Preview("none", [], [])


def _table(rows: list[dict[str, Any]], truncated: bool) -> Preview:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    body = [[row.get(c, "") for c in columns] for row in rows[:PREVIEW_ROWS]]
    return Preview("table", columns, body, truncated=truncated or len(rows) > PREVIEW_ROWS)
