"""The data request app from form to download, through a real worker, broker and emulator."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from executions.models import Execution

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait_for_stage(client: Client, live_url: str, stage: str, timeout: float = 30) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(live_url)
        assert response.status_code in (200, 204)
        if response.status_code == 200:
            seen |= set(re.findall(r'data-stage="([A-Z]+)"', response.content.decode()))
        if stage in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"stage {stage} not reached; saw {sorted(seen)}")


def test_a_visitor_requests_a_dataset_and_downloads_it(worker, data_request_app):
    client = Client()
    page = client.get(f"/apps/{data_request_app.uid}/")
    assert page.status_code == 200
    html = page.content.decode()
    for dataset in ["customers", "employees", "products", "stores", "suppliers"]:
        assert f'<option value="{dataset}"' in html
    assert 'type="date"' in html and 'value="2024-12-03"' in html
    assert 'type="number"' in html and 'min="1"' in html and 'max="1000"' in html

    response = client.post(
        f"/apps/{data_request_app.uid}/",
        {"input.dataset": "products", "input.since": "2025-01-31", "input.rows": "25"},
    )
    assert response.status_code == 302
    execution_url = response["Location"]
    live_url = f"{execution_url}live/"

    seen = _wait_for_stage(client, live_url, "SUCCESS")
    assert "RUNNING" in seen or "CREATED" in seen

    execution = Execution.objects.get()
    assert execution.kestra_id and execution.state == "SUCCESS"
    assert execution.logs.filter(message__contains="Preparing 25 rows of products").exists()

    done = client.get(execution_url).content.decode()
    # The Inputs block names each input as the flow does and shows a DATE as a date.
    assert '<dt title="dataset">Dataset</dt>' in done and "products" in done
    assert "Include records since" in done and "31 January 2025" in done
    link = re.search(r'href="([^"]+/files/\?path=[^"]+)"', done)
    assert link, "the SUCCESS page links the data output for download"
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(download.streaming_content).decode()
    assert body.splitlines() == [
        "id,dataset,since",
        "1,products,2025-01-31",
        "2,products,2025-01-31",
    ]


def test_a_submission_made_while_kestra_is_down_is_delivered_once_it_is_back(
    worker, data_request_app, kestra
):
    import requests

    client = Client()
    assert client.get(f"/apps/{data_request_app.uid}/").status_code == 200
    requests.post(f"{kestra}/_emulator/faults", json={"unreachable": True}, timeout=5)
    try:
        form = client.get(f"/apps/{data_request_app.uid}/")
        assert form.status_code == 200 and 'name="input.rows"' in form.content.decode()
        response = client.post(
            f"/apps/{data_request_app.uid}/",
            {"input.dataset": "stores", "input.since": "2025-02-01", "input.rows": "3"},
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert 'data-stage="CREATED"' in page
        assert "Thanks for submitting" in page or "queued" in page.lower()
    finally:
        requests.post(f"{kestra}/_emulator/faults", json={"unreachable": False}, timeout=5)
    _wait_for_stage(client, f"{response['Location']}live/", "SUCCESS", timeout=60)
    assert Execution.objects.get().attempts >= 1
