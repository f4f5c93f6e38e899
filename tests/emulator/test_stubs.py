"""Tasks the emulator does not run: stubbed, with outputs from the flow's side file.

Over HTTP, with flows written for Kestra (Slack, HTTP requests, scripts), as the demo runs
them; see kestra_emulator/README.md, "Tasks the emulator does not run".
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kestra_emulator.server import create_app, start_in_thread

from .conftest import ROOT, Kestra

EXAMPLE_FLOWS = ROOT / "examples" / "flows"
SLACK = "io.kestra.plugin.notifications.slack.SlackIncomingWebhook"
REQUEST = "io.kestra.plugin.core.http.Request"

FLOW = f"""\
id: stubbed
namespace: test
inputs:
  - id: name
    type: STRING
    defaults: Ada
tasks:
  - id: call_api
    type: {REQUEST}
    uri: https://api.example.com/users/{{{{ inputs.name }}}}
  - id: notify
    type: {SLACK}
    url: https://hooks.slack.com/services/x
    payload: '{{"text": "hi"}}'
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Got {{{{ outputs.call_api.body ?? 'nothing' }}}}"
"""

Folder = Callable[..., Kestra]


@pytest.fixture
def emulator_on(tmp_path: Path) -> Iterator[Folder]:
    """An emulator over a folder of flows the test writes."""
    started = []

    def start(folder: Path) -> Kestra:
        emulator = create_app(flows_dir=folder, dialect="2.0", basic_auth=None, storage_dir=None)
        server, base_url = start_in_thread(emulator)
        started.append((server, emulator))
        return Kestra(base_url=base_url, emulator=emulator, dialect="2.0")

    yield start
    for server, emulator in started:
        emulator.shutdown()
        server.shutdown()


def _write(folder: Path, stubs: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "test.stubbed.yml").write_text(FLOW)
    if stubs is not None:
        (folder / "test.stubbed.stubs.yml").write_text(stubs)
    return folder


def _runs(execution: dict) -> dict[str, dict]:
    return {t["taskId"]: t for t in execution["taskRunList"]}


def _logs(kestra: Kestra, execution_id: str) -> list[tuple[str, str, str]]:
    logs = kestra.get(f"/logs/{execution_id}").json()
    return [(e["taskId"], e["level"], e["message"]) for e in logs]


def _outputs(kestra: Kestra, execution: dict, task_id: str) -> dict:
    run = _runs(execution)[task_id]
    response = kestra.get(f"/outputs/tasks/{execution['id']}/{run['id']}")
    assert response.status_code == 200, response.text
    return response.json()


def test_without_stubs_unknown_tasks_succeed_with_no_outputs_and_a_log_line(
    emulator_on: Folder, tmp_path: Path
) -> None:
    kestra = emulator_on(_write(tmp_path / "flows"))

    done = kestra.wait_for(kestra.create("stubbed")["id"])

    assert done["state"]["current"] == "SUCCESS"
    assert [_runs(done)[t]["state"]["current"] for t in ("call_api", "notify", "say")] == [
        "SUCCESS"
    ] * 3
    assert _logs(kestra, done["id"]) == [
        ("call_api", "INFO", f"Stubbed by the emulator: {REQUEST} does not run here; no outputs"),
        ("notify", "INFO", f"Stubbed by the emulator: {SLACK} does not run here; no outputs"),
        ("say", "INFO", "Got nothing"),
    ]


def test_the_side_file_gives_a_task_its_outputs_rendered_with_the_inputs(
    emulator_on: Folder, tmp_path: Path
) -> None:
    stubs = "call_api:\n  outputs:\n    code: 200\n    body: 'user {{ inputs.name | upper }}'\n"
    kestra = emulator_on(_write(tmp_path / "flows", stubs))

    done = kestra.wait_for(kestra.create("stubbed", {"name": "grace"})["id"])

    assert done["state"]["current"] == "SUCCESS"
    assert _outputs(kestra, done, "call_api") == {"code": 200, "body": "user GRACE"}
    assert _logs(kestra, done["id"])[0] == (
        "call_api",
        "INFO",
        f"Stubbed by the emulator: {REQUEST}; outputs from test.stubbed.stubs.yml",
    )
    assert _logs(kestra, done["id"])[-1] == ("say", "INFO", "Got user GRACE")


def test_a_stub_may_fail_its_task_and_take_time(emulator_on: Folder, tmp_path: Path) -> None:
    stubs = "notify:\n  state: FAILED\n  duration: PT0.4S\n"
    kestra = emulator_on(_write(tmp_path / "flows", stubs))

    created = kestra.create("stubbed")
    running = kestra.wait_for(created["id"], {"RUNNING"})
    done = kestra.wait_for(created["id"])

    assert running["state"]["current"] == "RUNNING"
    assert done["state"]["current"] == "FAILED"
    assert _runs(done)["notify"]["state"]["current"] == "FAILED"
    assert "say" not in _runs(done)  # a failed task stops the flow, as in Kestra
    started = _runs(done)["notify"]["state"]["histories"]
    took = _seconds(started[-1]["date"]) - _seconds(started[0]["date"])
    assert took >= 0.4


def test_a_broken_side_file_fails_the_tasks_that_need_it_with_the_reason(
    emulator_on: Folder, tmp_path: Path
) -> None:
    kestra = emulator_on(_write(tmp_path / "flows", "call_api:\n  output: {code: 200}\n"))

    done = kestra.wait_for(kestra.create("stubbed")["id"])

    assert done["state"]["current"] == "FAILED"
    assert _logs(kestra, done["id"]) == [
        (
            "call_api",
            "ERROR",
            f"Task `call_api` ({REQUEST}) needs a stub: test.stubbed.stubs.yml: call_api: "
            "unknown key output; expected one of outputs, state, duration",
        )
    ]


def test_an_edited_side_file_applies_to_the_next_execution_without_a_new_revision(
    emulator_on: Folder, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "flows", "call_api:\n  outputs: {body: first}\n")
    kestra = emulator_on(folder)
    first = kestra.wait_for(kestra.create("stubbed")["id"])

    (folder / "test.stubbed.stubs.yml").write_text("call_api:\n  outputs: {body: second}\n")
    second = kestra.wait_for(kestra.create("stubbed")["id"])

    assert _outputs(kestra, first, "call_api") == {"body": "first"}
    assert _outputs(kestra, second, "call_api") == {"body": "second"}
    assert kestra.get("/flows/test/stubbed").json()["revision"] == 1
    assert kestra.get("/flows/test/stubbed.stubs").status_code == 404


def test_kestras_kind_of_flow_in_the_examples_runs_unchanged_with_its_stubs(
    emulator_on: Folder, tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    for name in ("demo.price_quote.yml", "demo.price_quote.stubs.yml"):
        shutil.copy(EXAMPLE_FLOWS / name, folder)
    kestra = emulator_on(folder)

    created = kestra.create("price_quote", {"product": "desk", "quantity": "2"}, namespace="demo")
    done = kestra.wait_for(created["id"])

    assert done["state"]["current"] == "SUCCESS"
    assert kestra.get(f"/outputs/executions/{done['id']}").json() == {"total": 840}
    logs = _logs(kestra, done["id"])
    assert ("log_total", "INFO", "Quote: 2 x desk = 840 EUR") in logs
    assert (
        "announce",
        "INFO",
        f"Stubbed by the emulator: {SLACK} does not run here; no outputs",
    ) in logs


def _seconds(date: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()
