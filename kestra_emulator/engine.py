"""The execution engine: one background thread per execution, real timing.

All executions share one lock; every change notifies ``Engine.changed`` so that SSE
followers wake up. JSON snapshots are taken under the lock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kestra_pebble import PebbleError

from .expressions import is_truthy, render, render_typed
from .flows import Flow
from .inputs import (
    InputResolver,
    InputResult,
    InvalidValue,
    context_values,
    parse_typed,
    values_of,
)
from .jsonutil import new_id, parse_iso_duration, to_text
from .model import Execution, LogEntry, TaskRun
from .storage import Storage, input_file_uri
from .stubs import run_stub
from .tasks import RUNNABLE, Killed, Outcome, TaskFailed

# Kestra takes a moment to pick up a new execution; clients must not assume RUNNING at once.
START_DELAY_S = 0.05
POLL_S = 0.02
_WORST = ("SUCCESS", "WARNING", "FAILED", "CANCELLED", "KILLED")


def worst(a: str, b: str) -> str:
    return a if _WORST.index(a) >= _WORST.index(b) else b


def short_type(task: dict[str, Any]) -> str:
    """Current and legacy class names (``io.kestra.core.tasks.log.Log``) share the last part."""
    return str(task.get("type", "")).rsplit(".", 1)[-1]


_RUNNABLE_BY_NAME = {name.rsplit(".", 1)[-1]: fn for name, fn in RUNNABLE.items()}


# Where the portal serves an app's pages, for appLink() (the emulator stands in for Kestra
# Enterprise, whose appLink() points at its own UI; here it points at the portal).
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"


class Engine:
    def __init__(self, storage: Storage, portal_url: str = DEFAULT_PORTAL_URL) -> None:
        self.storage = storage
        self.portal_url = portal_url.rstrip("/")
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.executions: dict[str, Execution] = {}
        # The flow each execution runs, as it was when the execution was created.
        self.flows: dict[str, Flow] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # --- store --------------------------------------------------------------------------

    def get(self, execution_id: str) -> Execution | None:
        with self.lock:
            return self.executions.get(execution_id)

    def all(self) -> list[Execution]:
        with self.lock:
            return list(self.executions.values())

    def notify(self) -> None:
        with self.lock:
            self.changed.notify_all()

    def start(self, execution: Execution, flow: Flow) -> None:
        with self.lock:
            self.executions[execution.id] = execution
            self.flows[execution.id] = flow
        runner = Runner(self, execution, flow)
        # pragma: no mutate start (the name is for debuggers, and the engine's shutdown ends
        # and joins its threads, daemons or not: docs/testing.md)
        thread = threading.Thread(target=runner.run, name=f"execution-{execution.id}", daemon=True)
        # pragma: no mutate end
        with self.lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def reset(self) -> None:
        """Kill what runs, forget every execution and file."""
        with self.lock:
            for execution in self.executions.values():
                execution.kill_requested.set()
            self.executions.clear()
            self.flows.clear()
            self.changed.notify_all()
        self.storage.clear()

    def shutdown(self) -> None:
        self._stopping.set()
        with self.lock:
            for execution in self.executions.values():
                execution.kill_requested.set()
        with self.lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=2)

    # --- actions --------------------------------------------------------------------------

    def kill(self, execution: Execution) -> None:
        """RUNNING/PAUSED → KILLING now; the runner thread finishes with KILLED."""
        with self.lock:
            if execution.state.terminated or execution.state.current == "KILLING":
                return
            execution.state.move("KILLING")
            execution.kill_requested.set()
            self.changed.notify_all()

    def resume(self, execution: Execution, task_run: TaskRun, values: dict[str, Any]) -> None:
        """PAUSED → RESTARTED now (what the resume endpoint answers); the runner continues."""
        with self.lock:
            execution.resume_values = values
            task_run.move("RUNNING")
            execution.state.move("RESTARTED")
            execution.resume_requested.set()
            self.changed.notify_all()


def new_execution(
    flow: Flow,
    *,
    execution_id: str,
    labels: list[dict[str, str]],
    resolver_results: list[InputResult],
    schedule_date: str | None,
    kind: str | None,
) -> Execution:
    return Execution(
        id=execution_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=flow.revision,
        labels=labels,
        inputs=values_of(resolver_results, masked=True),
        context_inputs=context_values(resolver_results),
        schedule_date=schedule_date,
        kind=kind,
    )


@dataclass
class _RunContext:
    """The ``TaskContext`` handed to runnable tasks."""

    runner: Runner
    task_run: TaskRun
    task: dict[str, Any]

    @property
    def namespace(self) -> str:
        return self.runner.execution.namespace

    @property
    def flow_id(self) -> str:
        return self.runner.execution.flow_id

    @property
    def execution_id(self) -> str:
        return self.runner.execution.id

    @property
    def task_run_id(self) -> str:
        return self.task_run.id

    def context(self) -> dict[str, Any]:
        return self.runner.context(self.task, self.task_run)

    def log(self, level: str, message: str) -> None:
        self.runner.log(self.task_run, level, message)

    def store(self, uri: str, content: bytes) -> None:
        self.runner.engine.storage.write(uri, content)

    def sleep(self, seconds: float) -> None:
        if self.runner.execution.kill_requested.wait(seconds):
            raise Killed()


class Runner:
    """Runs one execution's tasks in order, then its flow outputs."""

    def __init__(self, engine: Engine, execution: Execution, flow: Flow) -> None:
        self.engine = engine
        self.execution = execution
        self.flow = flow
        self.outputs: dict[str, Any] = {}

    # --- helpers ------------------------------------------------------------------------

    def _change(self, action: Callable[[], None]) -> None:
        with self.engine.lock:
            action()
            self.engine.changed.notify_all()

    def log(self, task_run: TaskRun | None, level: str, message: str) -> None:
        entry = LogEntry(self.execution, task_run, level, message)
        self._change(lambda: self.execution.logs.append(entry))

    def context(
        self, task: dict[str, Any] | None = None, task_run: TaskRun | None = None
    ) -> dict[str, Any]:
        execution = self.execution
        ctx: dict[str, Any] = {
            "flow": {
                "id": self.flow.id,
                "namespace": self.flow.namespace,
                "revision": self.flow.revision,
                "tenantId": "main",
            },
            "execution": {
                "id": execution.id,
                "originalId": execution.id,
                "startDate": execution.state.to_json()["startDate"],
                "state": execution.state.current,
            },
            "inputs": execution.context_inputs,
            "outputs": self.outputs,
            "labels": {label["key"]: label["value"] for label in execution.labels},
            "vars": self.flow.definition.get("variables") or {},
            "kestra": {"url": self.engine.portal_url},
        }
        if task is not None and task_run is not None:
            ctx["task"] = {"id": task.get("id"), "type": task.get("type")}
            ctx["taskrun"] = {
                "id": task_run.id,
                "startDate": task_run.state.to_json()["startDate"],
                "attemptsCount": len(task_run.attempts or []),
            }
        return ctx

    def _check_killed(self) -> None:
        if self.execution.kill_requested.is_set():
            raise Killed()

    # --- main loop ----------------------------------------------------------------------

    def run(self) -> None:
        try:
            if self.execution.kill_requested.wait(START_DELAY_S):
                raise Killed()
            self._change(lambda: self.execution.state.move("RUNNING"))
            final = self.run_tasks(self.flow.tasks, None)
            if final == "FAILED" and self.flow.definition.get("errors"):
                self.run_tasks(list(self.flow.definition["errors"]), None)
            if final in ("SUCCESS", "WARNING"):
                final = self._render_flow_outputs(final)
            self._check_killed()
            self._change(lambda: self.execution.state.move(final))
        except Killed:
            self._finish_killed()
        except Exception as exc:  # noqa: BLE001 - an engine bug must end the execution, not hang it
            self.log(None, "ERROR", f"Emulator error: {exc!r}")
            self._change(self._fail_unfinished)

    def _fail_unfinished(self) -> None:
        """Kestra never shows a task RUNNING inside a finished execution."""
        for task_run in self.execution.task_runs:
            if not task_run.state.terminated:
                task_run.move("FAILED")
        self.execution.state.move("FAILED")

    def _finish_killed(self) -> None:
        def mark() -> None:
            for task_run in self.execution.task_runs:
                if not task_run.state.terminated:
                    task_run.move("KILLED")
            if self.execution.state.current != "KILLING":
                self.execution.state.move("KILLING")
            self.execution.state.move("KILLED")

        with self.engine.lock:
            if self.execution.id not in self.engine.executions:
                return  # reset removed it; nobody is watching
        self._change(mark)

    def run_tasks(self, tasks: list[dict[str, Any]], parent: TaskRun | None) -> str:
        """Run tasks in order; stop at the first FAILED/CANCELLED one. Returns the worst state."""
        result = "SUCCESS"
        for task in tasks:
            self._check_killed()
            if task.get("disabled"):
                continue
            state = self.run_task(task, parent)
            result = worst(result, state)
            if state in ("FAILED", "CANCELLED"):
                break
        return result

    def run_task(self, task: dict[str, Any], parent: TaskRun | None) -> str:
        name = short_type(task)
        flowable = name == "If"
        task_run = TaskRun(
            id=new_id(),
            task_id=str(task.get("id")),
            parent_task_run_id=parent.id if parent else None,
            attempts=None if flowable else [],
        )
        self._change(lambda: self.execution.task_runs.append(task_run))
        self._change(lambda: task_run.move("RUNNING"))
        try:
            if name == "If":
                outcome = self._run_if(task, task_run)
            elif name == "Pause":
                outcome = self._run_pause(task, task_run)
            elif name in _RUNNABLE_BY_NAME and task_run.task_id not in self.flow.stubs.tasks:
                outcome = _RUNNABLE_BY_NAME[name](_RunContext(self, task_run, task), task)
            else:
                outcome = run_stub(_RunContext(self, task_run, task), task, self.flow.stubs)
        except (TaskFailed, PebbleError, InvalidValue, ValueError) as exc:
            self.log(task_run, "ERROR", str(exc))
            outcome = Outcome(state="FAILED")
        if outcome.state == "FAILED" and task.get("allowFailure"):
            outcome.state = "WARNING"
        # A kill while a task could not be stopped (a download under way): Kestra ends the
        # task and the execution KILLED, whatever the task would have given.
        self._check_killed()
        self._finish_task(task_run, outcome)
        return outcome.state

    def _finish_task(self, task_run: TaskRun, outcome: Outcome) -> None:
        def apply() -> None:
            task_run.outputs = outcome.outputs
            task_run.move(outcome.state)

        if outcome.outputs is not None:
            self.outputs[task_run.task_id] = outcome.outputs
        self._change(apply)

    # --- flowable tasks -----------------------------------------------------------------

    def _run_if(self, task: dict[str, Any], task_run: TaskRun) -> Outcome:
        condition = is_truthy(render_typed(task.get("condition"), self.context(task, task_run)))
        branch = task.get("then") if condition else task.get("else")
        state = self.run_tasks(list(branch or []), task_run)
        return Outcome(state=state)

    def _run_pause(self, task: dict[str, Any], task_run: TaskRun) -> Outcome:
        def pause() -> None:
            task_run.move("PAUSED")
            self.execution.state.move("PAUSED")

        self._change(pause)
        timeout = self._pause_timeout(task, task_run)
        deadline = time.monotonic() + timeout if timeout is not None else None
        while not self.execution.resume_requested.is_set():
            self._check_killed()
            if deadline is not None and time.monotonic() >= deadline:
                return self._pause_elapsed(task)
            self.execution.kill_requested.wait(POLL_S)
        self._check_killed()
        self.execution.resume_requested.clear()
        values = self.execution.resume_values
        self._change(lambda: self.execution.state.move("RUNNING"))
        return Outcome(outputs=_pause_outputs(values, "SUCCESS"))

    def _pause_timeout(self, task: dict[str, Any], task_run: TaskRun) -> float | None:
        raw = task.get("pauseDuration") or task.get("delay") or task.get("timeout")
        if not raw:
            return None
        return parse_iso_duration(render(str(raw), self.context(task, task_run))).total_seconds()

    def _pause_elapsed(self, task: dict[str, Any]) -> Outcome:
        """``behavior`` applies when the pause duration ends without a manual resume."""
        behavior = str(task.get("behavior") or "RESUME").upper()
        state = {
            "RESUME": "SUCCESS",
            "WARN": "WARNING",
            "FAIL": "FAILED",
            "CANCEL": "CANCELLED",
        }.get(behavior, "SUCCESS")
        results = InputResolver(
            list(task.get("onResume") or []), {}, {}, lambda i, n: "", self.context()
        ).resolve_all()
        values = values_of(results, masked=False, keep_nulls=True)

        def restart() -> None:
            self.execution.state.move("RESTARTED")
            self.execution.state.move("RUNNING")

        self._change(restart)
        return Outcome(state=state, outputs=_pause_outputs(values, state))

    # --- flow outputs -------------------------------------------------------------------

    def _render_flow_outputs(self, state: str) -> str:
        """Flow outputs are rendered when the execution ends successfully."""
        rendered: dict[str, Any] = {}
        try:
            for output in self.flow.definition.get("outputs") or []:
                value = render_typed(output.get("value"), self.context())
                kind = str(output.get("type") or "STRING")
                rendered[str(output["id"])] = (
                    value
                    if kind in ("JSON", "ARRAY", "YAML", "MULTISELECT")
                    and not isinstance(value, str)
                    else parse_typed({"type": kind}, to_text(value))
                )
        except (PebbleError, InvalidValue, KeyError) as exc:
            self.log(None, "ERROR", f"Failed to render the flow outputs: {exc}")
            return "FAILED"
        self._change(lambda: self.execution.outputs.update(rendered))
        return state


def _pause_outputs(values: dict[str, Any], to_state: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return {"onResume": values, "resumed": {"on": now, "to": to_state}}


def store_uploads(storage: Storage, execution: Execution, results: list[InputResult]) -> None:
    """Write the FILE inputs of a valid form to ``…/executions/{id}/inputs/{inputId}/{name}``."""
    for result in results:
        if result.enabled and result.upload is not None:
            uri = input_file_uri(
                execution.namespace,
                execution.flow_id,
                execution.id,
                result.id,
                result.upload.filename,
            )
            storage.write(uri, result.upload.content)
