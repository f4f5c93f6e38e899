"""A branded portal as a visitor sees it in Chromium: its name, its colours on the bar and
the links, its banner and its footer's links, under the pages' Content-Security-Policy."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _style(page, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}"))


def test_the_portal_wears_its_brand(page, live_server, settings):
    settings.PORTAL_TITLE = "Acme Requests"
    settings.PORTAL_PRIMARY_COLOR = "#0a7c3e"
    settings.PORTAL_ACCENT_COLOR = "#fde047"
    settings.PORTAL_BANNER = "Requests are handled on working days."
    settings.PORTAL_FOOTER_LINKS = [("Privacy", "https://acme.example/privacy")]
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))

    page.goto(f"{live_server.url}/accounts/login/")

    assert page.title().endswith("· Acme Requests")
    assert page.locator(".topbar .brand").inner_text() == "Acme Requests"
    assert _style(page, ".topbar", "backgroundColor") == "rgb(253, 224, 71)"
    assert _style(page, ".topbar .brand", "color") == "rgb(17, 17, 17)"  # readable on yellow
    assert page.get_by_role("note").inner_text() == "Requests are handled on working days."
    privacy = page.locator("footer").get_by_role("link", name="Privacy")
    assert privacy.get_attribute("href") == "https://acme.example/privacy"
    assert _style(page, "footer a", "color") == "rgb(10, 124, 62)"
    assert not [text for text in refused if "Content Security Policy" in text]


def test_an_unbranded_portal_keeps_its_own_look(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    assert page.title().endswith("· Kestra Apps")
    assert _style(page, ".topbar", "backgroundColor") == "rgb(29, 31, 39)"
    assert page.locator("footer").count() == 0 and page.get_by_role("note").count() == 0
