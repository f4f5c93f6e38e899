"""A namespace-file thumbnail on a catalog card and over the app page, in Chromium: the
picture loads from the portal (which read it from Kestra's namespace files), under the
pages' own Content-Security-Policy."""

from __future__ import annotations

import re

import pytest

from apps_catalog.services import app_save_source
from tests.apps_catalog.conftest import app_yaml
from tests.conftest import EXAMPLES, import_example
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _loaded(image) -> bool:
    """The picture was fetched and decoded: a broken one has no natural width."""
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_a_catalog_card_shows_the_app_s_namespace_file(page, live_server, kestra, outsider):
    feedback = import_example("feedback_form")  # thumbnail: nsfiles:///feedback.svg
    app_save_source(source=app_yaml("unpictured", access="PUBLIC", thumbnail="nsfiles:///no.svg"))
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(outsider.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/apps/$"))

    card = page.locator(".card", has=page.get_by_role("link", name="Event feedback"))
    image = card.locator("img.card-thumbnail")
    image.wait_for()
    assert re.fullmatch(rf"/apps/{feedback.uid}/thumbnail\?v=\w+", image.get_attribute("src"))
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    assert _loaded(image)
    assert image.bounding_box()["height"] > 0
    served = page.request.get(f"{live_server.url}{image.get_attribute('src')}")
    assert served.body() == (EXAMPLES / "flows/_files/demo/feedback.svg").read_bytes()

    other = page.locator(".card", has=page.get_by_role("link", name="Unpictured"))
    assert other.is_visible() and other.locator("img").count() == 0
    assert not [text for text in refused if "Content Security Policy" in text]

    card.get_by_role("link", name="Event feedback").click()
    header = page.locator("h1.app-title img.app-thumbnail")
    header.wait_for()
    page.wait_for_function("img => img.complete", arg=header.element_handle())
    assert _loaded(header)
