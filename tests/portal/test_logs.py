"""Log lines: one per event, JSON with LOG_FORMAT=json, naming the execution, its Kestra id
and its app where known, and never a value a person typed."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from executions import services, tasks
from kestra_apps.logs import ContextFilter, JsonFormatter
from tests.conftest import ROOT, import_example

SECRET_TITLE = "hunter2 is the VPN password"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the console handler writes with LOG_FORMAT=json, as the settings build it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield out
    root.removeHandler(handler)


def _entries(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_lines_about_an_execution_name_it_and_never_what_was_typed(
    kestra, json_lines, django_capture_on_commit_callbacks
):
    app = import_example("it_ticket")
    values = {"title": SECRET_TITLE, "kind": "Bug"}
    with django_capture_on_commit_callbacks(execute=True):
        execution = services.execution_submit(app=app, values=values, shown=values)
        assert "submission stored" not in json_lines.getvalue()  # not before it is

    tasks.deliver(execution.pk)
    tasks.poll(execution.pk)

    execution.refresh_from_db()
    entries = _entries(json_lines)
    stored = [e for e in entries if e["message"].startswith("submission stored")]
    assert stored and stored[0]["execution"] == execution.token and stored[0]["app"] == app.uid
    held = [e for e in entries if e["message"].startswith("tracking hold")]
    assert [e["message"].split("kind=")[1].split()[0] for e in held] == ["deliver", "poll"]
    for entry in held:
        assert (entry["execution"], entry["kestra_id"], entry["app"]) == (
            execution.token,
            execution.kestra_id,
            app.uid,
        )
    assert SECRET_TITLE not in json_lines.getvalue()
    assert "hunter2" not in json_lines.getvalue()


def test_with_log_format_json_each_event_is_one_json_line_tracebacks_included(tmp_path):
    script = (
        "import logging\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('portal.test').exception('it broke')\n"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "PORTAL_DATA_DIR": str(tmp_path)}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "portal.test",
        "it broke",
    )
    assert "ZeroDivisionError" in entry["error"] and "Traceback" in entry["error"]
