"""An open execution page asks for news as often as LIVE_POLL_SECONDS says."""

from __future__ import annotations

import statistics
import time

import pytest

from accounts import policy
from executions.models import Execution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("seconds", [0.2, 0.6])
def test_a_running_execution_page_asks_at_the_configured_interval(
    page, live_server, settings, data_request_app, seconds
):
    settings.LIVE_POLL_SECONDS = seconds
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id=f"live-{seconds}",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
    )
    asked: list[float] = []
    page.on("request", lambda r: "/live/" in r.url and asked.append(time.monotonic()))

    link = policy.execution_link(execution)  # someone else's, on a public app: by its link
    url = f"{live_server.url}/apps/{data_request_app.uid}/executions/{execution.kestra_id}/"
    page.goto(f"{url}?link={link}")
    page.wait_for_timeout(seconds * 1000 * 6.5)

    gaps = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    assert len(asked) >= 5, asked
    assert seconds * 0.9 <= statistics.median(gaps) <= seconds + 0.25, gaps
