"""Execution endpoints: create, validate, get, search, resume, kill, labels, follow.

Reference §2–§6; labels: the emulator README, "Labels of an ended execution".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .engine import new_execution, store_uploads
from .errors import ApiError
from .flows import Flow
from .inputs import InputResolver, InputResult, cause_messages, values_of
from .jsonutil import new_id
from .model import Execution
from .storage import input_file_uri
from .streams import FOLLOW_IDLE_TIMEOUT_S, event_stream, frame, refuse_if_asked
from .web import (
    execution_json,
    execution_or_404,
    form_parts,
    json_response,
    parse_filters,
    split_label,
)

if TYPE_CHECKING:
    from .server import Emulator

# --- create and validate --------------------------------------------------------------------


def _flow_or_error(emu: Emulator, namespace: str, flow_id: str) -> Flow:
    flow = emu.flows.get(namespace, flow_id)
    if flow is None:
        raise ApiError("not-found", "Requested Flow is not found.")
    if flow.disabled:
        raise ApiError("conflict", "Requested Flow is disabled.")
    return flow


def _labels(flow: Flow, request: Request, execution_id: str) -> list[dict[str, str]]:
    labels = list(flow.labels)
    for text in request.args.getlist("labels"):
        key, value = split_label(text)
        if key.startswith("system.") and key != "system.correlationId":
            raise ApiError(
                "invalid-argument",
                f"System labels can only be set by Kestra itself, offending label: {key}={value}",
            )
        labels.append({"key": key, "value": value})
    if not any(label["key"] == "system.correlationId" for label in labels):
        labels.append({"key": "system.correlationId", "value": execution_id})
    return labels


def _resolve(
    emu: Emulator, definitions: list[dict[str, Any]], request: Request, execution: dict[str, str]
) -> list[InputResult]:
    submitted, uploads = form_parts(request)

    def file_uri(input_id: str, file_name: str) -> str:
        return input_file_uri(
            execution["namespace"], execution["flowId"], execution["id"], input_id, file_name
        )

    context = {
        "flow": {"id": execution["flowId"], "namespace": execution["namespace"]},
        "execution": {"id": execution["id"]},
    }
    return InputResolver(definitions, submitted, uploads, file_uri, context).resolve_all()


def _raise_invalid(results: list[InputResult]) -> None:
    errors = cause_messages(results)
    if errors:
        raise ApiError("invalid-entity", ", ".join(m for _, m in errors), errors=errors)


def create_execution(emu: Emulator, request: Request, namespace: str, flow_id: str) -> Response:
    flow = _flow_or_error(emu, namespace, flow_id)
    execution_id = new_id()
    labels = _labels(flow, request, execution_id)
    coordinates = {"id": execution_id, "namespace": flow.namespace, "flowId": flow.id}
    results = _resolve(emu, flow.inputs, request, coordinates)
    _raise_invalid(results)
    execution = new_execution(
        flow,
        execution_id=execution_id,
        labels=labels,
        resolver_results=results,
        schedule_date=request.args.get("scheduleDate"),
        kind=request.args.get("kind"),
    )
    store_uploads(emu.storage, execution, results)
    body = execution.to_json(dialect=emu.dialect)  # taken before the engine moves it on
    emu.engine.start(execution, flow)
    if request.args.get("wait", "false").lower() == "true":
        body = _wait_until_stopped(emu, execution)
    if emu.faults.roll_fail_after_create():
        raise ApiError("internal-error", "Injected failure after the execution was created")
    body["url"] = f"{request.host_url}ui/main/executions/{flow.namespace}/{flow.id}/{execution.id}"
    return json_response(body)


def _wait_until_stopped(emu: Emulator, execution: Execution) -> dict[str, Any]:
    with emu.engine.lock:
        while not execution.stopped:
            emu.engine.changed.wait(timeout=1)
        return execution.to_json(dialect=emu.dialect)


def validate_response(
    emu: Emulator, flow_id: str, namespace: str, results: list[InputResult]
) -> Response:
    body: dict[str, Any] = {
        "id": flow_id,
        "namespace": namespace,
        "inputs": [r.to_json(dialect=emu.dialect) for r in results],
    }
    if emu.dialect == "2.0":
        body["checks"] = []
    return json_response(body)


def validate_new(emu: Emulator, request: Request, namespace: str, flow_id: str) -> Response:
    flow = _flow_or_error(emu, namespace, flow_id)
    execution_id = new_id()
    _labels(flow, request, execution_id)
    coordinates = {"id": execution_id, "namespace": flow.namespace, "flowId": flow.id}
    results = _resolve(emu, flow.inputs, request, coordinates)
    return validate_response(emu, flow.id, flow.namespace, results)


# --- read ------------------------------------------------------------------------------------


def get_execution(emu: Emulator, request: Request, execution_id: str) -> Response:
    return json_response(execution_json(emu, execution_or_404(emu, execution_id)))


def _matches(execution: Execution, field: str, op: str, key: str | None, value: str) -> bool:
    if field == "labels":
        if key is None:
            key, _, value = value.partition(":")
        found = any(lb["key"] == key and lb["value"] == value for lb in execution.labels)
        return not found if op == "NOT_EQUALS" else found
    actual = {
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "state": execution.state.current,
    }.get(field)
    if actual is None:
        return True  # fields the emulator does not index (timeRange, scope, …) filter nothing
    values = [v.strip() for v in value.split(",")]
    checks = {
        "EQUALS": actual == value,
        "NOT_EQUALS": actual != value,
        "IN": actual in values,
        "NOT_IN": actual not in values,
        "STARTS_WITH": actual.startswith(value),
        "PREFIX": actual == value or actual.startswith(value + "."),
        "CONTAINS": value in actual,
        "ENDS_WITH": actual.endswith(value),
    }
    if op not in checks:
        raise ApiError("invalid-query-filters", f"Operation {op} is not supported on {field}")
    return checks[op]


def _flat_filters(request: Request) -> list[tuple[str, str, str | None, str]]:
    """≤1.3 flat parameters; a 2.0 server silently ignores them (reference §0)."""
    out: list[tuple[str, str, str | None, str]] = []
    if request.args.get("namespace"):
        out.append(("namespace", "PREFIX", None, request.args["namespace"]))
    if request.args.get("flowId"):
        out.append(("flowId", "EQUALS", None, request.args["flowId"]))
    states = [s for v in request.args.getlist("state") for s in v.split(",") if s]
    if states:
        out.append(("state", "IN", None, ",".join(states)))
    for text in request.args.getlist("labels"):
        key, value = split_label(text)
        out.append(("labels", "EQUALS", key, value))
    return out


def _positive_int(request: Request, name: str, default: int) -> int:
    try:
        return max(int(request.args.get(name) or default), 1)
    except ValueError:
        raise ApiError("bad-request", f"Invalid value for `{name}`") from None


def search_executions(emu: Emulator, request: Request) -> Response:
    criteria = [
        (f, op, key, v) for f, items in parse_filters(request).items() for op, key, v in items
    ]
    if emu.dialect != "2.0":
        criteria += _flat_filters(request)
    found = [
        e for e in emu.engine.all() if all(_matches(e, f, op, key, v) for f, op, key, v in criteria)
    ]
    found.sort(key=lambda e: e.created, reverse="asc" not in request.args.get("sort", ""))
    page, size = _positive_int(request, "page", 1), _positive_int(request, "size", 10)
    chunk = found[(page - 1) * size : page * size]
    light = emu.dialect == "2.0"
    results = [execution_json(emu, e, light=light) for e in chunk]
    return json_response({"results": results, "total": len(found)})


# --- resume and kill -------------------------------------------------------------------------


def _find_task(tasks: list[dict[str, Any]], task_id: str) -> dict[str, Any] | None:
    for task in tasks:
        if task.get("id") == task_id:
            return task
        for key in ("then", "else", "tasks", "errors"):
            child = task.get(key)
            found = _find_task(child, task_id) if isinstance(child, list) else None
            if found:
                return found
    return None


def _paused_task(emu: Emulator, execution: Execution) -> tuple[Any, dict[str, Any]]:
    with emu.engine.lock:
        task_run = execution.first_paused() if execution.state.current == "PAUSED" else None
    if task_run is None:
        raise ApiError("conflict", f"Execution '{execution.id}' is not paused, can't resume it")
    flow = emu.engine.flows[execution.id]
    all_tasks = flow.tasks + list(flow.definition.get("errors") or [])
    return task_run, _find_task(all_tasks, task_run.task_id) or {}


def _resume_inputs(
    emu: Emulator, request: Request, execution: Execution, task: dict[str, Any]
) -> list[InputResult]:
    coordinates = {
        "id": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
    }
    return _resolve(emu, list(task.get("onResume") or []), request, coordinates)


def resume(emu: Emulator, request: Request, execution_id: str) -> Response:
    execution = execution_or_404(emu, execution_id)
    task_run, task = _paused_task(emu, execution)
    results = _resume_inputs(emu, request, execution, task)
    _raise_invalid(results)
    store_uploads(emu.storage, execution, results)
    emu.engine.resume(execution, task_run, values_of(results, masked=False, keep_nulls=True))
    if emu.dialect == "2.0":
        return json_response(execution_json(emu, execution))
    return Response(status=204)


def validate_resume(emu: Emulator, request: Request, execution_id: str) -> Response:
    execution = execution_or_404(emu, execution_id)
    _task_run, task = _paused_task(emu, execution)
    results = _resume_inputs(emu, request, execution, task)
    return validate_response(emu, execution.flow_id, execution.namespace, results)


def kill(emu: Emulator, request: Request, execution_id: str) -> Response:
    execution = execution_or_404(emu, execution_id, empty_13=True)
    cascade = request.args.get("isOnKillCascade", "true").lower() != "false"
    with emu.engine.lock:
        finished = execution.state.terminated
    if finished and not cascade:
        raise ApiError("conflict", "Execution is already finished, can't kill it")
    if not finished:
        emu.engine.kill(execution)
    if emu.dialect == "2.0":
        return json_response(execution_json(emu, execution))
    return Response(status=202)


# --- labels of an ended execution ----------------------------------------------------------


def _sent_labels(request: Request) -> list[dict[str, str]]:
    body = request.get_json(silent=True)
    if not isinstance(body, list) or not all(
        isinstance(label, dict)
        and isinstance(label.get("key"), str)
        and isinstance(label.get("value"), str)
        for label in body
    ):
        raise ApiError("invalid-entity", "the body must be a list of {key, value} labels")
    return [{"key": label["key"], "value": label["value"]} for label in body]


def set_labels(emu: Emulator, request: Request, execution_id: str) -> Response:
    """The execution's labels become the ones sent plus its own ``system.*`` ones."""
    sent = _sent_labels(request)
    execution = execution_or_404(emu, execution_id, empty_13=True)
    with emu.engine.lock:
        if not execution.state.terminated:
            raise ApiError("bad-request", "The execution is not terminated", plain_text_in_13=True)
        system = [label for label in execution.labels if label["key"].startswith("system.")]
        for label in sent:
            if label["key"].startswith("system.") and label not in system:
                raise ApiError(
                    "invalid-argument",
                    "System labels can only be set by Kestra itself, offending label: "
                    f"{label['key']}={label['value']}",
                )
        execution.labels = sent + [label for label in system if label not in sent]
    return json_response(execution_json(emu, execution))


