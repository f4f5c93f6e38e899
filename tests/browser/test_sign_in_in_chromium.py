"""Signing in with the company's identity provider in Chromium: the button, the provider's
login page, a PRIVATE app granted to a group the provider names; the group taken away at
the provider, a logout and a new sign-in, and the app is gone."""

from __future__ import annotations

import re

import pytest

from apps_catalog.services import app_save_source
from tests.idp.provider import (
    IdentityProvider,
    portal_settings,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP = """id: analyst_reports
type: io.kestra.plugin.ee.apps.Execution
displayName: Analyst reports
namespace: demo
flowId: data_request
access:
  type: PRIVATE
  groups:
    - Analysts
layout:
  - on: OPEN
    blocks:
      - type: CreateExecutionForm
      - type: CreateExecutionButton
"""


def sign_in_with_the_provider(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.get_by_role("heading", name="Test identity provider").wait_for()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/apps/$"))


def test_a_group_from_the_provider_opens_a_private_app_until_it_is_taken_away(
    page,
    live_server,
    kestra,
    settings,
    idp: IdentityProvider,
) -> None:
    portal_settings(settings, idp, idp.register(base_urls=[live_server.url]))
    app, _ = app_save_source(source=APP)

    sign_in_with_the_provider(page, live_server)
    assert page.get_by_text("alice").first.is_visible()
    page.get_by_role("link", name="Analyst reports").click()
    page.get_by_role("heading", name="Analyst reports").wait_for()

    idp.put_user("alice", groups=[])
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")

    sign_in_with_the_provider(page, live_server)
    assert page.get_by_role("link", name="Analyst reports").count() == 0
    response = page.goto(f"{live_server.url}/apps/{app.uid}/")
    assert response is not None and response.status == 404
