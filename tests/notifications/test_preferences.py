"""The preferences page and the outbox in the admin: who may open them, what they keep,
and that a chat address never shows again nor sits in the database in clear."""

from __future__ import annotations

import re

import pytest

from notifications.models import Notification, Preference
from tests.personas import signed_in

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"
HOOK = "json://127.0.0.1:9/secret-token-4711"


@pytest.mark.parametrize(
    ("persona", "status"), [("anonymous", 302), ("outsider", 200), ("admin", 200)]
)
def test_everyone_signed_in_has_preferences_and_visitors_are_sent_to_log_in(
    request, persona, status
):
    response = signed_in(request.getfixturevalue(persona)).get(PAGE)
    assert response.status_code == status
    if status == 302:
        assert "/accounts/login/" in response["Location"]


def test_turning_an_event_off_and_giving_a_chat_address_is_kept_and_never_shown(outsider):
    client = signed_in(outsider)
    wanted = ["pending", "decision", "finished"]
    saved = client.post(PAGE, {"receive": wanted, "chat_address": HOOK})
    assert saved.status_code == 302

    preference = Preference.objects.get(user=outsider)
    assert preference.muted == ["reminder", "escalation", "delegation"]
    assert preference.chat_address == HOOK
    assert "secret-token-4711" not in preference.chat_secret
    shown = client.get(PAGE).content.decode()
    assert "secret-token-4711" not in shown and "(one is set)" in shown
    checked = re.findall(
        r'<input type="checkbox" name="receive" value="(\w+)"[^>]* checked>', shown
    )
    assert checked == wanted

    forgotten = client.post(PAGE, {"receive": wanted, "forget_chat": "on"})
    assert forgotten.status_code == 302
    assert Preference.objects.get(user=outsider).chat_secret == ""


def test_an_address_apprise_does_not_know_is_refused_and_nothing_changes(outsider):
    client = signed_in(outsider)
    refused = client.post(PAGE, {"receive": ["pending"], "chat_address": "not a url"})
    assert refused.status_code == 400
    assert "This is not a chat address Apprise knows." in refused.content.decode()
    assert Preference.objects.get(user=outsider).muted == []


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 302), ("viewer", 403), ("admin", 200)]
)
def test_the_outbox_is_in_the_admin_for_superusers_and_cannot_be_edited(request, persona, status):
    notification = Notification.objects.create(
        key="k", event="pending", channel="EMAIL", address="a@example.com",
        subject="Hello", text="Hi", link="http://127.0.0.1:8000/",
    )  # fmt: skip
    client = signed_in(request.getfixturevalue(persona))
    listing = client.get("/admin/notifications/notification/")
    assert listing.status_code == status
    if status == 200:
        assert "a@example.com" in listing.content.decode()
        page = client.get(f"/admin/notifications/notification/{notification.pk}/change/")
        assert page.status_code == 200 and 'name="subject"' not in page.content.decode()
        assert client.get("/admin/notifications/notification/add/").status_code == 403
