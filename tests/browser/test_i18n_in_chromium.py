"""The portal in French in a Chromium set to fr-FR (its Accept-Language and navigator's
language), then switched to Japanese: the catalog, a form and its validation errors, an
execution page going live, an approval, and dates, as the people of tests/personas see them.

What a page should say is read from the catalogs (locale/), so a translator's better wording
keeps this test passing; an entry still untranslated fails it. App content (the example app's
own texts) stays in the app's one language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from playwright.sync_api import Page

from notifications.models import Preference
from tests.browser.test_approvals_in_chromium import (  # noqa: F401 - the module's fixtures
    approvals_emulator,
    decision,
    hr,
    kestra_here,
    mail_server,
    shared_worker,
    stage,
    vacation_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRENCH_MONTHS = re.compile(
    r"janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\."
)
Open = Callable[[User], Page]


def said(language: str, message: str, context: str | None = None) -> str:
    """The catalog's translation; an untranslated entry fails the test that needs it."""
    with translation.override(language):
        text = translation.pgettext(context, message) if context else translation.gettext(message)
    assert text != message or language == "en", f"{message!r} is not translated to {language}"
    return text


@pytest.fixture
def in_french(browser, live_server) -> Iterator[Open]:
    """A page in a browser of its own, set to French and to New York's time zone, signed in
    as the user."""
    contexts = []

    def open_as(user: User) -> Page:
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            locale="fr-FR", timezone_id="America/New_York", viewport={"width": 1100, "height": 900}
        )
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_a_request_and_its_approval_in_french_then_japanese(live_server, hr, in_french):  # noqa: F811
    vacation_app("approval:\n  quorum: 1\n")
    rita = in_french(hr["rita"])

    # The catalog
    rita.goto(f"{live_server.url}/apps/")
    assert rita.locator("html").get_attribute("lang") == "fr"
    assert rita.locator("h1").inner_text() == said("fr", "Apps")
    assert rita.get_by_role("link", name=said("fr", "My requests")).count() == 1
    assert rita.get_by_placeholder(said("fr", "Search apps")).count() == 1

    # The form, and its errors when sent empty (the browser's own checks are off: novalidate)
    rita.get_by_role("link", name="Vacation requests").click()
    rita.get_by_role("button", name="Send request").click()
    errors = rita.locator(".field .errors li")
    errors.first.wait_for()
    assert rita.locator(f'.required[aria-label="{said("fr", "required")}"]').count() >= 1
    shown = " ".join(errors.all_inner_texts())
    assert "missing required input" not in shown, f"errors in English: {shown}"

    # Sent properly, its page goes live up to the approval, in French
    rita.get_by_label("Your name").fill("Zebulon Quist")
    rita.get_by_label("First day off").fill("2027-01-04")
    rita.get_by_label("Last day off").fill("2027-01-08")
    rita.get_by_label("Reason").fill("Visite de famille")
    rita.get_by_role("button", name="Send request").click()
    rita.wait_for_url("**/executions/**")
    stage(rita, "PAUSE", timeout=60_000)
    assert decision(rita).get_attribute("aria-label") == said("fr", "Approval")
    progress = decision(rita).locator(".progress").inner_text()
    assert not re.search(r"\bof\b|approvals?\b", progress), f"progress in English: {progress}"
    execution_url = rita.url

    # Her requests, dated the French way in her browser's time zone
    rita.goto(f"{live_server.url}/apps/requests/")
    when = rita.locator("time[data-local]").first.inner_text()
    assert FRENCH_MONTHS.search(when), when

    # Mona approves in French
    mona = in_french(hr["mona"])
    mona.goto(f"{live_server.url}/apps/approvals/")
    assert mona.locator("h1").inner_text() == said("fr", "Approvals")
    headers = mona.locator("table.approvals th").all_inner_texts()
    assert said("fr", "Requested by") in headers and said("fr", "Time left") in headers
    mona.goto(execution_url)
    stage(mona, "PAUSE", timeout=60_000)
    assert mona.get_by_label(re.compile(f"^{said('fr', 'Comment', 'noun')}")).count() == 1
    mona.get_by_role("button", name="Approve").click()
    stage(mona, "SUCCESS", timeout=60_000)
    verdict = decision(mona).locator(".verdict").inner_text()
    assert verdict != "Approved", "the verdict is in English"

    # Switching to Japanese keeps the choice across pages, and in her preferences
    with mona.expect_navigation():
        mona.locator("#language-choice").select_option("ja")
    assert mona.locator("html").get_attribute("lang") == "ja"
    mona.goto(f"{live_server.url}/apps/requests/")
    assert mona.locator("html").get_attribute("lang") == "ja"
    assert Preference.objects.get(user=hr["mona"]).language == "ja"
    assert mona.locator("h1").inner_text() == said("ja", "My requests")
