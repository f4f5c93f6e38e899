"""Signing in through the company's identity provider: a real OpenID Connect provider
(tests/idp/server.mjs), the portal's code flow against it, the accounts and groups it makes,
the refusals, the session's end and logout."""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from accounts.models import Identity
from tests.idp.provider import (
    Client as IdpClient,
)
from tests.idp.provider import (
    IdentityProvider,
    portal_settings,
    sign_in_at_provider,
)
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings, idp: IdentityProvider, idp_client: IdpClient) -> IdentityProvider:
    portal_settings(settings, idp, idp_client)
    return idp


def start(client: Client, next_url: str = "/apps/") -> str:
    """Press "Sign in with …": the address of the provider's login the portal sends to."""
    response = client.get(f"/accounts/oidc/start/?next={next_url}")
    assert response.status_code == 302, response.content
    return response["Location"]


def come_back(client: Client, callback: str):
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: Client, username: str = "alice", next_url: str = "/apps/"):
    callback = sign_in_at_provider(requests.Session(), start(client, next_url), username=username)
    return come_back(client, callback)


def groups_of(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_the_first_sign_in_makes_the_account_with_its_groups(provider, client) -> None:
    response = sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/apps/"
    alice = User.objects.get(username="alice")
    assert (alice.email, alice.first_name, alice.last_name) == (
        "alice@example.com",
        "alice",
        "Tester",
    )
    assert not alice.has_usable_password()
    assert groups_of("alice") == {"Analysts"}
    assert Identity.objects.get(user=alice).subject == "sub-alice"
    assert client.get("/accounts/tokens/").status_code == 200  # signed in


def test_a_next_address_on_another_site_is_not_followed(provider, client) -> None:
    callback = sign_in_at_provider(
        requests.Session(), start(client, "https://evil.example/"), username="alice"
    )
    assert come_back(client, callback)["Location"] == "/apps/"


def test_the_authorization_request_carries_state_nonce_and_pkce(provider, client) -> None:
    query = parse_qs(urlsplit(start(client)).query)
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid email profile groups"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["code_challenge_method"] == ["S256"]


def test_each_sign_in_brings_email_name_and_groups_up_to_date(provider, client) -> None:
    sign_in(client)
    provider.put_user("alice", groups=["HR", "Payroll"], email="alice@corp.example", name="Al")
    assert sign_in(Client()).status_code == 302
    alice = User.objects.get(username="alice")
    assert (alice.email, alice.first_name) == ("alice@corp.example", "Al")
    assert groups_of("alice") == {"HR", "Payroll"}  # Analysts, no longer listed, is gone
    assert User.objects.filter(username="alice").count() == 1


def test_groups_made_by_hand_are_kept_only_when_the_settings_say_so(
    provider, client, settings
) -> None:
    sign_in(client)
    User.objects.get(username="alice").groups.add(Group.objects.create(name="Helpdesk"))
    provider.put_user("alice", groups=[])
    sign_in(Client())
    assert groups_of("alice") == {"Helpdesk"}
    settings.OIDC_KEEP_MANUAL_GROUPS = False
    sign_in(Client())
    assert groups_of("alice") == set()


def test_groups_are_filtered_by_the_prefix_and_the_allow_list(provider, client, settings) -> None:
    provider.put_user("alice", groups=["portal-HR", "portal-Ops", "Everyone"])
    settings.OIDC_GROUP_PREFIX = "portal-"
    sign_in(client)
    assert groups_of("alice") == {"portal-HR", "portal-Ops"}
    settings.OIDC_GROUPS_ALLOWED = ["portal-HR", "Everyone"]
    sign_in(Client())
    assert groups_of("alice") == {"portal-HR"}


def test_the_session_ends_after_the_maximum_age(provider, client, settings) -> None:
    settings.OIDC_SESSION_MAX_AGE = 600
    sign_in(client)
    ends = client.session.get_expiry_date()
    assert abs(ends - (timezone.now() + timedelta(seconds=600))) < timedelta(seconds=30)


# Refusals: a clear page, a log line without secrets, and no account made.


def refused(response, status: int, words: str, caplog) -> None:
    assert response.status_code == status, response.content
    page = response.content.decode()
    assert "Sign-in refused" in page and words in page
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert words in logged
    codes = parse_qs(urlsplit(response.wsgi_request.get_full_path()).query).get("code", [])
    for secret in (*codes, settings.OIDC_RP_CLIENT_SECRET, "alice-password"):
        assert secret not in logged and secret not in page


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.WARNING, logger="accounts")
    return caplog


def test_a_wrong_state_is_refused(provider, client, logs) -> None:
    callback = sign_in_at_provider(requests.Session(), start(client), username="alice")
    response = come_back(client, callback.replace("state=", "state=forged"))
    refused(response, 400, "not started in this browser", logs)
    assert not User.objects.exists()


def test_a_callback_in_another_browser_is_refused(provider, client, logs) -> None:
    callback = sign_in_at_provider(requests.Session(), start(client), username="alice")
    refused(come_back(Client(), callback), 400, "not started in this browser", logs)
    assert not User.objects.exists()


