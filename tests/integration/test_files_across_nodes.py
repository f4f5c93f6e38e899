"""A FILE input taken by one machine and delivered by another: the web process (this test)
and a real worker that shares only the database and the settings, with a data folder of its
own (its own disk, its own broker folder), as a worker on a second machine would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from executions.kestra import get_client
from executions.models import Execution, KestraRequestCount, StoredFile
from tests.conftest import Worker, import_example

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOT = bytes(range(256)) * 400  # 100 KB, not text


@pytest.fixture
def worker_elsewhere(kestra: str, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(kestra)
    worker.env["PORTAL_DATA_DIR"] = str(tmp_path / "other-machine")
    # What every node shares (docs/deployment.md): with a key of its own, generated in its
    # own data folder, the worker could not read the sealed form values.
    worker.env["SECRET_KEY"] = settings.SECRET_KEY
    worker.start()
    yield worker
    worker.stop()


def _delivered(execution: Execution, timeout: float = 30) -> Execution:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution.refresh_from_db()
        if execution.delivery != "QUEUED":
            return execution
        time.sleep(0.2)
    raise AssertionError(f"not delivered: {execution.error}")


def test_a_file_taken_here_is_delivered_by_a_worker_on_another_machine(
    worker_elsewhere, admin, tmp_path
):
    app = import_example("it_ticket")
    client = Client()
    client.force_login(admin)
    with open(tmp_path / "screen.png", "wb") as handle:
        handle.write(SCREENSHOT)
    with open(tmp_path / "screen.png", "rb") as upload:
        response = client.post(
            f"/apps/{app.uid}/",
            {
                "input.title": "The VPN drops every hour",
                "input.kind": "Bug",
                "input.attachment": upload,
            },
        )
    assert response.status_code == 302
    assert StoredFile.objects.count() == 1

    execution = _delivered(Execution.objects.get())

    assert execution.delivery == "DELIVERED", execution.error
    uri = execution.snapshot["inputs"]["attachment"]
    assert uri.endswith("/screen.png")
    chunks, _ = get_client().download(execution.kestra_id or "", uri)
    assert b"".join(chunks) == SCREENSHOT
    assert not execution.files.exists() and StoredFile.objects.count() == 0
    assert not (tmp_path / "other-machine" / "media").exists()

    worker_elsewhere.stop()  # what it counted for /metrics is written as it stops
    created = KestraRequestCount.objects.filter(endpoint="create_execution", status="200")
    assert sum(row.count for row in created) == 1
