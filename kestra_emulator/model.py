"""Executions, task runs, states and log entries, and their JSON per dialect (reference §3)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from .jsonutil import drop_nulls, iso_duration, iso_instant, jsonable, utcnow

TERMINAL = frozenset(
    {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}
)
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


@dataclass
class State:
    current: str = "CREATED"
    histories: list[tuple[str, dt.datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.histories:
            self.histories.append((self.current, utcnow()))

    def move(self, new_state: str) -> None:
        """Histories only grow: every transition appends an entry."""
        self.current = new_state
        self.histories.append((new_state, utcnow()))

    @property
    def terminated(self) -> bool:
        return self.current in TERMINAL

    def to_json(self) -> dict[str, Any]:
        start = self.histories[0][1]
        out: dict[str, Any] = {
            "current": self.current,
            "histories": [{"state": s, "date": iso_instant(d)} for s, d in self.histories],
            "startDate": iso_instant(start),
        }
        # endDate (and so duration) only exists for terminated or PAUSED states (§3.2).
        if self.terminated or self.current == "PAUSED":
            end = self.histories[-1][1]
            out["endDate"] = iso_instant(end)
            out["duration"] = iso_duration(end - start)
        return out


@dataclass
class TaskRun:
    id: str
    task_id: str
    parent_task_run_id: str | None = None
    state: State = field(default_factory=State)
    attempts: list[State] | None = None
    outputs: dict[str, Any] | None = None

    def move(self, new_state: str) -> None:
        self.state.move(new_state)
        if self.attempts is not None:
            if new_state == "RUNNING" and not self.attempts:
                self.attempts.append(State("RUNNING"))
            elif self.attempts and not self.attempts[-1].terminated:
                self.attempts[-1].move(new_state)

    def to_json(self, execution: Execution, *, dialect: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "taskId": self.task_id}
        if dialect != "2.0":
            # ≤1.3 carries the execution coordinates and (always) the outputs on each task run.
            out.update(
                {
                    "tenantId": "main",
                    "executionId": execution.id,
                    "namespace": execution.namespace,
                    "flowId": execution.flow_id,
                }
            )
        if self.parent_task_run_id:
            out["parentTaskRunId"] = self.parent_task_run_id
        if self.attempts is not None:
            out["attempts"] = [{"state": a.to_json()} for a in self.attempts]
        out["state"] = self.state.to_json()
        if dialect != "2.0":
            out["outputs"] = jsonable(self.outputs)
        return out


@dataclass
class LogEntry:
    execution: Execution
    task_run: TaskRun | None
    level: str
    message: str
    timestamp: dt.datetime = field(default_factory=utcnow)

    def to_json(self) -> dict[str, Any]:
        out = drop_nulls(
            {
                "tenantId": "main",
                "namespace": self.execution.namespace,
                "flowId": self.execution.flow_id,
                "taskId": self.task_run.task_id if self.task_run else None,
                "executionId": self.execution.id,
                "taskRunId": self.task_run.id if self.task_run else None,
                "timestamp": iso_instant(self.timestamp),
                "level": self.level,
                "thread": "emulator-worker",
                "message": self.message,
                "deleted": False,
                "executionKind": "NORMAL",
            }
        )
        # attemptNumber is @JsonInclude(ALWAYS): present, null for execution-level logs.
        out["attemptNumber"] = 0 if self.task_run else None
        return out

    def as_line(self) -> str:
        prefix = f"[{self.task_run.task_id}] " if self.task_run else ""
        return f"{iso_instant(self.timestamp)} {self.level} {prefix}{self.message}"


@dataclass
class Execution:
    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    labels: list[dict[str, str]]
    inputs: dict[str, Any]
    state: State = field(default_factory=State)
    task_runs: list[TaskRun] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[LogEntry] = field(default_factory=list)
    schedule_date: str | None = None
    kind: str | None = None
    created: dt.datetime = field(default_factory=utcnow)
    # Runtime data for the engine thread; not part of the JSON. context_inputs keeps secrets
    # in clear and absent optional inputs as null, for expressions.
    context_inputs: dict[str, Any] = field(default_factory=dict)
    kill_requested: threading.Event = field(default_factory=threading.Event)
    resume_requested: threading.Event = field(default_factory=threading.Event)
    resume_values: dict[str, Any] = field(default_factory=dict)

    def task_run(self, task_run_id: str) -> TaskRun | None:
        return next((t for t in self.task_runs if t.id == task_run_id), None)

    def first_paused(self) -> TaskRun | None:
        return next((t for t in self.task_runs if t.state.current == "PAUSED"), None)

    @property
    def stopped(self) -> bool:
        """Kestra's ``isStopFollow``: terminated and not PAUSED."""
        return self.state.terminated

    def to_json(self, *, dialect: str, light: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenantId": "main",
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
        }
        if self.task_runs and not light:
            out["taskRunList"] = [t.to_json(self, dialect=dialect) for t in self.task_runs]
        if self.inputs:
            out["inputs"] = jsonable(self.inputs)
        # 2.0 serves flow outputs from /outputs/executions/{id} only (§3.3).
        if self.outputs and dialect != "2.0" and not light:
            out["outputs"] = jsonable(self.outputs)
        out["labels"] = [dict(label) for label in self.labels]
        out["state"] = self.state.to_json()
        out["originalId"] = self.id
        if dialect != "2.0":
            out["deleted"] = False
        out["metadata"] = {"attemptNumber": 1, "originalCreatedDate": iso_instant(self.created)}
        if self.schedule_date:
            out["scheduleDate"] = self.schedule_date
        if self.kind:
            out["kind"] = self.kind
        return out
