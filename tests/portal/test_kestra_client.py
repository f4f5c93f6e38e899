"""The portal's Kestra client against the emulator, in both API dialects, over real HTTP.

Pure HTTP: no database. Every test runs once per dialect ("1.3" and "2.0") and asserts what a
user of the client would notice: states reached, outputs, logs, file bytes, typed errors.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from executions.kestra import client as client_module
from executions.kestra.client import Dialect, KestraClient
from executions.kestra.errors import KestraNotFound, KestraRejected, KestraUnavailable
from executions.kestra.streams import KestraStreams
from kestra_emulator.server import Emulator, create_app, start_in_thread
from tests.portal.test_live_channel import in_own_loop

TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}
VERSIONS = {"1.3": "1.3.14", "2.0": "2.0.1"}

# Small flows of our own: no sleeps where none is needed, so each test takes a fraction of a
# second; `slow` sleeps long enough to be killed while running.
FLOWS = {
    "test.hello.yml": """\
id: hello
namespace: test
inputs:
  - id: name
    type: STRING
  - id: rows
    type: INT
    min: 1
    max: 10
    defaults: 2
  - id: upload
    type: FILE
    required: false
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}"
  - id: trace
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    message: "debug detail"
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "{{ inputs.rows }} rows is few"
  - id: shout
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name | upper }}"
  - id: extract
    type: io.kestra.plugin.core.storage.Write
    extension: .csv
    content: |-
      {% for n in range(0, inputs.rows - 1) %}{{ n }},{{ inputs.name }}
      {% endfor %}
outputs:
  - id: loud
    type: STRING
    value: "{{ outputs.shout.value }}"
  - id: data
    type: FILE
    value: "{{ outputs.extract.uri }}"
""",
    "test.approval.yml": """\
id: approval
namespace: test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
      - id: comment
        type: STRING
        defaults: "no comment"
  - id: decide
    type: io.kestra.plugin.core.flow.If
    condition: "{{ outputs.wait.onResume.approved }}"
    then:
      - id: booked
        type: io.kestra.plugin.core.log.Log
        message: "Booked: {{ outputs.wait.onResume.comment }}"
    else:
      - id: declined
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: "Declined: {{ outputs.wait.onResume.comment }}"
""",
    "test.slow.yml": """\
id: slow
namespace: test
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
""",
}


@dataclass
class Kestra:
    """One running emulator and the way to reach it."""

    base_url: str
    emulator: Emulator
    dialect: str

    def client(self, **kwargs: Any) -> KestraClient:
        return KestraClient(base_url=self.base_url, tenant="main", timeout=5.0, **kwargs)

    def faults(self, **settings: Any) -> None:
        response = requests.post(f"{self.base_url}/_emulator/faults", json=settings, timeout=5)
        response.raise_for_status()


@pytest.fixture(autouse=True)
def _forget_versions() -> Iterator[None]:
    """The client caches each server's version per base URL; every test starts without it."""
    client_module._versions.clear()
    yield
    client_module._versions.clear()


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    for name, text in FLOWS.items():
        (folder / name).write_text(text)
    return folder


KestraFactory = Callable[..., Kestra]


@pytest.fixture
def make_kestra(flows_dir: Path, tmp_path: Path) -> Iterator[KestraFactory]:
    started: list[tuple[Any, Emulator]] = []

    def factory(dialect: str, basic_auth: tuple[str, str] | None = None) -> Kestra:
        emulator = create_app(
            flows_dir=flows_dir,
            dialect=dialect,
            basic_auth=basic_auth,
            storage_dir=tmp_path / f"storage-{len(started)}",
        )
        server, base_url = start_in_thread(emulator)
        started.append((server, emulator))
        return Kestra(base_url=base_url, emulator=emulator, dialect=dialect)

    yield factory
    for server, emulator in started:
        emulator.shutdown()
        server.shutdown()