# --- follow (SSE) ----------------------------------------------------------------------------


def _follow_events(emu: Emulator, execution: Execution) -> Iterator[bytes]:
    """``start`` stub, then ``progress`` per change, then ``end`` once stopped (not PAUSED)."""
    engine = emu.engine
    yield frame("start", {"id": execution.id})
    with engine.lock:
        snapshot, stopped = execution.to_json(dialect=emu.dialect), execution.stopped
    if stopped:
        yield frame("end", snapshot)
        return
    yield frame("progress", snapshot)
    last, idle_since = snapshot, time.monotonic()
    while time.monotonic() - idle_since < FOLLOW_IDLE_TIMEOUT_S:
        with engine.lock:
            # A change made while the last frame was being sent has been notified already:
            # wait for the next one only when there is none.
            snapshot, stopped = execution.to_json(dialect=emu.dialect), execution.stopped
            if snapshot == last and not stopped:
                engine.changed.wait(timeout=1)
                snapshot, stopped = execution.to_json(dialect=emu.dialect), execution.stopped
        if stopped:
            yield frame("end", snapshot)
            return
        if snapshot != last:
            last, idle_since = snapshot, time.monotonic()
            yield frame("progress", snapshot)
        else:
            yield b""


def follow(emu: Emulator, request: Request, execution_id: str) -> Response:
    refuse_if_asked(emu)
    execution = execution_or_404(emu, execution_id)
    return event_stream(emu, request, _follow_events(emu, execution))
