"""The runnable task types. Flowable ones (If, Pause) live in the engine's runner."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from .expressions import is_truthy, render, render_deep, render_typed
from .jsonutil import parse_iso_duration
from .storage import random_file_name, task_file_uri


class TaskFailed(Exception):
    """The task ends FAILED; the message is logged at ERROR level."""


class Killed(Exception):
    """The execution was killed while this task ran."""


class TaskContext(Protocol):
    """What a task may do: read its render context, log, store files, wait."""

    @property
    def namespace(self) -> str: ...

    @property
    def flow_id(self) -> str: ...

    @property
    def execution_id(self) -> str: ...

    @property
    def task_run_id(self) -> str: ...

    def context(self) -> dict[str, Any]: ...

    def log(self, level: str, message: str) -> None: ...

    def store(self, uri: str, content: bytes) -> None: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass
class Outcome:
    state: str = "SUCCESS"
    outputs: dict[str, Any] | None = None


def _text(ctx: TaskContext, value: Any) -> str:
    return render(str(value), ctx.context()) if value is not None else ""


def run_log(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    level = _text(ctx, task.get("level") or "INFO").upper()
    messages = task.get("message")
    for message in messages if isinstance(messages, list) else [messages]:
        ctx.log(level, _text(ctx, message))
    return Outcome()


def run_return(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    return Outcome(outputs={"value": _text(ctx, task.get("format"))})


def run_output_values(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    return Outcome(outputs={"values": render_deep(task.get("values") or {}, ctx.context())})


def run_sleep(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    duration = parse_iso_duration(_text(ctx, task.get("duration") or "PT0S"))
    ctx.sleep(max(duration.total_seconds(), 0.0))
    return Outcome()


def run_fail(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    condition = task.get("condition")
    if condition is not None and not is_truthy(render_typed(condition, ctx.context())):
        return Outcome()
    message = task.get("errorMessage") or task.get("message") or "Flow failed"
    raise TaskFailed(_text(ctx, message))


def run_write(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    content = _text(ctx, task.get("content"))
    extension = _text(ctx, task.get("extension") or ".ion")
    uri = task_file_uri(
        ctx.namespace,
        ctx.flow_id,
        ctx.execution_id,
        str(task["id"]),
        ctx.task_run_id,
        random_file_name(extension),
    )
    ctx.store(uri, content.encode("utf-8"))
    return Outcome(outputs={"uri": uri})


def run_download(ctx: TaskContext, task: dict[str, Any]) -> Outcome:
    uri = _text(ctx, task.get("uri"))
    method = _text(ctx, task.get("method") or "GET").upper()
    headers = {k: str(v) for k, v in render_deep(task.get("headers") or {}, ctx.context()).items()}
    try:
        response = requests.request(method, uri, headers=headers, timeout=30)
    except requests.RequestException as exc:
        raise TaskFailed(f"Download of {uri} failed: {exc}") from exc
    if response.status_code >= 400 and task.get("failOnEmptyResponse", True) is not False:
        raise TaskFailed(f"Download of {uri} failed: HTTP {response.status_code}")
    name = urllib.parse.urlparse(uri).path.rsplit("/", 1)[-1] or random_file_name(".bin")
    stored = task_file_uri(
        ctx.namespace, ctx.flow_id, ctx.execution_id, str(task["id"]), ctx.task_run_id, name
    )
    ctx.store(stored, response.content)
    return Outcome(
        outputs={
            "uri": stored,
            "code": response.status_code,
            "length": len(response.content),
            "headers": {k: [v] for k, v in response.headers.items()},
        }
    )


RUNNABLE: dict[str, Callable[[TaskContext, dict[str, Any]], Outcome]] = {
    "io.kestra.plugin.core.log.Log": run_log,
    "io.kestra.plugin.core.debug.Return": run_return,
    "io.kestra.plugin.core.output.OutputValues": run_output_values,
    "io.kestra.plugin.core.flow.Sleep": run_sleep,
    "io.kestra.plugin.core.execution.Fail": run_fail,
    "io.kestra.plugin.core.storage.Write": run_write,
    "io.kestra.plugin.core.http.Download": run_download,
}
