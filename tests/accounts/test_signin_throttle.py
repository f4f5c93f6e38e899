"""Password guessing is limited (issue 18, item 2): failed sign-ins on the login form and
through the API's Basic auth are counted per client and per user name; past the limit the
answer is 429 with Retry-After, no password is checked, and the lockout ends on its own.

Only public doors: the login form and the API through Django's test client, each client
an address of its own (REMOTE_ADDR).
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from apps_catalog.services import app_save_source

pytestmark = pytest.mark.django_db

LIMIT = 3
LOCKOUT = 60
PASSWORD = "pw-ada-4711"  # noqa: S105 - the test user's
OPEN_APP = """id: open_app
type: io.kestra.plugin.ee.apps.Execution
displayName: Open
namespace: demo
flowId: data_request
access: PUBLIC
"""


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(seconds=LOCKOUT)


@pytest.fixture
def ada() -> User:
    return User.objects.create_user("ada", password=PASSWORD)


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Each password check Django's own backend makes, by user name."""
    checks: list[str] = []
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        checks.append(str(username))
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checks


def _sign_in(address: str, username: str, password: str) -> int:
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_login_form_refuses_a_client_past_the_limit_with_when_to_come_back(ada) -> None:
    for _ in range(LIMIT - 1):
        assert _sign_in("10.0.0.1", "ada", "wrong") == 200  # the form again, with its error
    client = Client(REMOTE_ADDR="10.0.0.1")
    refused = client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    assert refused.status_code == 429 and refused["Retry-After"] == str(LOCKOUT)
    assert b"Too many failed sign-ins" in refused.content
    # The right password too, from this client, until the lockout ends.
    assert _sign_in("10.0.0.1", "ada", PASSWORD) == 429
    # Other user names from that client: the client is locked out.
    assert _sign_in("10.0.0.1", "bob", "guess") == 429


def test_guessing_one_user_name_from_many_clients_is_limited_too(ada) -> None:
    for number in range(LIMIT):
        _sign_in(f"10.0.1.{number}", "ada", "wrong")
    assert _sign_in("10.0.1.200", "ada", PASSWORD) == 429


def _time_passes(seconds: int) -> None:
    """The failures counted so far happened that much earlier."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


def test_the_lockout_ends_on_its_own_and_guessing_during_it_does_not_lengthen_it(ada) -> None:
    for _ in range(LIMIT):
        _sign_in("10.0.2.1", "ada", "wrong")
    _time_passes(LOCKOUT - 5)
    assert _sign_in("10.0.2.1", "ada", "wrong") == 429  # one more guess, late in the lockout
    _time_passes(6)
    assert _sign_in("10.0.2.1", "ada", PASSWORD) == 302  # signed in


def test_basic_auth_past_the_limit_is_429_and_checks_no_password(ada, hash_checks) -> None:
    app, _ = app_save_source(source=OPEN_APP)
    client = Client(REMOTE_ADDR="10.0.3.1")
    view = f"/api/v1/main/apps/view/{app.uid}"
    answers = [
        client.get(view, HTTP_AUTHORIZATION=_basic("ada", f"guess{n}")).status_code
        for n in range(LIMIT + 20)
    ]
    assert answers[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert set(answers[LIMIT - 1 :]) == {429}
    assert len(hash_checks) == LIMIT  # not one password checked once locked out
    refused = client.get(view, HTTP_AUTHORIZATION=_basic("ada", PASSWORD))
    assert refused.status_code == 429 and refused["Retry-After"] == str(LOCKOUT)
    problem = refused.json()
    assert problem["status"] == 429 and "Too many failed sign-ins" in problem["detail"]
    # Without credentials the public app still answers this client.
    assert client.get(view).status_code != 429


def test_behind_a_trusted_proxy_one_client_locked_out_leaves_the_others_be(ada, settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.9.1"]

    def through_proxy(client_address: str, password: str) -> int:
        proxy = Client(REMOTE_ADDR="10.0.9.1", HTTP_X_FORWARDED_FOR=client_address)
        return proxy.post("/accounts/login/", {"username": "bob", "password": password}).status_code

    for _ in range(LIMIT):
        through_proxy("203.0.113.7", "wrong")
    assert through_proxy("203.0.113.7", "wrong") == 429
    proxy = Client(REMOTE_ADDR="10.0.9.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    signed_in = proxy.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert signed_in.status_code == 302
