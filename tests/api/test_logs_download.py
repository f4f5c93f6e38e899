"""The API's logs download gives what the execution's page shows (issue 18, item 7): the
lines of its stage's Logs blocks, through their filters, narrowed by minLevel and taskIds;
nothing where the page shows no Logs block.

Only public doors: the API and the page through Django's test client, over stored rows.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import policy
from apps_catalog.services import app_save_source
from executions.models import Execution, ExecutionLog

pytestmark = pytest.mark.django_db

LOGGED = """id: logged
type: io.kestra.plugin.ee.apps.Execution
displayName: Logged
namespace: demo
flowId: data_request
access: PUBLIC
layout:
  - on: RUNNING
    blocks:
      - type: Logs
  - on: FAILURE
    blocks:
      - type: Logs
        filter:
          logLevel: WARN
      - type: Logs
        filter:
          taskIds: [announce]
  - on: SUCCESS
    blocks:
      - type: Alert
        content: Your data is ready.
"""
LINES = [
    ("INFO", "announce", "Preparing 25 rows"),
    ("DEBUG", "extract", "wrote the extract to a secret bucket"),
    ("WARN", "done", "slow disk"),
    ("ERROR", "done", "gave up"),
]


def _in_stage(stage: str) -> tuple[str, Execution]:
    app, _ = app_save_source(source=LOGGED)
    state = {"RUNNING": "RUNNING", "FAILURE": "FAILED", "SUCCESS": "SUCCESS"}[stage]
    execution = Execution.objects.create(
        app=app, kestra_id=f"run{stage}", delivery="DELIVERED", state=state, stage=stage
    )
    for position, (level, task_id, message) in enumerate(LINES):
        ExecutionLog.objects.create(
            execution=execution, position=position, level=level, task_id=task_id, message=message
        )
    return app.uid, execution


def _downloaded(uid: str, execution: Execution, **query: str | list[str]) -> list[str]:
    response = Client().get(
        f"/api/v1/main/apps/view/{uid}/logs/download",
        {"executionId": execution.kestra_id, "link": policy.execution_link(execution), **query},
    )
    assert response.status_code == 200
    return [line.split(" ", 2)[2] for line in response.content.decode().splitlines()]


def test_a_logs_block_without_a_filter_gives_every_line_as_asked() -> None:
    uid, execution = _in_stage("RUNNING")
    assert len(_downloaded(uid, execution)) == 4
    assert _downloaded(uid, execution, minLevel="WARN") == ["[done] slow disk", "[done] gave up"]
    assert _downloaded(uid, execution, taskIds=["announce"]) == ["[announce] Preparing 25 rows"]


def test_the_download_gives_the_lines_of_the_stages_logs_blocks_and_the_page_the_same() -> None:
    uid, execution = _in_stage("FAILURE")
    shown = ["[announce] Preparing 25 rows", "[done] slow disk", "[done] gave up"]
    assert _downloaded(uid, execution) == shown
    page = _page(uid, execution, Client())
    assert all(line.split("] ")[1] in page for line in shown)
    assert "secret bucket" not in page
    # What is asked for narrows what the page shows, never widens it.
    assert _downloaded(uid, execution, minLevel="DEBUG", taskIds=["extract", "done"]) == [
        "[done] slow disk",
        "[done] gave up",
    ]


def test_a_stage_without_a_logs_block_gives_no_line() -> None:
    uid, execution = _in_stage("SUCCESS")
    assert _downloaded(uid, execution) == []


def _page(uid: str, execution: Execution, browser: Client) -> str:
    """The execution's page, opened through its signed link (the visitor's own browser did
    not submit it)."""
    link = policy.execution_link(execution)
    return browser.get(
        f"/apps/{uid}/executions/{execution.kestra_id}/", {"link": link}
    ).content.decode()


def _from_the_page(uid: str, execution: Execution) -> tuple[str, list[str]]:
    """The page's "Download logs" link, and what it gives."""
    browser = Client()
    page = _page(uid, execution, browser)
    link = f"/apps/{uid}/executions/{execution.kestra_id}/logs/"
    response = browser.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{execution.kestra_id}.log"'
    lines = [line.split(" ", 2)[2] for line in response.content.decode().splitlines()]
    return ("Download logs" if f'href="{link}"' in page else ""), lines


def test_the_page_offers_its_logs_as_a_file_with_the_lines_it_shows() -> None:
    uid, execution = _in_stage("FAILURE")
    button, lines = _from_the_page(uid, execution)
    assert button == "Download logs"
    assert lines == _downloaded(uid, execution)  # the same lines as the API's download
    assert "[extract] wrote the extract to a secret bucket" not in lines

    uid, execution = _in_stage("SUCCESS")  # no Logs block: no button, nothing to download
    assert _from_the_page(uid, execution) == ("", [])


def test_the_pages_logs_follow_the_apps_access() -> None:
    uid, execution = _in_stage("RUNNING")
    app = execution.app
    app.source = app.source.replace("access: PUBLIC", "access: PRIVATE")
    app_save_source(source=app.source, app=app)
    response = Client().get(f"/apps/{uid}/executions/{execution.kestra_id}/logs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
