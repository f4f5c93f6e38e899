"""Configs, flows, logs, execution files and (2.0) outputs endpoints."""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .flows import flow_to_json
from .jsonutil import jsonable
from .model import LOG_LEVELS, Execution, LogEntry
from .storage import SCHEME, execution_prefix
from .streams import FOLLOW_IDLE_TIMEOUT_S, event_stream, frame, refuse_if_asked
from .web import execution_or_404, json_response, parse_filters

if TYPE_CHECKING:
    from .server import Emulator

VERSIONS = {"1.3": "1.3.14", "2.0": "2.0.1"}
PREVIEW_INITIAL_ROWS = 100
PREVIEW_MAX_ROWS = 5000
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "svg", "gif", "bmp", "webp"}


def configs(emu: Emulator, request: Request) -> Response:
    return json_response(
        {
            "version": VERSIONS[emu.dialect],
            "edition": "OSS",
            "commitId": "emulator",
            "isBasicAuthEnabled": emu.basic_auth is not None,
            "isTaskRunEnabled": False,
            "isAnonymousUsageEnabled": False,
            "isUiAnonymousUsageEnabled": False,
            "initial-preview-rows": PREVIEW_INITIAL_ROWS,
            "max-preview-rows": PREVIEW_MAX_ROWS,
        }
    )


def get_flow(emu: Emulator, request: Request, namespace: str, flow_id: str) -> Response:
    flow = emu.flows.get(namespace, flow_id)
    if flow is None:
        raise ApiError("not-found", f"Flow '{namespace}.{flow_id}' not found.")
    with_source = request.args.get("source", "false").lower() == "true"
    return json_response(flow_to_json(flow, dialect=emu.dialect, with_source=with_source))


# --- logs ------------------------------------------------------------------------------------


def _log_criteria(emu: Emulator, request: Request) -> dict[str, str]:
    """One set of criteria from either dialect's parameters (2.0 ignores the flat ones)."""
    if emu.dialect != "2.0":
        flat = {
            "level": request.args.get("minLevel"),
            "taskId": request.args.get("taskId"),
            "taskRunId": request.args.get("taskRunId"),
            "attemptNumber": request.args.get("attempt"),
        }
        return {k: v for k, v in flat.items() if v}
    criteria: dict[str, str] = {}
    for field, items in parse_filters(request).items():
        for op, _key, value in items:
            if field == "level" and op in ("GREATER_THAN_OR_EQUAL_TO", "EQUALS"):
                criteria["level" if op != "EQUALS" else "levelExact"] = value
            elif field in ("taskId", "taskRunId", "attemptNumber") and op == "EQUALS":
                criteria[field] = value
    return criteria


def _log_matches(entry: LogEntry, criteria: dict[str, str]) -> bool:
    level = criteria.get("level", "").upper()
    if level in LOG_LEVELS and LOG_LEVELS.index(entry.level) < LOG_LEVELS.index(level):
        return False
    if "levelExact" in criteria and entry.level != criteria["levelExact"].upper():
        return False
    task_run = entry.task_run
    if "taskId" in criteria and (task_run is None or task_run.task_id != criteria["taskId"]):
        return False
    if "taskRunId" in criteria and (task_run is None or task_run.id != criteria["taskRunId"]):
        return False
    return "attemptNumber" not in criteria or (
        task_run is not None and criteria["attemptNumber"] == "0"
    )


def _logs(emu: Emulator, request: Request, execution_id: str) -> list[LogEntry]:
    execution = emu.engine.get(execution_id)
    if execution is None:
        return []  # Kestra queries the log repository without checking the execution
    criteria = _log_criteria(emu, request)
    with emu.engine.lock:
        return [e for e in execution.logs if _log_matches(e, criteria)]


def list_logs(emu: Emulator, request: Request, execution_id: str) -> Response:
    entries = _logs(emu, request, execution_id)
    with emu.engine.lock:
        return json_response([e.to_json() for e in entries])


def _follow_logs(emu: Emulator, execution_id: str, criteria: dict[str, str]) -> Iterator[bytes]:
    """An empty ``start`` entry, every stored log, then each new one; never an ``end``:
    Kestra's logs stream does not close when the execution ends (reference §7.3)."""
    engine = emu.engine
    start: dict[str, Any] = {"deleted": False, "attemptNumber": None}
    if emu.dialect == "2.0":
        start["tenantId"] = "main"
    yield frame("start", start)
    sent, idle_since = 0, time.monotonic()
    while time.monotonic() - idle_since < FOLLOW_IDLE_TIMEOUT_S:
        with engine.lock:
            execution = engine.get(execution_id)
            entries = execution.logs[sent:] if execution is not None else []
            if not entries:
                engine.changed.wait(timeout=1)
            sent += len(entries)
            found = [e.to_json() for e in entries if _log_matches(e, criteria)]
        for entry in found:
            yield frame("progress", entry)
        if entries:
            idle_since = time.monotonic()
        yield b""


def follow_logs(emu: Emulator, request: Request, execution_id: str) -> Response:
    refuse_if_asked(emu)
    criteria = _log_criteria(emu, request)
    return event_stream(emu, request, _follow_logs(emu, execution_id, criteria))


def download_logs(emu: Emulator, request: Request, execution_id: str) -> Response:
    entries = _logs(emu, request, execution_id)
    execution = emu.engine.get(execution_id)
    headers = {"Content-Disposition": f'attachment; filename="{execution_id}.log"'}
    if execution is not None and not execution.stopped:
        headers["Cache-Control"] = "no-cache"
    text = "".join(e.as_line() + "\n" for e in entries)
    return Response(text, content_type="text/plain; charset=utf-8", headers=headers)


