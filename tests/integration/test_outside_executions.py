"""Executions the portal did not start: an approver's link, and apps bound to one execution."""

from __future__ import annotations

import time

import pytest
import requests
from django.test import Client

from apps_catalog.services import app_save_source
from executions.models import Execution
from tests.conftest import import_example

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _start_in_kestra(kestra: str, flow: str, **inputs: str) -> str:
    response = requests.post(
        f"{kestra}/api/v1/main/executions/demo/{flow}",
        files={key: (None, value) for key, value in inputs.items()},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["id"]


def _wait(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_an_approver_follows_a_link_to_an_execution_started_in_kestra(worker, kestra, approver):
    app = import_example("vacation_approval")
    kestra_id = _start_in_kestra(
        kestra,
        "vacation_request",
        **{
            "request.name": "Lin",
            "request.start_date": "2027-01-04",
            "request.end_date": "2027-01-08",
        },
    )
    client = Client()
    client.force_login(approver)

    url = f"/apps/{app.uid}/executions/{kestra_id}/"
    assert client.get(url).status_code == 200
    # The page shows what one read of Kestra gave; a worker's first poll adds the resume form.
    _wait(lambda: Execution.objects.get(kestra_id=kestra_id).resume_form != {})
    page = client.get(url).content.decode()
    assert "Approval needed" in page and "Lin" in page
    assert 'name="input.approved"' in page and 'name="input.comment"' in page

    response = client.post(
        f"{url}resume/", {"input.approved": "false", "input.comment": "Not this week"}
    )
    assert response.status_code == 302
    _wait(lambda: Execution.objects.get(kestra_id=kestra_id).stage == "FAILURE")


def test_an_unknown_or_foreign_execution_id_is_not_found(worker, kestra, admin):
    app = import_example("vacation_approval")
    other_flow = _start_in_kestra(kestra, "nightly_job", seconds="0")
    client = Client()
    client.force_login(admin)
    assert client.get(f"/apps/{app.uid}/executions/{other_flow}/").status_code == 404
    assert client.get(f"/apps/{app.uid}/executions/NoSuchExecution123/").status_code == 404
    assert not Execution.objects.exists()


def test_an_app_bound_to_one_execution_shows_it_and_starts_none(worker, kestra):
    kestra_id = _start_in_kestra(kestra, "feedback", email="a@b.org", rating="4")
    app, _ = app_save_source(
        source=f"""
id: past_feedback
type: io.kestra.plugin.ee.apps.Execution
displayName: Last feedback
namespace: demo
flowId: feedback
executionId: {kestra_id}
access: PUBLIC
layout:
  - on: SUCCESS
    blocks:
      - type: Outputs
"""
    )
    client = Client()
    _wait(lambda: "you rated us 4/5" in client.get(f"/apps/{app.uid}/").content.decode())
    response = client.post(f"/apps/{app.uid}/", {"input.email": "x@y.org", "input.rating": "1"})
    assert response.status_code == 405
    assert Execution.objects.count() == 1
