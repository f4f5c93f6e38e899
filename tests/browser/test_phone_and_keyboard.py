"""The pages read on a phone and work with the keyboard alone."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_on_a_phone_nothing_needs_sideways_scrolling(
    browser, live_server, worker, data_request_app
):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/apps/{data_request_app.uid}/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    box = page.get_by_label("Dataset").bounding_box()
    assert box and box["width"] > 300, "fields use the width of the screen"
    page.get_by_role("button", name="Submit").click()
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    context.close()


def test_a_request_can_be_made_with_the_keyboard_alone(page, live_server, worker, data_request_app):
    page.goto(f"{live_server.url}/apps/{data_request_app.uid}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "input.dataset":
            break
    page.keyboard.press("End")  # the last dataset
    for _ in range(6):  # through the date's day, month and year, which keep their default
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "input.rows":
            break
    assert page.evaluate("document.activeElement.name") == "input.rows"
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.wait_for_url("**/executions/**")
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)
    inputs = page.locator("section[aria-label=Inputs]").inner_text()
    assert "suppliers" in inputs and "4" in inputs
