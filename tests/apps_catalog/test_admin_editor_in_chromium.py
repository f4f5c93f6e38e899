"""The app editor in the admin, in a real Chromium: CodeMirror over the textarea, issues
marked in the gutter at their line, the preview frame, and saving what the editor holds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings

from apps_catalog.models import App
from tests.apps_catalog.conftest import app_yaml

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKEN = app_yaml("edited", access="PUBLIC") + (
    "layout:\n  - on: OPEN\n    blocks:\n      - type: Alert\n        style: loud\n"
)


@pytest.fixture
def page(browser, live_server, admin, client, settings) -> Iterator[object]:
    settings.KESTRA_URL = "http://127.0.0.1:9"  # the save must survive Kestra being down
    client.force_login(admin)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_issues_are_marked_at_their_line_and_the_preview_shows_every_stage(page, live_server):
    page.goto(f"{live_server.url}/admin/apps_catalog/app/add/")
    page.wait_for_selector(".CodeMirror-linenumber")
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", BROKEN)

    page.click("[data-preview-button]")

    page.wait_for_selector(".app-issue-marker")
    assert page.inner_text(".app-source-issues li").startswith(
        "line 11: layout[0].blocks[0].style: must be one of"
    )
    marked_line = page.locator(".app-issue-line").first
    assert "style: loud" in marked_line.inner_text()

    page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror').CodeMirror;"
        " cm.setValue(cm.getValue().replace('loud', 'WARNING')); }"
    )
    page.click("[data-preview-button]")

    page.wait_for_selector(".app-preview-frame:not([hidden])")
    assert page.locator(".app-issue-marker").count() == 0
    frame = page.frame_locator(".app-preview-frame")
    assert frame.locator("#stage-OPEN .alert-warning").count() == 1
    assert frame.locator(".preview-stage").count() == 8


def test_saving_stores_what_the_editor_holds(page, live_server):
    page.goto(f"{live_server.url}/admin/apps_catalog/app/add/")
    page.wait_for_selector(".CodeMirror-linenumber")
    source = app_yaml("typed_in_the_editor")
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", source)

    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist")
    assert "was not checked" in page.inner_text(".messagelist")  # Kestra is down: a warning
    assert App.objects.get().source == source


def test_a_server_error_is_marked_in_the_gutter_after_saving(page, live_server):
    page.goto(f"{live_server.url}/admin/apps_catalog/app/add/")
    page.wait_for_selector(".CodeMirror-linenumber")
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", BROKEN)

    page.click("input[name=_save]")

    page.wait_for_selector(".app-issue-marker")
    assert "must be one of" in page.get_attribute(".app-issue-marker", "title")
    assert not App.objects.exists()