@pytest.fixture(params=["1.3", "2.0"])
def kestra(request: pytest.FixtureRequest, make_kestra: KestraFactory) -> Kestra:
    return make_kestra(request.param)


@pytest.fixture
def client(kestra: Kestra) -> KestraClient:
    return kestra.client()


def wait_for(
    client: KestraClient, execution_id: str, states: set[str] | None = None, timeout: float = 8.0
) -> dict[str, Any]:
    """Poll with the client until the execution is in one of ``states`` (default: terminal)."""
    wanted = states or TERMINAL
    deadline = time.monotonic() + timeout
    while True:
        execution = client.execution(execution_id)
        if execution["state"]["current"] in wanted:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"still {execution['state']['current']}, wanted {wanted}")
        time.sleep(0.03)


def run_hello(client: KestraClient, **kwargs: Any) -> dict[str, Any]:
    created = client.create_execution("test", "hello", {"name": "Ann", "rows": "3"}, **kwargs)
    return wait_for(client, created["id"])


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- dialect -------------------------------------------------------------------------------


def test_it_reads_the_dialect_from_configs(kestra: Kestra, client: KestraClient) -> None:
    dialect = client.dialect()
    assert dialect.version == VERSIONS[kestra.dialect]
    assert dialect.v2 is (kestra.dialect == "2.0")


def test_it_asks_for_the_version_once_per_server(kestra: Kestra, client: KestraClient) -> None:
    client.dialect()
    kestra.faults(unreachable=True)
    # A second client of the same server reuses the cached version without asking again.
    assert kestra.client().dialect().version == VERSIONS[kestra.dialect]
    client_module._versions.clear()
    with pytest.raises(KestraUnavailable):
        kestra.client().dialect()


def test_it_asks_again_once_the_cached_version_is_old(kestra: Kestra) -> None:
    stale = Dialect("0.0.1")
    age = client_module.VERSION_TTL_SECONDS + 1
    client_module._versions[kestra.base_url] = (stale, time.monotonic() - age)
    assert kestra.client().dialect().version == VERSIONS[kestra.dialect]


def test_it_keeps_one_dialect_per_server(make_kestra: KestraFactory) -> None:
    old, new = make_kestra("1.3"), make_kestra("2.0")
    assert old.client().dialect().v2 is False
    assert new.client().dialect().v2 is True
    assert old.client().dialect().v2 is False


# --- flows and input validation -------------------------------------------------------------


def test_flow_serves_the_flow_with_its_inputs(client: KestraClient) -> None:
    flow = client.flow("test", "hello")
    assert (flow["namespace"], flow["id"]) == ("test", "hello")
    assert [i["id"] for i in flow["inputs"]] == ["name", "rows", "upload"]


def test_flow_unknown_is_not_found(client: KestraClient) -> None:
    with pytest.raises(KestraNotFound) as caught:
        client.flow("test", "nope")
    assert caught.value.status == 404


def _errors_by_input(validation: dict[str, Any]) -> dict[str, list[str]]:
    return {
        item["input"]["id"]: [e["message"] for e in item.get("errors") or []]
        for item in validation["inputs"]
    }


def test_validate_inputs_reports_errors_per_input(client: KestraClient) -> None:
    validation = client.validate_inputs("test", "hello", {"rows": "11"})
    errors = _errors_by_input(validation)
    assert errors["name"] == ["missing required input"]
    assert errors["rows"] == ["it must be less than `10`"]
    assert errors["upload"] == []


def test_validate_inputs_accepts_good_values_and_a_file(client: KestraClient) -> None:
    upload = ("notes.txt", io.BytesIO(b"hello"), "text/plain")
    validation = client.validate_inputs("test", "hello", {"name": "Ann"}, {"upload": upload})
    assert _errors_by_input(validation) == {"name": [], "rows": [], "upload": []}
    values = {item["input"]["id"]: item.get("value") for item in validation["inputs"]}
    assert values["name"] == "Ann" and values["rows"] == 2
    assert values["upload"].endswith("/inputs/upload/notes.txt")