# --- files -----------------------------------------------------------------------------------


def _checked_path(emu: Emulator, request: Request, execution: Execution) -> str | Response:
    """The ``kestra:///`` path if it belongs to the execution; a redirect for a sibling."""
    path = request.args.get("path", "")
    if not path.startswith(SCHEME + "/"):
        raise ApiError("invalid-argument", "Invalid prefix path")
    if path.startswith(execution_prefix(execution.namespace, execution.flow_id, execution.id)):
        return path
    other = _other_execution(emu, path)
    if other is not None:
        # Files of another execution (a subflow's) are served at that execution's URL.
        location = request.path.replace(f"/executions/{execution.id}/", f"/executions/{other}/", 1)
        query = urllib.parse.urlencode(request.args, doseq=True)
        return redirect(f"{location}?{query}", code=301)
    raise ApiError("invalid-argument", "Invalid prefix path")


def _other_execution(emu: Emulator, path: str) -> str | None:
    for candidate in emu.engine.all():
        prefix = execution_prefix(candidate.namespace, candidate.flow_id, candidate.id)
        if path.startswith(prefix):
            return candidate.id
    return None


def _read(emu: Emulator, path: str) -> bytes:
    try:
        return emu.storage.read(path)
    except (FileNotFoundError, ValueError):
        raise ApiError("not-found", f"File '{path}' not found.") from None


def download_file(emu: Emulator, request: Request, execution_id: str) -> Response:
    checked = _checked_path(emu, request, execution_or_404(emu, execution_id))
    if isinstance(checked, Response):
        return checked
    name = checked.rsplit("/", 1)[-1]
    return Response(
        _read(emu, checked),
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def file_metas(emu: Emulator, request: Request, execution_id: str) -> Response:
    checked = _checked_path(emu, request, execution_or_404(emu, execution_id))
    if isinstance(checked, Response):
        return checked
    return json_response({"size": len(_read(emu, checked))})


def preview_file(emu: Emulator, request: Request, execution_id: str) -> Response:
    checked = _checked_path(emu, request, execution_or_404(emu, execution_id))
    if isinstance(checked, Response):
        return checked
    content = _read(emu, checked)
    try:
        max_rows = int(request.args.get("maxRows") or PREVIEW_INITIAL_ROWS)
    except ValueError:
        raise ApiError("bad-request", "maxRows must be an integer") from None
    max_rows = min(max(max_rows, 1), PREVIEW_MAX_ROWS)
    encoding = request.args.get("encoding") or "UTF-8"
    return json_response(file_render(checked, content, max_rows=max_rows, encoding=encoding))


def file_render(path: str, content: bytes, *, max_rows: int, encoding: str) -> dict[str, Any]:
    """Kestra's ``FileRender``: images as base64, markdown, pdf, everything else as text."""
    name = path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in IMAGE_EXTENSIONS:
        return {
            "extension": extension,
            "type": "IMAGE",
            "content": base64.b64encode(content).decode(),
            "truncated": False,
        }
    if extension == "pdf":
        return {
            "extension": extension,
            "type": "PDF",
            "content": base64.b64encode(content).decode(),
            "truncated": False,
        }
    try:
        text = content.decode(encoding, errors="replace")
    except LookupError:
        raise ApiError("invalid-argument", f"Unsupported encoding: {encoding}") from None
    lines = text.splitlines(keepends=True)
    truncated = len(lines) > max_rows
    kind = "MARKDOWN" if extension == "md" else "TEXT"
    return {
        "extension": extension,
        "type": kind,
        "content": "".join(lines[:max_rows]),
        "truncated": truncated,
    }


# --- namespace files --------------------------------------------------------------------------


def namespace_file(emu: Emulator, request: Request, namespace: str) -> Response:
    """``GET namespaces/{namespace}/files?path=/logo.svg``: the content, as octet-stream
    (``NamespaceFileController#file``); 404 for a missing file, 422 for a forbidden path."""
    path = request.args.get("path")
    if not path:
        raise ApiError("bad-request", "Required QueryValue [path] not specified")
    try:
        content = emu.namespace_files.read(namespace, path)
    except ValueError:
        raise ApiError("invalid-argument", f"Forbidden path: {path}") from None
    except FileNotFoundError:
        raise ApiError("not-found", f"File '{path}' not found.") from None
    return Response(content, content_type="application/octet-stream")


# --- outputs (2.0) -------------------------------------------------------------------------


def execution_outputs(emu: Emulator, request: Request, execution_id: str) -> Response:
    execution = execution_or_404(emu, execution_id)
    with emu.engine.lock:
        return json_response(jsonable(execution.outputs))


def task_outputs_information(emu: Emulator, request: Request, execution_id: str) -> Response:
    execution = execution_or_404(emu, execution_id)
    with emu.engine.lock:
        items = [
            {"taskId": t.task_id, "taskRunId": t.id, "inline": True}
            for t in execution.task_runs
            if t.outputs
        ]
    return json_response(items)


def task_run_outputs(
    emu: Emulator, request: Request, execution_id: str, task_run_id: str
) -> Response:
    execution = execution_or_404(emu, execution_id)
    with emu.engine.lock:
        task_run = execution.task_run(task_run_id)
        if task_run is None:
            raise ApiError("not-found", f"Task run '{task_run_id}' not found.")
        return json_response(jsonable(task_run.outputs or {}))
