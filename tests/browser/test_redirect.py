"""RedirectTo sends the browser on after its delay; the page keeps itself current meanwhile."""

from __future__ import annotations

import pytest

from apps_catalog.services import app_save_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP = """id: redirecting
type: io.kestra.plugin.ee.apps.Execution
displayName: Redirecting
namespace: demo
flowId: data_request
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: CreateExecutionForm
      - type: CreateExecutionButton
  - on: RUNNING
    blocks:
      - type: Markdown
        content: Working
      - type: AutoRefresh
  - on: SUCCESS
    blocks:
      - type: Markdown
        content: Done, taking you to your requests
      - type: RedirectTo
        url: /apps/requests/
        delay: PT1.5S
"""


def test_the_success_page_redirects_after_its_delay(page, live_server, worker):
    app, _ = app_save_source(source=APP)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_role("button", name="Execute").click()
    page.get_by_text("Done, taking you to your requests").wait_for(timeout=30_000)
    assert "/executions/" in page.url
    page.wait_for_url("**/apps/requests/", timeout=5_000)
    assert page.get_by_role("heading", name="My requests").is_visible()
