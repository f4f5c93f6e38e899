"""The official client kestrapy 2.x against the 2.0 dialect.

kestrapy's parsers are lenient (reference §12.3), so the fields are asserted as well.
It needs ``regex`` installed beside it, which it imports without declaring.
"""

from __future__ import annotations

import warnings

import kestrapy
import pytest

from .conftest import Kestra, KestraFactory


@pytest.fixture
def client_and_kestra(make_kestra: KestraFactory) -> tuple[object, Kestra]:
    kestra = make_kestra("2.0", basic_auth=("admin", "pw"))
    kestra.session.auth = ("admin", "pw")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = kestrapy.KestraClient(host=kestra.base_url, username="admin", password="pw")
    return client, kestra


def test_kestrapy_drives_a_whole_approval(client_and_kestra: tuple[object, Kestra]) -> None:
    client, kestra = client_and_kestra
    executions = client.executions  # type: ignore[attr-defined]
    flow = client.flows.flow("test", "approval", "main", source=True)  # type: ignore[attr-defined]
    assert flow.id == "approval"
    created = executions.create_execution("main", "test", "approval", labels=["portal.x:1"])
    assert created.state.current.value == "CREATED"
    kestra.wait_for(created.id, {"PAUSED"})
    check = executions.validate_resume_execution_inputs(
        created.id, "main", inputs={"approved": True}
    )
    assert [i["input"]["id"] for i in check["inputs"]] == ["approved", "note"]
    resumed = executions.resume_execution(
        created.id, "main", inputs={"approved": True, "note": "fine"}
    )
    assert resumed.id == created.id
    events = list(executions.follow_execution(created.id, "main"))
    assert events[-1].state.current.value == "SUCCESS"
    outputs = client.outputs.execution_outputs(created.id, "main")  # type: ignore[attr-defined]
    assert outputs == {"approved": True}
    logs = client.logs.list_logs_from_execution(created.id, "main")  # type: ignore[attr-defined]
    assert [entry.message for entry in logs] == ["approved: fine"]


def test_kestrapy_kill_and_files(client_and_kestra: tuple[object, Kestra]) -> None:
    client, kestra = client_and_kestra
    executions = client.executions  # type: ignore[attr-defined]
    created = executions.create_execution("main", "test", "approval")
    paused = kestra.wait_for(created.id, {"PAUSED"})
    report = next(t for t in paused["taskRunList"] if t["taskId"] == "report")
    uri = client.outputs.task_run_outputs(created.id, report["id"], "main")["uri"]  # type: ignore[attr-defined]
    assert executions.download_file_from_execution(created.id, uri, "main") == b"please review"
    assert executions.file_metadatas_from_execution(created.id, uri, "main").size == 13
    killed = executions.kill_execution(created.id, "main")
    assert killed.id == created.id
    assert kestra.wait_for(created.id)["state"]["current"] == "KILLED"


def test_kestrapy_sets_labels_on_an_ended_execution(
    client_and_kestra: tuple[object, Kestra],
) -> None:
    client, kestra = client_and_kestra
    executions = client.executions  # type: ignore[attr-defined]
    created = executions.create_execution("main", "test", "basics", labels=["portal.x:1"])
    kestra.wait_for(created.id)
    label = kestrapy.Label(key="portal.decidedBy", value="alice")
    updated = executions.set_labels_on_terminated_execution(created.id, "main", [label])
    assert updated.id == created.id
    labels = {lb["key"]: lb["value"] for lb in kestra.execution(created.id)["labels"]}
    assert labels == {"portal.decidedBy": "alice", "system.correlationId": created.id}