def test_a_wrong_nonce_is_refused(provider, client, logs) -> None:
    callback = sign_in_at_provider(requests.Session(), start(client), username="alice")
    session = client.session
    for state in session["oidc_states"].values():
        state["nonce"] = "not-the-one-sent"
    session.save()
    refused(come_back(client, callback), 400, "nonce", logs)
    assert not User.objects.exists()


def test_an_expired_code_is_refused(provider, client, logs) -> None:
    provider.set_ttl(AuthorizationCode=1)
    callback = sign_in_at_provider(requests.Session(), start(client), username="alice")
    time.sleep(2.1)
    refused(come_back(client, callback), 400, "expired or was used", logs)
    assert not User.objects.exists()


def test_an_error_from_the_provider_is_shown(provider, client, logs) -> None:
    start(client)
    response = client.get("/accounts/oidc/callback/?error=access_denied&state=x")
    refused(response, 400, "access_denied", logs)


def test_a_missing_groups_claim_is_refused_and_makes_no_account(provider, client, logs) -> None:
    provider.put_user("alice")  # no groups claim at all
    refused(sign_in(client), 403, "no groups (groups claim)", logs)
    assert not User.objects.exists() and not Group.objects.exists()


def test_a_refused_update_leaves_the_account_as_it_was(provider, client, logs) -> None:
    sign_in(client)
    provider.put_user("alice", email="new@example.com")  # and no groups claim
    refused(sign_in(Client()), 403, "no groups", logs)
    assert User.objects.get(username="alice").email == "alice@example.com"
    assert groups_of("alice") == {"Analysts"}


def test_an_issuer_the_discovery_does_not_confirm_is_refused(provider, client, settings, logs):
    settings.OIDC_ISSUER = provider.issuer.replace("127.0.0.1", "localhost")
    refused(client.get("/accounts/oidc/start/"), 502, "names another issuer", logs)


def test_an_issuer_that_does_not_answer_is_refused(provider, client, settings, logs):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        settings.OIDC_ISSUER = f"http://127.0.0.1:{unused.getsockname()[1]}"
    refused(client.get("/accounts/oidc/start/"), 502, "discovery failed: ConnectionError", logs)


def test_a_staff_account_of_the_same_name_is_not_taken_over(provider, client, logs) -> None:
    staff = make_user("alice", staff=True)
    refused(sign_in(client), 403, "staff account", logs)
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD) and not Identity.objects.exists()


def test_an_account_switched_off_in_the_portal_stays_out(provider, client, logs) -> None:
    sign_in(client)
    User.objects.filter(username="alice").update(is_active=False)
    refused(sign_in(Client()), 403, "switched off", logs)


# The login page and logout.


def test_the_login_page_offers_the_provider_and_the_password(provider, client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'name="password"' in page


def test_without_a_provider_the_login_page_is_the_password_form(client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=a&state=b").status_code == 404
    make_user("demo")
    response = client.post("/accounts/login/", {"username": "demo", "password": PASSWORD})
    assert response.status_code == 302


def test_local_login_off_takes_no_password_anywhere(provider, client, settings) -> None:
    settings.LOCAL_LOGIN = False
    make_user("demo", staff=True)
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'name="password"' not in page
    client.post("/accounts/login/", {"username": "demo", "password": PASSWORD})
    client.post("/admin/login/", {"username": "demo", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    basic = Client(headers={"Authorization": "Basic ZGVtbzpjb3JyZWN0IGhvcnNlIGJhdHRlcnkgc3RhcGxl"})
    assert basic.get("/api/v1/main/apps/tags").status_code == 401
    assert sign_in(client).status_code == 302


def test_the_admin_login_offers_the_provider_and_lets_staff_in(provider, client, settings):
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert "Sign in with Test IdP" in page and "/accounts/oidc/start/?next=/admin/" in page
    assert 'name="password"' in page
    settings.LOCAL_LOGIN = False
    assert 'name="password"' not in client.get("/admin/login/").content.decode()
    sign_in(client)
    User.objects.filter(username="alice").update(is_staff=True)  # made staff by hand
    assert sign_in(client, next_url="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_logout_ends_the_provider_session_too(provider, client) -> None:
    browser = requests.Session()
    come_back(client, sign_in_at_provider(browser, start(client), username="alice"))
    response = client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    end_session = response["Location"]
    assert end_session.startswith(f"{provider.issuer}/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["id_token_hint"]
    # At the provider: confirm, and come back to the login page.
    confirm = browser.get(end_session, timeout=5)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    back = browser.post(
        f"{provider.issuer}/session/end/confirm",
        data={**form, "logout": "yes"},
        allow_redirects=False,
        timeout=5,
    )
    assert back.headers["Location"] == "http://testserver/accounts/login/"
    # The provider asks for the password again.
    again = browser.get(start(Client()), timeout=5)
    assert 'name="password"' in again.text


def test_logout_of_a_password_session_stays_in_the_portal(provider, client) -> None:
    make_user("demo")
    client.post("/accounts/login/", {"username": "demo", "password": PASSWORD})
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
