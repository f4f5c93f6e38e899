"""The portal's database sessions (accounts/sessions.py, read by SQL written once): what a
person notices is whether they stay signed in, and that a session that ended or never
existed gives them none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.sessions import SessionStore
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def signed_in_name(client: Client) -> str | None:
    """The name the page header shows for this browser, None when it offers to log in."""
    page = client.get("/apps/").content.decode()
    if 'class="who"' not in page:
        return None
    return page.split('class="who">', 1)[1].split("<", 1)[0]


def test_a_signed_in_person_stays_signed_in_from_one_request_to_the_next() -> None:
    client = Client()
    client.force_login(make_user("ada"))
    assert signed_in_name(client) == "ada"
    assert signed_in_name(client) == "ada"


def test_a_session_past_its_expiry_date_signs_nobody_in() -> None:
    client = Client()
    client.force_login(make_user("ada"))
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert signed_in_name(client) is None


def test_a_session_ending_a_minute_from_now_still_counts() -> None:
    client = Client()
    client.force_login(make_user("ada"))
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert signed_in_name(client) == "ada"


def test_a_key_the_portal_never_gave_is_not_adopted_when_the_session_is_saved() -> None:
    """A cookie naming a session that does not exist (one planted by somebody else, say)
    reads as empty, and what is then saved goes under a new key."""
    planted = "plantedkey0123456789abcdefghijkl"
    store = SessionStore(planted)
    assert store.load() == {}
    store["language"] = "fr"
    store.save()
    assert store.session_key not in (None, planted)
    assert not Session.objects.filter(session_key=planted).exists()
    assert SessionStore(store.session_key).load() == {"language": "fr"}


def test_a_session_is_read_the_same_from_async_code() -> None:
    store = SessionStore()
    store["language"] = "de"
    store.create()
    assert async_to_sync(SessionStore(store.session_key).aload)() == {"language": "de"}
