"""appLink() in a flow: the portal's page of the execution, as a flow's Slack or email
message would carry it (the emulator's appLink() builds it the portal's way)."""

from __future__ import annotations

import requests

from tests import kestra_http


def test_a_flows_applink_is_the_portal_page_of_its_execution(own_emulator):
    started = requests.post(
        f"{own_emulator}/api/v1/main/executions/test/link",
        params={"labels": "portal.uid:Ab12Cd34"},
        timeout=5,
    )
    kestra_id = started.json()["id"]
    assert kestra_http.wait_for(own_emulator, kestra_id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    logs = requests.get(f"{own_emulator}/api/v1/main/logs/{kestra_id}", timeout=5).json()
    messages = [entry["message"] for entry in logs]
    assert (
        f"Decide here: http://127.0.0.1:8000/apps/Ab12Cd34/executions/{kestra_id}/"
        " or start over at http://127.0.0.1:8000/apps/other/"
    ) in messages


def test_without_the_apps_uid_applink_fails_the_task_saying_why(own_emulator):
    started = requests.post(f"{own_emulator}/api/v1/main/executions/test/link", timeout=5)
    kestra_id = started.json()["id"]
    assert kestra_http.wait_for(own_emulator, kestra_id, {"SUCCESS", "FAILED"}) == "FAILED"
    logs = requests.get(f"{own_emulator}/api/v1/main/logs/{kestra_id}", timeout=5).json()
    assert any("appLink() needs appId" in entry["message"] for entry in logs)
