"""Event streams cannot stall the site: under the production command (gunicorn with one
uvicorn worker, README), fifty API streams held open leave a page's answer time as it
was, and a client past its share of streams is told to come back later (429)."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time

import pytest
import requests
from django.utils import timezone

from accounts import policy
from api.tokens import stream_token
from apps_catalog.services import app_save_source
from executions.models import Execution

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PUBLIC = """id: open_streams
type: io.kestra.plugin.ee.apps.Execution
displayName: Open streams
namespace: demo
flowId: data_request
access: PUBLIC
layout:
  - on: RUNNING
    blocks:
      - type: Markdown
        content: Working on it.
"""
STREAMS = 50


@pytest.fixture
def site(kestra, asgi_site) -> str:
    return asgi_site(
        KESTRA_URL=kestra,
        API_STREAM_SECONDS="60",
        API_STREAM_POLL_SECONDS="0.5",
        API_STREAMS_PER_CLIENT=str(STREAMS),
    )


def page_times(url: str, count: int = 15) -> float:
    times = []
    for _ in range(count):
        started = time.monotonic()
        assert requests.get(url, timeout=10).status_code == 200
        times.append(time.monotonic() - started)
    return statistics.median(times)


def test_fifty_open_streams_leave_the_pages_as_fast_as_before(site):
    app, _ = app_save_source(source=PUBLIC)
    running = Execution.objects.create(
        app=app,
        kestra_id="streaming0000000000001",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
        next_action_at=timezone.now(),
    )
    link = policy.execution_link(running)  # someone else's: these clients open it by its link
    stream = f"{site}/api/v1/main/apps/view/{app.uid}/streams/{stream_token(app, running)}"
    stream += f"?link={link}"
    form = f"{site}/apps/{app.uid}/"
    before = page_times(form)

    opened: list[requests.Response] = []
    first_events = threading.Barrier(STREAMS + 1, timeout=60)

    def hold() -> None:
        response = requests.get(stream, stream=True, timeout=60)
        opened.append(response)
        lines = response.iter_lines()  # one reader: a dropped one would close the connection
        next(lines)  # the first event: the stream is serving
        first_events.wait()
        # Reading until the site stops under it, which ends the read.
        with contextlib.suppress(requests.RequestException, AttributeError, OSError, ValueError):
            for _ in lines:
                pass

    threads = [threading.Thread(target=hold, daemon=True) for _ in range(STREAMS)]
    for thread in threads:
        thread.start()
    first_events.wait()
    assert all(r.status_code == 200 for r in opened)

    during = page_times(form)
    refused = requests.get(stream, timeout=10)
    # The readers end when the site stops, at the end of the test.

    assert during < max(2 * before, before + 0.05), (before, during)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    assert "Too many open streams" in refused.json()["detail"]
