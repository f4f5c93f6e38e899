"""Stand-ins for the tasks the emulator does not run (Slack, HTTP requests, scripts, ...).

Kestra's own example flows use plugins the emulator cannot run. Rather than failing them,
a task of a type it does not know succeeds with no outputs and says so in its log. A flow
may give such a task outputs (or make any task, even a known one, a stand-in) in a side
file next to it, ``<flow file stem>.stubs.yml``, keyed by task id:

```yaml
fetch_price:
  outputs: {code: 200, body: '{"price": {{ inputs.quantity * 3 }}}'}
  duration: PT2S        # optional: how long the task takes
  state: SUCCESS        # optional: SUCCESS (default), WARNING or FAILED
```

Strings in ``outputs`` are rendered like task properties. A broken side file fails the
tasks that need it, with the reason, instead of hiding the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import yamlutil
from .expressions import render, render_deep
from .jsonutil import parse_iso_duration
from .tasks import Outcome, TaskContext, TaskFailed

STUB_SUFFIXES = (".stubs.yml", ".stubs.yaml")
STUB_STATES = ("SUCCESS", "WARNING", "FAILED")
_STUB_KEYS = ("outputs", "state", "duration")


def is_stubs_file(path: Path) -> bool:
    return path.name.endswith(STUB_SUFFIXES)


@dataclass(frozen=True)
class Stubs:
    """The side file of one flow: task id → stub, or why the file cannot be used."""

    file: str | None = None
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def stubs_next_to(flow_path: Path) -> Stubs:
    """The stubs of the flow in ``flow_path``; empty when it has no side file."""
    stem = flow_path.name.rsplit(".", 1)[0]
    for suffix in STUB_SUFFIXES:
        path = flow_path.with_name(stem + suffix)
        if path.is_file():
            return _read(path)
    return Stubs()


def _read(path: Path) -> Stubs:
    try:
        data = yamlutil.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return Stubs(path.name, error=f"{path.name} cannot be read: {exc}")
    if data is None:
        return Stubs(path.name)
    if not isinstance(data, dict):
        return Stubs(path.name, error=f"{path.name} must map task ids to stubs")
    for task_id, stub in data.items():
        problem = _problem(stub)
        if problem:
            return Stubs(path.name, error=f"{path.name}: {task_id}: {problem}")
    return Stubs(path.name, tasks={str(k): v or {} for k, v in data.items()})


def _problem(stub: Any) -> str | None:
    if stub is None:
        return None
    if not isinstance(stub, dict):
        return "must be a mapping with outputs, state or duration"
    unknown = sorted(str(key) for key in stub if key not in _STUB_KEYS)
    if unknown:
        return f"unknown key {unknown[0]}; expected one of {', '.join(_STUB_KEYS)}"
    if not isinstance(stub.get("outputs", {}), dict):
        return "outputs must be a mapping"
    if stub.get("state", "SUCCESS") not in STUB_STATES:
        return f"state must be one of {', '.join(STUB_STATES)}"
    return None


def run_stub(ctx: TaskContext, task: dict[str, Any], stubs: Stubs) -> Outcome:
    """What a stubbed task gives: the side file's outputs, or none for an unknown type."""
    task_id = str(task.get("id"))
    kind = task.get("type")
    if stubs.error:
        raise TaskFailed(f"Task `{task_id}` ({kind}) needs a stub: {stubs.error}")
    stub = stubs.tasks.get(task_id)
    if stub is None:
        ctx.log("INFO", f"Stubbed by the emulator: {kind} does not run here; no outputs")
        return Outcome(outputs={})
    ctx.log("INFO", f"Stubbed by the emulator: {kind}; outputs from {stubs.file}")
    if stub.get("duration"):
        duration = parse_iso_duration(render(str(stub["duration"]), ctx.context()))
        ctx.sleep(max(duration.total_seconds(), 0.0))
    outputs = render_deep(stub.get("outputs") or {}, ctx.context())
    return Outcome(state=str(stub.get("state", "SUCCESS")), outputs=outputs)
