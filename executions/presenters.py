"""What each block shows of an execution: data prepared for the block templates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from executions.layout import ResolvedBlock
from executions.models import Execution, ExecutionLog

LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
FILE_SCHEME = "kestra:///"


@dataclass(frozen=True)
class Value:
    key: str
    value: Any
    file_url: str = ""
    file_name: str = ""


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
    return set(file_paths(execution.outputs)) | set(file_paths(execution.snapshot.get("inputs")))


def _value(execution: Execution, key: str, value: Any) -> Value:
    if isinstance(value, str) and value.startswith(FILE_SCHEME):
        url = reverse(
            "executions:file",
            kwargs={"uid": execution.app.uid, "execution_id": execution.public_id},
        )
        return Value(key, value, f"{url}?{urlencode({'path': value})}", value.rsplit("/", 1)[-1])
    return Value(key, value)


def execution_inputs(execution: Execution) -> dict[str, Any]:
    return dict(execution.snapshot.get("inputs") or execution.inputs)


def _logs(execution: Execution, spec: Mapping[str, Any] | None) -> list[ExecutionLog]:
    spec = spec or {}
    logs = list(execution.logs.all())
    level = spec.get("logLevel")
    if level in LOG_LEVELS:
        allowed = set(LOG_LEVELS[LOG_LEVELS.index(level) :])
        logs = [entry for entry in logs if entry.level in allowed]
    task_ids = spec.get("taskIds")
    if task_ids:
        logs = [entry for entry in logs if entry.task_id in task_ids]
    return logs


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
    return None
