"""File sizes in the Outputs block: read once from Kestra's file metadata
(`file/metas`, the emulator's over HTTP) when the execution ends, shown human-readable on
the page and as bytes in the API; a file Kestra says nothing of shows no size, no error."""

from __future__ import annotations

import re
import time

import pytest
import requests
from django.test import Client
from django.utils import timezone

from executions import services
from executions.models import Execution

pytestmark = pytest.mark.django_db


def _ended(kestra: str, app, rows: str = "2") -> Execution:
    """A data request run to its end in Kestra, polled as the worker does."""
    created = requests.post(
        f"{kestra}/api/v1/main/executions/demo/data_request",
        files={"dataset": (None, "stores"), "rows": (None, rows)},
        timeout=5,
    ).json()
    deadline = time.monotonic() + 15
    while True:
        found = requests.get(f"{kestra}/api/v1/main/executions/{created['id']}", timeout=5)
        if found.json()["state"]["current"] == "SUCCESS":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    execution = Execution.objects.create(
        app=app,
        kestra_id=created["id"],
        delivery="DELIVERED",
        state="RUNNING",
        next_action_at=timezone.now(),
    )
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.state == "SUCCESS"
    return execution


def _content(kestra: str, execution: Execution, path: str) -> bytes:
    return requests.get(
        f"{kestra}/api/v1/main/executions/{execution.kestra_id}/file",
        params={"path": path},
        timeout=5,
    ).content


def test_an_ended_execution_shows_its_output_file_s_size(kestra, data_request_app, admin):
    execution = _ended(kestra, data_request_app)
    path = execution.outputs["data"]
    size = len(_content(kestra, execution, path))
    client = Client()
    client.force_login(admin)

    page = client.get(f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/")
    view = client.get(
        f"/api/v1/main/apps/view/{data_request_app.uid}",
        {"executionId": execution.kestra_id},
    ).json()

    assert execution.file_sizes == {path: size}
    html = page.content.decode()
    assert re.search(
        rf'Download [^<]+\.csv</a> <span class="file-size">\({size}\xa0bytes\)</span>', html
    )
    outputs = next(b for b in view["layout"]["blocks"] if b["type"].endswith("Outputs"))
    data = next(v for v in outputs["values"] if v["key"] == "data")
    assert data["file"]["size"] == size


def test_sizes_read_in_kilobytes_and_megabytes(kestra, data_request_app, admin):
    execution = _ended(kestra, data_request_app)
    path = execution.outputs["data"]
    Execution.objects.filter(pk=execution.pk).update(file_sizes={path: 1536})
    client = Client()
    client.force_login(admin)

    html = client.get(f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/")

    assert '<span class="file-size">(1.5\xa0KB)</span>' in html.content.decode()


def test_a_file_kestra_says_nothing_of_has_no_size_and_the_page_still_shows(
    kestra, data_request_app, admin, monkeypatch
):
    def no_metadata(self, execution_id: str, path: str) -> int | None:
        raise services.KestraNotFound(404, "File not found.")

    monkeypatch.setattr(services.KestraClient, "file_size", no_metadata)
    execution = _ended(kestra, data_request_app)
    client = Client()
    client.force_login(admin)

    page = client.get(f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/")
    view = client.get(
        f"/api/v1/main/apps/view/{data_request_app.uid}",
        {"executionId": execution.kestra_id},
    ).json()

    assert execution.file_sizes == {} and execution.outputs["data"]
    assert page.status_code == 200
    assert "Download " in page.content.decode() and "file-size" not in page.content.decode()
    outputs = next(b for b in view["layout"]["blocks"] if b["type"].endswith("Outputs"))
    data = next(v for v in outputs["values"] if v["key"] == "data")
    assert "size" not in data["file"] and data["file"]["path"] == execution.outputs["data"]


def test_kestra_down_while_sizes_are_read_leaves_the_outputs_without_sizes(
    kestra, data_request_app, monkeypatch
):
    asked: list[str] = []

    def unavailable(self, execution_id: str, path: str) -> int | None:
        asked.append(path)
        raise services.KestraUnavailable("Kestra could not be reached")

    monkeypatch.setattr(services.KestraClient, "file_size", unavailable)

    execution = _ended(kestra, data_request_app)

    assert execution.outputs["row_count"] == 2 and execution.file_sizes == {}
    assert execution.next_action_at is None, "the execution is settled all the same"
    assert len(asked) == 1


PREVIEWED = (
    "id: shown\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: Shown\n"
    "namespace: demo\nflowId: data_request\naccess: PUBLIC\n"
    "layout:\n  - on: SUCCESS\n    blocks: [{type: Outputs}]\n"
)


def test_the_admin_preview_and_the_api_preview_show_a_sample_file_with_its_size(
    client, kestra, admin
):
    """The previews draw the flow's FILE output (demo.data_request's `data`) as the page
    draws one: a file with its size."""
    client.force_login(admin)

    admin_html = client.post("/admin/apps_catalog/app/preview/", {"source": PREVIEWED}).json()
    api = client.post(
        "/api/v1/main/apps/preview?state=SUCCESS", PREVIEWED, content_type="application/x-yaml"
    ).json()

    assert (
        'Download sample.csv</a> <span class="file-size">(2.0\xa0KB)</span>' in (admin_html["html"])
    )
    (outputs,) = api["layout"]["blocks"]
    data = next(v for v in outputs["values"] if v["key"] == "data")
    assert data["file"] == {"path": "sample.csv", "name": "sample.csv", "size": 2048}
