"""The faults of issue 22 seen from a page in Chromium: a visitor submits, lands on the
execution's page (served under ASGI, updated over its event stream), and the follower
follows the execution through Kestra's stream; then Kestra's stream is cut, Kestra
restarts, or the live channel is unreachable. Nothing is lost and nothing stalls: the page
reaches the final state with every log line and the flow's output. Real processes: the
portal, a Celery worker with its beat, `manage.py follow_executions`, the emulator over
HTTP in both dialects with its fault switches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from executions.models import Execution
from tests.conftest import free_port
from tests.integration import test_following as following
from tests.tracking import FollowerProcess, TrackingWorker, holds, overlaps, set_faults, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP = """
id: followed_page
type: io.kestra.plugin.ee.apps.Execution
displayName: Followed page
namespace: tracking
flowId: followed
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Start
  - on: RUNNING
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
  - on: SUCCESS
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
      - type: io.kestra.plugin.ee.apps.execution.blocks.Outputs
"""

Processes = tuple[TrackingWorker, FollowerProcess]

# The emulator of the integration scenarios, restartable, in both dialects (fixtures).
kestra_server = following.kestra_server
kestra = following.kestra


@pytest.fixture
def app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=APP)[0]


@pytest.fixture
def started(kestra: following.Kestra, tmp_path: Path) -> Iterator[Callable[..., Processes]]:
    """Start the worker and the follower (`started(**follower_env)`); stopped at the end."""
    running: list[Iterator[Processes]] = []

    def start(**follower_env: str) -> Processes:
        processes = following._started(kestra, tmp_path, **follower_env)
        running.append(processes)
        return next(processes)

    yield start
    for processes in running:
        next(processes, None)


def _submit(page, site: str, app, name: str) -> Execution:
    """Send the form as its visitor does and land on the execution's page, streamed."""
    page.goto(f"{site}/apps/{app.uid}/")
    page.locator('[name="input.name"]').fill(name)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/executions/**")
    page.locator("#live .stage").wait_for()
    return Execution.objects.get(app=app)


def _all_on_the_page(page, name: str, since: float) -> None:
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)
    assert time.monotonic() - since < 20, "nothing stalls"
    shown = page.locator("#live").inner_text()
    assert f"Hello {name}" in shown and f"Bye {name}" in shown, shown
    assert name.upper() in shown, "the flow's output"
    assert page.locator("#live").get_attribute("data-final") == "1"


def test_the_follow_stream_cut_in_the_middle(page, asgi_site, kestra, started, app):
    worker, follower = started()
    site = asgi_site(KESTRA_URL=kestra.url)
    execution = _submit(page, site, app, "cut")
    assert page.locator("#live").get_attribute("data-updates") == "stream"
    wait_until(following._following(follower, execution), 20, "the follower to follow it")

    set_faults(kestra.url, cut_streams=True)
    _all_on_the_page(page, "cut", since=time.monotonic())
    assert f"follow end id={execution.pk} outcome=dropped" in follower.tail(200)
    assert overlaps(holds(worker, follower)) == []


def test_kestra_restarted_while_the_page_is_open(page, asgi_site, kestra, started, app):
    worker, follower = started()
    site = asgi_site(KESTRA_URL=kestra.url)
    execution = _submit(page, site, app, "restart")
    wait_until(following._following(follower, execution), 20, "the follower to follow it")

    kestra.restart(down_for=1.5)
    _all_on_the_page(page, "restart", since=time.monotonic())
    assert f"follow end id={execution.pk} outcome=dropped" in follower.tail(200)
    assert overlaps(holds(worker, follower)) == []


def test_the_live_channel_down(page, asgi_site, kestra, started, app):
    channel = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    worker, follower = started(LIVE_CHANNEL=channel)
    site = asgi_site(KESTRA_URL=kestra.url, LIVE_CHANNEL=channel)
    started_at = time.monotonic()
    execution = _submit(page, site, app, "unheard")
    wait_until(following._following(follower, execution), 20, "the follower to follow it")

    _all_on_the_page(page, "unheard", since=started_at)
    assert overlaps(holds(worker, follower)) == []
