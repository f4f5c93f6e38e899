"""Using apps through kestrapy's AppsApi: the view, a dispatch that starts an execution in
the emulator (delivered by a real worker), its event stream until SUCCESS, its files and
logs, and an approval."""

from __future__ import annotations

import json
import time

import pytest
from django.db.models import Q
from kestrapy.exceptions import NotFoundException, UnprocessableEntityException

from executions.models import Decision, Execution

from .conftest import TENANT, kestra_client

pytestmark = pytest.mark.django_db(transaction=True)


def block(response: dict, name: str) -> dict:
    return next(b for b in response["layout"]["blocks"] if b["type"].rsplit(".", 1)[-1] == name)


def types(response: dict) -> list[str]:
    return [b["type"].rsplit(".", 1)[-1] for b in response["layout"]["blocks"]]


def follow(apps_api, uid: str, stream: str, until: str, timeout: float = 60) -> list[dict]:
    """The stream's events until one is in stage `until`."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in apps_api.stream_events_from_app(uid, stream, TENANT):
            seen.append(event)
            if event["stage"] == until:
                return seen
    raise AssertionError(f"no {until} event; saw {[e['stage'] for e in seen]}")


def test_the_view_of_a_public_app_is_its_form(live_server, kestra, apps) -> None:
    anonymous = kestra_client(live_server.url).apps
    view = anonymous.open_app_view(apps["public"].uid, TENANT)
    assert types(view) == ["Markdown", "CreateExecutionForm", "CreateExecutionButton"]
    assert view["stage"] == "OPEN" and view["executionId"] is None and view["final"] is False
    assert block(view, "Markdown")["type"] == "io.kestra.plugin.ee.apps.core.blocks.Markdown"
    assert block(view, "Markdown")["content"].startswith("## Request data")
    fields = block(view, "CreateExecutionForm")["inputs"]
    assert [f["id"] for f in fields] == ["dataset", "since", "rows"]
    dataset = fields[0]
    assert dataset["type"] == "SELECT" and dataset["displayName"] == "Dataset"
    assert dataset["values"] == ["customers", "employees", "products", "stores", "suppliers"]
    assert fields[2]["min"] == 1 and fields[2]["max"] == 1000
    button = block(view, "CreateExecutionButton")
    assert button["text"] == "Submit" and button["style"] == "SUCCESS"
    assert button["dispatch"] == view["dispatch"] and view["stream"]


@pytest.mark.integration
def test_a_dispatch_starts_an_execution_and_the_stream_follows_it(
    live_server, worker, personas, apps
) -> None:
    client = kestra_client(live_server.url, token=personas["outsider"].token).apps
    uid = apps["public"].uid
    view = client.open_app_view(uid, TENANT)
    response = client.dispatch_app(
        uid, view["dispatch"], TENANT, {"dataset": "products", "since": "2025-01-31", "rows": 25}
    )
    assert response.status_code == 200
    created = response.json()
    assert created["stage"] == "CREATED" and created["executionId"]
    # Only this one: the worker may also discover paused executions other tests left in Kestra.
    public_id = created["executionId"]
    execution = Execution.objects.get(Q(token=public_id) | Q(kestra_id=public_id))
    assert execution.submitted_by == personas["outsider"].user
    assert execution.inputs == {"dataset": "products", "since": "2025-01-31", "rows": "25"}

    events = follow(client, uid, created["stream"], "SUCCESS")
    assert events[0]["stage"] in {"CREATED", "RUNNING"}
    done = events[-1]
    assert done["final"] is True and done["state"] == "SUCCESS" and done["dispatch"] is None
    assert types(done) == ["Inputs", "Alert", "Outputs", "Button"]
    inputs = {v["key"]: v["value"] for v in block(done, "Inputs")["values"]}
    assert inputs["dataset"] == "products" and inputs["rows"] == 25
    button = block(done, "Button")
    assert button["url"] == f"{live_server.url}/apps/{uid}/"

    execution.refresh_from_db()
    assert execution.kestra_id == done["executionId"] and execution.state == "SUCCESS"
    data = next(v for v in block(done, "Outputs")["values"] if v["key"] == "data")
    path = data["file"]["path"]
    assert path.startswith("kestra:///demo/data_request/executions/") and path.endswith(".csv")
    assert data["file"]["download"].startswith(f"{live_server.url}/api/v1/{TENANT}/apps/view/")

    content = client.download_file_from_app_execution(uid, TENANT, path)
    assert content.decode().splitlines()[1] == "1,products,2025-01-31"
    assert client.file_meta_from_app_execution(uid, path, TENANT).size == len(content)
    preview = client.file_preview_from_app_execution(uid, path, TENANT, max_rows=2)
    assert preview["type"] == "TEXT" and "products" in preview["content"]

    # The SUCCESS page shows no Logs block: neither does the download (test_logs_download).
    assert client.logs_from_app_execution(uid, execution.kestra_id, TENANT) == b""

    with pytest.raises(NotFoundException):  # a file the execution does not name
        client.file_meta_from_app_execution(uid, path.replace(".csv", ".txt"), TENANT)


def test_a_refused_input_is_an_app_error_next_to_its_field(live_server, kestra, apps) -> None:
    client = kestra_client(live_server.url).apps
    uid = apps["public"].uid
    view = client.open_app_view(uid, TENANT)
    with pytest.raises(UnprocessableEntityException) as caught:
        client.dispatch_app(uid, view["dispatch"], TENANT, {"dataset": "products", "rows": 5000})
    problem = json.loads(caught.value.body)
    assert problem["type"] == "https://kestra.io/docs/api-reference/problems/app-error"
    assert [e["path"] for e in problem["errors"]] == ["rows"]
    assert not Execution.objects.exists()


def _paused(app, **extra) -> Execution:
    """A vacation request waiting for a decision, as the worker stores it."""
    return Execution.objects.create(
        app=app,
        kestra_id="PausedExecution0000001",
        delivery=Execution.Delivery.DELIVERED,
        state="PAUSED",
        stage="PAUSE",
        snapshot={"id": "PausedExecution0000001", "state": {"current": "PAUSED"}},
        inputs={"request.name": "Ada", "reason": "rest"},
        resume_form={
            "inputs": [
                {"input": {"id": "approved", "type": "BOOL", "defaults": True}, "value": True},
                {"input": {"id": "comment", "type": "STRING"}, "value": "Enjoy"},
            ]
        },
        **extra,
    )


def test_an_approver_sees_the_pause_screen_and_an_outsider_does_not(
    live_server, kestra, personas, apps
) -> None:
    execution = _paused(apps["private"])
    uid = apps["private"].uid
    member = kestra_client(live_server.url, token=personas["member"].token).apps
    response = member._request(  # kestrapy's open_app_view has no execution parameter
        "GET", f"/api/v1/{TENANT}/apps/view/{uid}", params={"executionId": execution.kestra_id}
    )
    view = response.json()
    assert view["stage"] == "PAUSE" and view["executionId"] == execution.kestra_id
    assert types(view) == [
        "Markdown", "Inputs", "TaskOutputs", "ResumeExecutionForm",
        "ResumeExecutionButton", "CancelExecutionButton",
    ]  # fmt: skip
    assert [v["key"] for v in block(view, "Inputs")["values"]] == ["request.name"]
    assert [f["id"] for f in block(view, "ResumeExecutionForm")["inputs"]] == [
        "approved",
        "comment",
    ]
    assert view["dispatch"] == block(view, "ResumeExecutionButton")["dispatch"]
    assert block(view, "CancelExecutionButton")["text"] == "Reject"

    outsider = kestra_client(live_server.url, token=personas["outsider"].token).apps
    with pytest.raises(NotFoundException):
        outsider.dispatch_app(uid, view["dispatch"], TENANT, {"approved": "true"})
    assert not Decision.objects.exists()


@pytest.mark.integration
def test_an_approval_through_the_api_resumes_the_execution(live_server, worker, personas, apps):
    uid = apps["private"].uid
    member = kestra_client(live_server.url, token=personas["member"].token).apps
    view = member.open_app_view(uid, TENANT)
    created = member.dispatch_app(
        uid,
        view["dispatch"],
        TENANT,
        {
            "request.name": "Ada",
            "request.start_date": "2025-07-01",
            "request.end_date": "2025-07-04",
        },
    ).json()
    paused = follow(member, uid, created["stream"], "PAUSE")[-1]
    resume = block(paused, "ResumeExecutionButton")["dispatch"]
    resumed = member.dispatch_app(uid, resume, TENANT, {"approved": "true", "comment": "Fine"})
    assert resumed.status_code == 200 and resumed.json()["stage"] in {"RESUME", "RUNNING"}
    done = follow(member, uid, created["stream"], "SUCCESS")[-1]
    assert block(done, "Alert")["content"] == "Approved: Fine"
    decision = Decision.objects.get()
    assert decision.action == "RESUME" and decision.user == personas["member"].user
    assert decision.label == "Approve" and decision.values == {
        "approved": "true",
        "comment": "Fine",
    }


def test_cancel_is_refused_to_a_stranger_on_a_public_app(live_server, kestra, personas, apps):
    execution = Execution.objects.create(
        app=apps["public"],
        kestra_id="RunningExecution000001",
        delivery=Execution.Delivery.DELIVERED,
        state="RUNNING",
        stage="RUNNING",
        submitted_by=personas["member"].user,
    )
    uid = apps["public"].uid
    view = (
        kestra_client(live_server.url, token=personas["member"].token)
        .apps._request(
            "GET", f"/api/v1/{TENANT}/apps/view/{uid}", params={"executionId": execution.kestra_id}
        )
        .json()
    )
    cancel = block(view, "CancelExecutionButton")["dispatch"]
    # Someone else's execution on a public app is not there for a stranger: 404.
    stranger = kestra_client(live_server.url, token=personas["outsider"].token).apps
    with pytest.raises(NotFoundException):
        stranger.dispatch_app(uid, cancel, TENANT, {})
    anonymous = kestra_client(live_server.url).apps
    with pytest.raises(NotFoundException):
        anonymous.dispatch_app(uid, cancel, TENANT, {})
    assert not Decision.objects.exists()


def test_the_view_gives_form_groups_and_table_columns_and_refuses_a_bad_cell(
    live_server, kestra
) -> None:
    from tests.conftest import import_example

    uid = import_example("equipment_order").uid
    client = kestra_client(live_server.url).apps
    view = client.open_app_view(uid, TENANT)
    fields = {f["id"]: f for f in block(view, "CreateExecutionForm")["inputs"]}
    assert list(fields) == [
        "requester.name",
        "requester.email",
        "requester.desk",
        "order.items",
        "order.within",
    ]
    assert fields["requester.name"]["form"] == "requester"
    items = fields["order.items"]
    assert items["type"] == "TABLE" and items["rows"] == {"min": 1, "max": 10}
    assert [c["id"] for c in items["columns"]] == ["item", "quantity", "note"]
    assert fields["requester.desk"]["properties"][0] == {"id": "building", "type": "STRING"}
    with pytest.raises(UnprocessableEntityException) as caught:
        client.dispatch_app(
            uid,
            view["dispatch"],
            TENANT,
            {
                "requester.name": "Ada",
                "requester.email": "ada@example.org",
                "order.items": '[{"item": "laptop", "quantity": 99}]',
            },
        )
    (error,) = json.loads(caught.value.body)["errors"]
    assert error["path"] == "order.items" and "row 1: `quantity`" in error["message"]
    assert not Execution.objects.exists()