def test_validate_inputs_creates_nothing(client: KestraClient) -> None:
    client.validate_inputs("test", "hello", {"name": "Ann"})
    assert client.find_executions("test", "hello", {}) == []


# --- create, read, outputs ------------------------------------------------------------------


def test_create_execution_runs_the_flow_to_success(client: KestraClient) -> None:
    created = client.create_execution("test", "hello", {"name": "Ann", "rows": "3"})
    assert created["state"]["current"] == "CREATED"
    assert created["inputs"] == {"name": "Ann", "rows": 3}
    done = wait_for(client, created["id"])
    assert done["state"]["current"] == "SUCCESS"
    assert [h["state"] for h in done["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]


def test_create_execution_carries_labels(client: KestraClient) -> None:
    created = client.create_execution(
        "test", "hello", {"name": "Ann"}, labels={"portal.app": "hello", "portal.submission": "s1"}
    )
    labels = {label["key"]: label["value"] for label in created["labels"]}
    assert labels["portal.app"] == "hello" and labels["portal.submission"] == "s1"
    assert labels["system.correlationId"] == created["id"]


def test_create_execution_streams_a_file_input(client: KestraClient) -> None:
    upload = ("report.csv", io.BytesIO(b"a,b\n1,2\n"), "text/csv")
    created = client.create_execution("test", "hello", {"name": "Ann"}, {"upload": upload})
    uri = created["inputs"]["upload"]
    assert uri.startswith("kestra:///test/hello/executions/") and uri.endswith("/report.csv")
    chunks, _headers = client.download(created["id"], uri)
    assert b"".join(chunks) == b"a,b\n1,2\n"


def test_create_execution_with_invalid_inputs_is_rejected(client: KestraClient) -> None:
    with pytest.raises(KestraRejected) as caught:
        client.create_execution("test", "hello", {"name": "Ann", "rows": "0"})
    assert caught.value.status == 422
    assert "Invalid value for input `rows`. Cause: it must be more than `1`" in str(caught.value)
    assert not isinstance(caught.value, KestraNotFound)


def test_create_execution_of_an_unknown_flow_is_not_found(client: KestraClient) -> None:
    with pytest.raises(KestraNotFound):
        client.create_execution("test", "nope", {})


def test_execution_unknown_is_not_found(client: KestraClient) -> None:
    with pytest.raises(KestraNotFound) as caught:
        client.execution("0" * 22)
    assert caught.value.status == 404
    assert "not found" in caught.value.message


def test_an_id_that_reads_like_a_path_stays_one_segment(client: KestraClient) -> None:
    # Unquoted, this id walked up to the flow's own endpoint and the flow came back.
    with pytest.raises(KestraNotFound):
        client.execution("../flows/test/hello")


def test_execution_outputs_are_the_flow_outputs(client: KestraClient) -> None:
    done = run_hello(client)
    outputs = client.execution_outputs(done)
    assert outputs["loud"] == "ANN"
    assert outputs["data"].startswith(f"kestra:///test/hello/executions/{done['id']}/tasks/")


def test_task_outputs_are_keyed_by_task_id(client: KestraClient) -> None:
    done = run_hello(client)
    outputs = client.task_outputs(done)
    assert set(outputs) == {"shout", "extract"}  # tasks without outputs are left out
    assert outputs["shout"] == {"value": "ANN"}
    assert outputs["extract"]["uri"] == client.execution_outputs(done)["data"]


def test_download_streams_the_file_bytes(client: KestraClient) -> None:
    done = run_hello(client)
    chunks, headers = client.download(done["id"], client.execution_outputs(done)["data"])
    assert b"".join(chunks) == b"0,Ann\n1,Ann\n2,Ann\n"
    assert headers["Content-Type"] == "application/octet-stream"


def test_download_of_a_missing_file_is_not_found(client: KestraClient) -> None:
    done = run_hello(client)
    missing = f"kestra:///test/hello/executions/{done['id']}/tasks/x/y/nothing.csv"
    with pytest.raises(KestraNotFound):
        client.download(done["id"], missing)


def test_preview_shows_the_first_rows(client: KestraClient) -> None:
    done = run_hello(client)
    uri = client.execution_outputs(done)["data"]
    assert client.preview(done["id"], uri) == {
        "extension": "csv",
        "type": "TEXT",
        "content": "0,Ann\n1,Ann\n2,Ann\n",
        "truncated": False,
    }
    short = client.preview(done["id"], uri, max_rows=2)
    assert short["content"] == "0,Ann\n1,Ann\n" and short["truncated"] is True


def test_preview_outside_the_execution_is_rejected(client: KestraClient) -> None:
    done = run_hello(client)
    with pytest.raises(KestraRejected) as caught:
        client.preview(done["id"], "kestra:///elsewhere/file.csv")
    assert caught.value.status == 422
    assert "Invalid prefix path" in caught.value.message


# --- logs ----------------------------------------------------------------------------------


def test_logs_list_every_level_by_default(client: KestraClient) -> None:
    done = run_hello(client)
    messages = [(e["level"], e["taskId"], e["message"]) for e in client.logs(done["id"])]
    assert messages == [
        ("INFO", "greet", "Hello Ann"),
        ("DEBUG", "trace", "debug detail"),
        ("WARN", "warn", "3 rows is few"),
    ]


def test_logs_filter_by_minimum_level(client: KestraClient) -> None:
    done = run_hello(client)
    assert [e["message"] for e in client.logs(done["id"], "INFO")] == [
        "Hello Ann",
        "3 rows is few",
    ]
    assert [e["message"] for e in client.logs(done["id"], "WARN")] == ["3 rows is few"]
    assert client.logs(done["id"], "ERROR") == []


# --- find by labels ------------------------------------------------------------------------


def test_find_executions_finds_exactly_the_labelled_one(client: KestraClient) -> None:
    mine = client.create_execution("test", "hello", {"name": "A"}, labels={"portal.sub": "one"})
    client.create_execution("test", "hello", {"name": "B"}, labels={"portal.sub": "two"})
    client.create_execution("test", "hello", {"name": "C"})
    found = client.find_executions("test", "hello", {"portal.sub": "one"})
    assert [e["id"] for e in found] == [mine["id"]]


def test_find_executions_needs_every_label(client: KestraClient) -> None:
    both = {"portal.app": "x", "portal.sub": "one"}
    mine = client.create_execution("test", "hello", {"name": "A"}, labels=both)
    client.create_execution("test", "hello", {"name": "B"}, labels={"portal.app": "x"})
    assert [e["id"] for e in client.find_executions("test", "hello", both)] == [mine["id"]]
    assert len(client.find_executions("test", "hello", {"portal.app": "x"})) == 2


def test_find_executions_stays_within_the_flow(client: KestraClient) -> None:
    client.create_execution("test", "hello", {"name": "A"}, labels={"portal.sub": "one"})
    assert client.find_executions("test", "slow", {"portal.sub": "one"}) == []
    assert client.find_executions("other", "hello", {"portal.sub": "one"}) == []


def test_an_execution_created_before_a_500_is_found_by_its_label(
    kestra: Kestra, client: KestraClient
) -> None:
    """The exactly-once case: Kestra created it but the answer was lost."""
    kestra.faults(fail_after_create_rate=1.0)
    with pytest.raises(KestraUnavailable):
        client.create_execution("test", "hello", {"name": "A"}, labels={"portal.sub": "lost"})
    kestra.faults(fail_after_create_rate=0.0)
    found = client.find_executions("test", "hello", {"portal.sub": "lost"})
    assert len(found) == 1
    assert wait_for(client, found[0]["id"])["state"]["current"] == "SUCCESS"


# --- pause, resume, kill -------------------------------------------------------------------


def paused_approval(client: KestraClient) -> dict[str, Any]:
    created = client.create_execution("test", "approval", {})
    return wait_for(client, created["id"], {"PAUSED"})


def test_validate_resume_reports_errors_without_resuming(client: KestraClient) -> None:
    paused = paused_approval(client)
    validation = client.validate_resume(paused["id"], {"approved": "maybe"})
    errors = _errors_by_input(validation)
    assert errors["approved"] == ["it must be a boolean (`true` or `false`), got `maybe`"]
    assert errors["comment"] == []
    assert client.execution(paused["id"])["state"]["current"] == "PAUSED"


def test_validate_resume_accepts_good_values(client: KestraClient) -> None:
    paused = paused_approval(client)
    validation = client.validate_resume(paused["id"], {"approved": "true"})
    assert _errors_by_input(validation) == {"approved": [], "comment": []}
    values = {item["input"]["id"]: item.get("value") for item in validation["inputs"]}
    assert values == {"approved": True, "comment": "no comment"}


def test_resume_approved_takes_the_then_branch(client: KestraClient) -> None:
    paused = paused_approval(client)
    client.resume(paused["id"], {"approved": "true", "comment": "Have fun"})
    done = wait_for(client, paused["id"])
    assert done["state"]["current"] == "SUCCESS"
    assert "RESTARTED" in [h["state"] for h in done["state"]["histories"]]
    assert client.task_outputs(done)["wait"]["onResume"] == {
        "approved": True,
        "comment": "Have fun",
    }
    assert [e["message"] for e in client.logs(done["id"])] == ["Booked: Have fun"]


def test_resume_declined_takes_the_else_branch(client: KestraClient) -> None:
    paused = paused_approval(client)
    client.resume(paused["id"], {"approved": "false"})
    done = wait_for(client, paused["id"])
    assert done["state"]["current"] == "FAILED"
    task_ids = {run["taskId"] for run in done["taskRunList"]}
    assert "declined" in task_ids and "booked" not in task_ids
    assert [e["message"] for e in client.logs(done["id"], "ERROR")] == ["Declined: no comment"]


def test_resume_with_invalid_values_is_rejected(client: KestraClient) -> None:
    paused = paused_approval(client)
    with pytest.raises(KestraRejected) as caught:
        client.resume(paused["id"], {"approved": "maybe"})
    assert caught.value.status == 422
    assert "Invalid value for input `approved`" in caught.value.message
    assert client.execution(paused["id"])["state"]["current"] == "PAUSED"


def test_resume_of_an_execution_not_paused_is_rejected(client: KestraClient) -> None:
    done = run_hello(client)
    with pytest.raises(KestraRejected) as caught:
        client.resume(done["id"], {})
    assert caught.value.status == 409
    assert f"Execution '{done['id']}' is not paused, can't resume it" in caught.value.message


def test_kill_ends_a_running_execution_killed(client: KestraClient) -> None:
    created = client.create_execution("test", "slow", {})
    wait_for(client, created["id"], {"RUNNING"})
    client.kill(created["id"])
    killed = wait_for(client, created["id"])
    assert killed["state"]["current"] == "KILLED"
    assert [run["state"]["current"] for run in killed["taskRunList"]] == ["KILLED"]


def test_kill_ends_a_paused_execution_killed(client: KestraClient) -> None:
    paused = paused_approval(client)
    client.kill(paused["id"])
    assert wait_for(client, paused["id"])["state"]["current"] == "KILLED"


def test_kill_of_a_finished_execution_changes_nothing(client: KestraClient) -> None:
    done = run_hello(client)
    client.kill(done["id"])
    assert client.execution(done["id"])["state"] == done["state"]


def test_kill_of_an_unknown_execution_is_not_found(client: KestraClient) -> None:
    with pytest.raises(KestraNotFound):
        client.kill("0" * 22)


# --- labels of an ended execution ------------------------------------------------------------


def labels_of(client: KestraClient, execution_id: str) -> dict[str, str]:
    return {label["key"]: label["value"] for label in client.execution(execution_id)["labels"]}


def test_set_labels_adds_to_the_labels_the_execution_had(client: KestraClient) -> None:
    done = run_hello(client, labels={"portal.submission": "s1", "portal.app": "hello"})
    client.set_labels(done["id"], {"portal.decision": "approved", "portal.decidedBy": "alice"})
    assert labels_of(client, done["id"]) == {
        "portal.submission": "s1",
        "portal.app": "hello",
        "portal.decision": "approved",
        "portal.decidedBy": "alice",
        "system.correlationId": done["id"],
    }


def test_set_labels_again_changes_the_value_it_had_set(client: KestraClient) -> None:
    done = run_hello(client, labels={"portal.submission": "s1"})
    client.set_labels(done["id"], {"portal.decision": "approved", "portal.decidedBy": "alice"})
    client.set_labels(done["id"], {"portal.decidedBy": "bob"})
    labels = labels_of(client, done["id"])
    assert labels["portal.decidedBy"] == "bob" and labels["portal.decision"] == "approved"
    assert labels["portal.submission"] == "s1"


def test_set_labels_on_a_running_execution_is_rejected(client: KestraClient) -> None:
    created = client.create_execution("test", "slow", {}, labels={"portal.submission": "s2"})
    running = wait_for(client, created["id"], {"RUNNING"})
    with pytest.raises(KestraRejected) as caught:
        client.set_labels(created["id"], {"portal.decidedBy": "alice"})
    assert caught.value.status == 400
    assert caught.value.message == "The execution is not terminated"
    assert client.execution(created["id"])["labels"] == running["labels"]
    client.kill(created["id"])


def test_set_labels_refuses_a_system_label(client: KestraClient) -> None:
    done = run_hello(client, labels={"portal.submission": "s1"})
    with pytest.raises(KestraRejected) as caught:
        client.set_labels(done["id"], {"system.readOnly": "true"})
    assert caught.value.status == 422
    assert "System labels can only be set by Kestra itself" in caught.value.message
    assert client.execution(done["id"])["labels"] == done["labels"]


def test_set_labels_of_an_unknown_execution_is_not_found(client: KestraClient) -> None:
    with pytest.raises(KestraNotFound):
        client.set_labels("0" * 22, {"portal.decidedBy": "alice"})


# --- Kestra unavailable --------------------------------------------------------------------


def test_a_5xx_is_unavailable(kestra: Kestra, client: KestraClient) -> None:
    client.dialect()
    kestra.faults(fail_rate=1.0)
    with pytest.raises(KestraUnavailable, match="503"):
        client.flow("test", "hello")


def test_a_dropped_connection_is_unavailable(kestra: Kestra, client: KestraClient) -> None:
    kestra.faults(unreachable=True)
    with pytest.raises(KestraUnavailable):
        client.flow("test", "hello")


def test_a_slow_answer_past_the_timeout_is_unavailable(kestra: Kestra) -> None:
    client = kestra.client()
    client.dialect()
    client.timeout = 0.2
    kestra.faults(latency_ms=1000)
    with pytest.raises(KestraUnavailable):
        client.execution("0" * 22)


def test_a_refused_connection_is_unavailable() -> None:
    client = KestraClient(base_url=f"http://127.0.0.1:{closed_port()}", timeout=2.0)
    with pytest.raises(KestraUnavailable):
        client.dialect()
    with pytest.raises(KestraUnavailable):
        client.flow("test", "hello")


# --- authentication ------------------------------------------------------------------------


@pytest.fixture
def guarded(request: pytest.FixtureRequest, make_kestra: KestraFactory) -> Kestra:
    return make_kestra(request.param, basic_auth=("admin", "s3cret"))


@pytest.mark.parametrize("guarded", ["1.3", "2.0"], indirect=True)
def test_basic_auth_credentials_are_sent(guarded: Kestra) -> None:
    client = guarded.client(username="admin", password="s3cret")
    assert client.dialect().version == VERSIONS[guarded.dialect]
    created = client.create_execution("test", "hello", {"name": "Ann"})
    assert wait_for(client, created["id"])["state"]["current"] == "SUCCESS"


@pytest.mark.parametrize("guarded", ["1.3", "2.0"], indirect=True)
def test_without_credentials_it_is_rejected_401(guarded: Kestra) -> None:
    with pytest.raises(KestraRejected) as caught:
        guarded.client().dialect()
    assert caught.value.status == 401
    with pytest.raises(KestraRejected) as caught:
        guarded.client(username="admin", password="wrong").flow("test", "hello")
    assert caught.value.status == 401


class HeaderRecorder:
    """A WSGI middleware keeping the Authorization header of every request."""

    def __init__(self, app: Emulator) -> None:
        self.app = app
        self.seen: list[str | None] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.seen.append(environ.get("HTTP_AUTHORIZATION"))
        return self.app(environ, start_response)


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"token": "t0k3n"}, "Bearer t0k3n"),
        ({"username": "admin", "password": "s3cret"}, "Basic YWRtaW46czNjcmV0"),
        # A password outside ASCII, as UTF-8 (base64 of "admin:pässwört")
        ({"username": "admin", "password": "pässwört"}, "Basic YWRtaW46cMOkc3N3w7ZydA=="),
        ({}, None),
    ],
)
def test_it_sends_the_configured_authorization_header(
    flows_dir: Path,
    tmp_path: Path,
    dialect: str,
    credentials: dict[str, str],
    expected: str | None,
) -> None:
    emulator = create_app(flows_dir=flows_dir, dialect=dialect, storage_dir=tmp_path / "s")
    recorder = HeaderRecorder(emulator)
    server, base_url = start_in_thread(recorder)  # type: ignore[arg-type]
    try:
        client = KestraClient(base_url=base_url, tenant="main", **credentials)
        client.dialect()
        client.flow("test", "hello")
        created = client.create_execution("test", "hello", {"name": "Ann"})
        assert recorder.seen == [expected] * 3  # configs, flow, create

        streams = KestraStreams(base_url=base_url, tenant="main", **credentials)

        async def follow() -> None:
            async for _event in streams.execution(created["id"]):
                break
            await streams.close()

        in_own_loop(follow())
        assert recorder.seen[3:] == [expected]  # the follow stream signs in as the calls do
    finally:
        server.shutdown()
        emulator.shutdown()


