"""Every example flow runs, and each task type behaves as in Kestra."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import Kestra


def _runs(execution: dict) -> dict[str, dict]:
    return {t["taskId"]: t for t in execution.get("taskRunList", [])}


def _messages(kestra: Kestra, execution_id: str, **params: str) -> list[str]:
    return [e["message"] for e in kestra.get(f"/logs/{execution_id}", params=params).json()]


def test_feedback_returns_a_value_and_a_flow_output(any_kestra: Kestra) -> None:
    created = any_kestra.create("feedback", {"email": "ann@example.com", "rating": "5"})
    done = any_kestra.wait_for(created["id"])
    assert done["state"]["current"] == "SUCCESS"
    assert done["inputs"]["newsletter"] is False  # BOOL default
    expected = {"message": "Thanks ann@example.com, you rated us 5/5"}
    if any_kestra.dialect == "2.0":
        assert any_kestra.get(f"/outputs/executions/{created['id']}").json() == expected
    else:
        assert done["outputs"] == expected


def test_it_ticket_output_values_and_warn_log(kestra: Kestra) -> None:
    created = kestra.create("it_ticket", {"title": "Printer broken", "kind": "Bug"})
    done = kestra.wait_for(created["id"])
    assert done["state"]["current"] == "SUCCESS"
    ticket = f"IT-{created['id']}"
    assert kestra.get(f"/outputs/executions/{created['id']}").json() == {"ticket": ticket}
    register = _runs(done)["register"]
    values = kestra.get(f"/outputs/tasks/{created['id']}/{register['id']}").json()
    assert values == {"values": {"ticket": ticket}}
    logs = kestra.get(f"/logs/{created['id']}").json()
    assert logs == [
        {
            **logs[0],
            "level": "WARN",
            "taskId": "route",
            "message": f"Ticket {ticket} (Bug) routed to the help desk",
        }
    ]


def test_nightly_job_if_else_branch_succeeds(kestra: Kestra) -> None:
    done = kestra.wait_for(kestra.create("nightly_job", {"seconds": "0"})["id"])
    assert done["state"]["current"] == "SUCCESS"
    runs = _runs(done)
    assert set(runs) == {"work", "check", "ok"}
    assert runs["ok"]["parentTaskRunId"] == runs["check"]["id"]
    assert "attempts" not in runs["check"]  # a flowable task has no attempts
    assert _messages(kestra, done["id"]) == ["Nightly job finished"]


def test_nightly_job_fail_task_fails_the_execution(kestra: Kestra) -> None:
    created = kestra.create("nightly_job", {"seconds": "0", "should_fail": "true"})
    done = kestra.wait_for(created["id"])
    assert done["state"]["current"] == "FAILED"
    runs = _runs(done)
    assert runs["boom"]["state"]["current"] == "FAILED"
    assert runs["check"]["state"]["current"] == "FAILED"
    assert kestra.get(f"/outputs/executions/{created['id']}").json() == {}
    assert _messages(
        kestra, created["id"], **{"filters[level][GREATER_THAN_OR_EQUAL_TO]": "ERROR"}
    ) == ["The nightly job failed on purpose"]


def test_sleep_takes_real_time(kestra: Kestra) -> None:
    done = kestra.wait_for(kestra.create("nightly_job", {"seconds": "1"})["id"])
    work = _runs(done)["work"]
    assert work["state"]["duration"].startswith("PT1.")


def test_data_request_and_vacation_examples_run(kestra: Kestra) -> None:
    data = kestra.wait_for(kestra.create("data_request")["id"])
    assert data["state"]["current"] == "SUCCESS"
    vacation = kestra.create(
        "vacation_request",
        {
            "request.name": "Bo",
            "request.start_date": "2026-08-01",
            "request.end_date": "2026-08-02",
        },
    )
    kestra.wait_for(vacation["id"], {"PAUSED"})
    kestra.post(f"/executions/{vacation['id']}/actions/resume")
    assert kestra.wait_for(vacation["id"])["state"]["current"] == "SUCCESS"
    outputs = kestra.get(f"/outputs/executions/{vacation['id']}").json()
    assert outputs == {"decision_comment": "Enjoy your time off"}
    summary = _runs(kestra.execution(vacation["id"]))["summary"]
    uri = kestra.get(f"/outputs/tasks/{vacation['id']}/{summary['id']}").json()["uri"]
    text = kestra.get(f"/executions/{vacation['id']}/file", params={"path": uri}).text
    assert text == "Bo asks for 2026-08-01 to 2026-08-02"


def test_allow_failure_warns_and_a_render_error_fails_and_runs_error_tasks(
    kestra: Kestra,
) -> None:
    done = kestra.wait_for(kestra.create("errors")["id"])
    assert done["state"]["current"] == "FAILED"
    runs = _runs(done)
    assert runs["optional"]["state"]["current"] == "WARNING"
    assert runs["bad_expression"]["state"]["current"] == "FAILED"
    assert runs["cleanup"]["state"]["current"] == "SUCCESS"
    messages = _messages(kestra, done["id"])
    assert messages[0] == "not fatal"
    assert "inputs" in messages[1] and messages[-1] == "cleaning up"


@pytest.fixture
def file_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = b"a,b\n1,2\n" if self.path == "/report.csv" else b"missing"
            self.send_response(200 if self.path == "/report.csv" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_download_fetches_over_http_into_storage(kestra: Kestra, file_server: str) -> None:
    created = kestra.create("download", {"url": f"{file_server}/report.csv"})
    done = kestra.wait_for(created["id"])
    assert done["state"]["current"] == "SUCCESS"
    outputs = kestra.get(f"/outputs/executions/{created['id']}").json()
    assert outputs["size"] == 8
    assert outputs["file"].endswith("/tasks/fetch/" + _runs(done)["fetch"]["id"] + "/report.csv")
    content = kestra.get(f"/executions/{created['id']}/file", params={"path": outputs["file"]})
    assert content.content == b"a,b\n1,2\n"


def test_download_of_a_missing_file_fails(kestra: Kestra, file_server: str) -> None:
    done = kestra.wait_for(kestra.create("download", {"url": f"{file_server}/nope"})["id"])
    assert done["state"]["current"] == "FAILED"
    assert "HTTP 404" in _messages(kestra, done["id"])[0]
