"""Script payloads in an app's Markdown, in input values, outputs and logs never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps_catalog.services import app_save_source
from tests.conftest import Worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

ECHO_FLOW = """
id: echo
namespace: demo
inputs:
  - id: text
    type: STRING
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.text }}"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.text }}"
outputs:
  - id: echoed
    type: STRING
    value: "{{ outputs.ret.value }}"
"""

ECHO_APP = """
id: echo_app
type: io.kestra.plugin.ee.apps.Execution
displayName: Echo <script>window.__xss=3</script>
namespace: demo
flowId: echo
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: Markdown
        content: |
          Hello <script>window.__xss=4</script> <img src=x onerror="window.__xss=5">
          [click me](javascript:window.__xss=6)
      - type: CreateExecutionForm
      - type: CreateExecutionButton
  - on: SUCCESS
    blocks:
      - type: Markdown
        content: "You said {{ inputs.text }}"
      - type: Alert
        content: "{{ execution.outputs.echoed }}"
      - type: Button
        url: "javascript:window.__xss=7"
        text: Bad link
      - type: Stacktrace
        message: "{{ inputs.text }}"
        content: "{{ inputs.text }}"
      - type: Inputs
      - type: Outputs
      - type: Logs
"""


@pytest.fixture
def echo_kestra(tmp_path: Path, settings):
    from executions.kestra import client
    from kestra_emulator.server import create_app, start_in_thread

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "demo.echo.yml").write_text(ECHO_FLOW)
    emulator = create_app(flows_dir=flows)
    server, url = start_in_thread(emulator)
    settings.KESTRA_URL = url
    client._versions.clear()
    worker = Worker(url)
    worker.start()
    yield url
    worker.stop()
    server.shutdown()
    emulator.shutdown()


def test_no_payload_runs_anywhere(page, live_server, echo_kestra):
    app, _ = app_save_source(source=ECHO_APP)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    assert page.get_by_text("click me").is_visible()
    assert page.locator("a[href^='javascript']").count() == 0
    page.get_by_label("text").fill(PAYLOAD)
    page.get_by_role("button", name="Execute").click()
    page.wait_for_url("**/executions/**")
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)
    page.wait_for_timeout(500)

    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.get_by_role("link", name="Bad link").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    text = page.locator("#live").inner_text()
    assert text.count(PAYLOAD) >= 5, "the payload is shown as text wherever it lands"
