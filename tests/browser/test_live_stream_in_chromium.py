"""An execution page in Chromium, served under ASGI with a real worker on the emulator:
it reaches its final state over the page's event stream without asking /live/ once; with
the stream refused (no stream allowed) or the live channel unreachable it still does, by
asking /live/ or by the stream reading by itself, and shows the same thing."""

from __future__ import annotations

import pytest

from accounts import policy
from tests.conftest import free_port
from tests.integration.test_live_pages import running
from tests.live_changes import save_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit_and_watch(page, site: str, app) -> dict[str, list[str]]:
    """Submit the data request and wait for SUCCESS; the live requests the page made."""
    asked: dict[str, list[str]] = {"stream": [], "live": []}
    page.on(
        "request",
        lambda r: [asked[k].append(r.url) for k in asked if f"/{k}/" in r.url],
    )
    page.goto(f"{site}/apps/{app.uid}/")
    page.get_by_label("Dataset").select_option("employees")
    page.get_by_label("Include records since").fill("2025-01-15")
    page.get_by_label("Number of rows").fill("7")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/executions/**")
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)
    assert page.locator("#live").get_attribute("data-final") == "1"
    assert "employees" in page.locator("#live").inner_text()
    return asked


def test_the_page_reaches_its_final_state_over_the_stream(
    page, asgi_site, kestra, worker, data_request_app
):
    site = asgi_site(KESTRA_URL=kestra)
    asked = submit_and_watch(page, site, data_request_app)
    assert page.locator("#live").get_attribute("data-updates") == "stream"
    assert asked["stream"] and not asked["live"], asked


def test_with_the_stream_refused_the_page_asks_and_still_gets_there(
    page, asgi_site, kestra, worker, data_request_app
):
    site = asgi_site(KESTRA_URL=kestra, API_STREAMS_MAX="0")  # every stream refused: 429
    asked = submit_and_watch(page, site, data_request_app)
    assert page.locator("#live").get_attribute("data-updates") == "poll"
    assert asked["stream"] and asked["live"], asked


def test_with_the_live_channel_unreachable_the_page_still_gets_there(
    page, asgi_site, kestra, worker, data_request_app
):
    channel = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    site = asgi_site(KESTRA_URL=kestra, LIVE_CHANNEL=channel)
    submit_and_watch(page, site, data_request_app)


HIDE = """() => {
  Object.defineProperty(document, "hidden", {value: true, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  Object.defineProperty(document, "hidden", {value: false, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_tabs_in_the_background_leave_connections_for_a_new_one(page, asgi_site):
    """Chromium opens six connections to one site over HTTP/1.1 and each stream holds one:
    hidden tabs give theirs up, so a seventh page still opens; shown again, a tab gets the
    change it missed."""
    site = asgi_site()
    executions = [running(f"livetab{number:013d}") for number in range(7)]

    def url(execution) -> str:
        path = f"{site}/apps/{execution.app.uid}/executions/{execution.kestra_id}/"
        return f"{path}?link={policy.execution_link(execution)}"

    tabs = []
    for execution in executions[:6]:
        tab = page.context.new_page()
        tab.goto(url(execution))
        assert tab.locator("#live").get_attribute("data-updates") == "stream"
        tab.evaluate(HIDE)
        tabs.append(tab)
    page.goto(url(executions[6]), timeout=10_000)  # would wait for a connection forever
    assert page.locator("#live").get_attribute("data-updates") == "stream"

    save_state(executions[0].pk, "SUCCESS")
    tabs[0].evaluate(SHOW)
    tabs[0].locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=10_000)
