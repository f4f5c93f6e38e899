"""The stages of the example apps that the path tests pass through too quickly to look at:
FAILURE after a cancel, RESUME after an approval, FALLBACK while queued, SUCCESS, and ERROR
when Kestra never takes the request."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import Worker, import_example
from tests.personas import grant_use

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stage(page, stage: str, timeout: float = 30_000) -> None:
    page.locator(f"#live .stage[data-stage={stage}]").wait_for(timeout=timeout)


def _as_user_of(page, live_server, client, user, app) -> None:
    grant_use(user, app)
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def _faults(kestra: str, **faults: object) -> None:
    requests.post(f"{kestra}/_emulator/faults", json=faults, timeout=5).raise_for_status()


def test_data_request_cancelled_shows_its_failure_page(page, live_server, worker):
    app = import_example("data_request")
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_role("button", name="Submit").click()
    _stage(page, "RUNNING")
    page.get_by_role("button", name="Cancel request").click()
    _stage(page, "FAILURE")
    assert page.get_by_text("The extract could not be built.").is_visible()


def test_vacation_shows_resume_right_after_the_approval(page, live_server, worker, client, grantee):
    app = import_example("vacation_approval")
    _as_user_of(page, live_server, client, grantee, app)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("First day off").fill("2026-12-21")
    page.get_by_label("Last day off").fill("2026-12-22")
    page.get_by_role("button", name="Send request").click()
    _stage(page, "PAUSE")
    page.get_by_role("button", name="Approve").click()
    _stage(page, "RESUME", timeout=5_000)
    assert page.get_by_text("Thanks, the decision was recorded.").is_visible()
    _stage(page, "SUCCESS")


def test_it_ticket_shows_its_fallback_while_queued(
    page, live_server, worker, client, kestra, grantee
):
    app = import_example("it_ticket")
    _as_user_of(page, live_server, client, grantee, app)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Short summary").fill("The printer is on fire")
    page.get_by_label("Bug").check()
    _faults(kestra, latency_ms=1500)  # Kestra slow: the request waits in the queue a while
    try:
        page.get_by_role("button", name="Open ticket").click()
        page.get_by_text("Working on it...").wait_for(timeout=10_000)
    finally:
        _faults(kestra, latency_ms=0)
    _stage(page, "SUCCESS")


def test_nightly_job_success_page(page, live_server, worker, client, grantee):
    app = import_example("nightly_job")
    _as_user_of(page, live_server, client, grantee, app)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Run for (seconds)").fill("0")
    page.get_by_role("button", name="Run").click()
    _stage(page, "SUCCESS")
    assert page.locator(".alert-success").inner_text().strip().endswith("Done.")


def test_nightly_job_error_page_when_kestra_never_takes_the_request(
    page, live_server, client, kestra, grantee
):
    app = import_example("nightly_job")
    _as_user_of(page, live_server, client, grantee, app)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    impatient = Worker(kestra)
    impatient.env["DELIVERY_MAX_ATTEMPTS"] = "2"
    impatient.start()
    _faults(kestra, unreachable=True)
    try:
        page.get_by_role("button", name="Run").click()
        _stage(page, "ERROR")
    finally:
        _faults(kestra, unreachable=False)
        impatient.stop()
    assert page.get_by_text("It was not lost; try again later.").is_visible()
