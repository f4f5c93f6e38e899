"""Logs of an execution: list with each dialect's filters, and download as text."""

from __future__ import annotations

from .conftest import Kestra


def _finished_basics(kestra: Kestra) -> dict:
    return kestra.wait_for(kestra.create("basics", {"name": "log"})["id"])


def test_log_entries_have_kestra_fields(any_kestra: Kestra) -> None:
    done = _finished_basics(any_kestra)
    logs = any_kestra.get(f"/logs/{done['id']}").json()
    assert [(e["taskId"], e["level"], e["message"]) for e in logs] == [
        ("hello", "INFO", "Hello log"),
        ("debug", "DEBUG", "debug line"),
    ]
    hello = logs[0]
    assert hello["executionId"] == done["id"] and hello["namespace"] == "test"
    assert hello["flowId"] == "basics" and hello["tenantId"] == "main"
    assert hello["timestamp"].endswith("Z") and hello["attemptNumber"] == 0
    hello_run = next(t for t in done["taskRunList"] if t["taskId"] == "hello")
    assert hello["taskRunId"] == hello_run["id"]


def test_13_flat_filters(kestra13: Kestra) -> None:
    done = _finished_basics(kestra13)
    path = f"/logs/{done['id']}"
    assert [e["level"] for e in kestra13.get(path, params={"minLevel": "INFO"}).json()] == ["INFO"]
    by_task = kestra13.get(path, params={"taskId": "debug"}).json()
    assert [e["message"] for e in by_task] == ["debug line"]
    run_id = by_task[0]["taskRunId"]
    assert len(kestra13.get(path, params={"taskRunId": run_id}).json()) == 1
    assert len(kestra13.get(path, params={"attempt": "0"}).json()) == 2


def test_20_filters_and_ignored_flat_parameters(kestra: Kestra) -> None:
    done = _finished_basics(kestra)
    path = f"/logs/{done['id']}"
    assert len(kestra.get(path, params={"minLevel": "INFO"}).json()) == 2  # silently ignored
    info = kestra.get(path, params={"filters[level][GREATER_THAN_OR_EQUAL_TO]": "INFO"}).json()
    assert [e["message"] for e in info] == ["Hello log"]
    by_task = kestra.get(path, params={"filters[taskId][EQUALS]": "debug"}).json()
    assert [e["message"] for e in by_task] == ["debug line"]
    run = kestra.get(path, params={"filters[taskRunId][EQUALS]": by_task[0]["taskRunId"]})
    assert len(run.json()) == 1


def test_logs_download_as_text(any_kestra: Kestra) -> None:
    done = _finished_basics(any_kestra)
    response = any_kestra.get(f"/logs/{done['id']}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert f'filename="{done["id"]}.log"' in response.headers["Content-Disposition"]
    lines = response.text.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("INFO [hello] Hello log") and lines[0][:4].isdigit()


def test_logs_of_an_unknown_execution_are_empty(kestra: Kestra) -> None:
    response = kestra.get("/logs/unknownExecution1234")
    assert response.status_code == 200 and response.json() == []