class KeepAliveKestra(BaseHTTPRequestHandler):
    """Answers every GET with a version, keeping the connection open as Kestra does (the
    emulator's Werkzeug server closes each one); counts the connections it was opened."""

    protocol_version = "HTTP/1.1"
    connections: list[int] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address[1])

    def do_GET(self) -> None:  # noqa: N802
        body = b'{"version": "2.0.1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_portals_calls_share_one_connection_until_the_settings_change(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call opening its own connection costs Kestra a connection and the portal a
    handshake (a TLS one over HTTPS); the client is kept per thread and process instead."""
    monkeypatch.setattr(KeepAliveKestra, "connections", [])
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveKestra)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.KESTRA_URL = f"http://127.0.0.1:{server.server_port}"
    try:
        for _ in range(3):
            assert client_module.get_client().ping(timeout=2) == "2.0.1"
        assert len(KeepAliveKestra.connections) == 1

        settings.KESTRA_TIMEOUT = 3.0
        assert client_module.get_client().ping(timeout=2) == "2.0.1"
        assert len(KeepAliveKestra.connections) == 2  # a new client, the old one closed

        kept = client_module.get_client()
        monkeypatch.setattr(client_module.os, "getpid", lambda: -1)  # as in a forked child
        assert client_module.get_client() is not kept
        assert kept.session.adapters["http://"].poolmanager.pools  # the parent's, left open
    finally:
        server.shutdown()
