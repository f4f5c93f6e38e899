"""Who the API takes a caller for: bearer tokens, basic auth (and turning it off), the
browser session with its CSRF check, and the tokens page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from kestrapy.exceptions import NotFoundException, UnauthorizedException

from accounts.models import ApiToken, token_digest

from .conftest import TENANT, kestra_client

LIVE = pytest.mark.django_db(transaction=True)


@LIVE
def test_basic_auth_with_a_username_and_password(live_server, kestra, personas, apps) -> None:
    client = kestra_client(live_server.url, user=personas["direct"].user).apps
    view = client.open_app_view(apps["private"].uid, TENANT)
    assert view["stage"] == "OPEN"


@LIVE
def test_basic_auth_turned_off_is_refused(live_server, kestra, settings, personas, apps) -> None:
    settings.API_BASIC_AUTH = False
    client = kestra_client(live_server.url, user=personas["superuser"].user).apps
    with pytest.raises(UnauthorizedException) as caught:
        client.list_tags(TENANT)
    assert "turned off" in caught.value.body
    # Even on what anonymous callers may read: the credentials are refused, not ignored.
    with pytest.raises(UnauthorizedException):
        client.open_app_view(apps["public"].uid, TENANT)
    token = kestra_client(live_server.url, token=personas["superuser"].token).apps
    assert token.list_tags(TENANT).tags


@LIVE
def test_a_token_of_a_user_without_the_grant_gets_404(live_server, kestra, personas, apps) -> None:
    outsider = kestra_client(live_server.url, token=personas["outsider"].token).apps
    with pytest.raises(NotFoundException):
        outsider.open_app_view(apps["private"].uid, TENANT)
    anonymous = kestra_client(live_server.url).apps
    with pytest.raises(UnauthorizedException) as caught:
        anonymous.open_app_view(apps["private"].uid, TENANT)
    assert '"status":401' in caught.value.body.replace(" ", "")


@LIVE
def test_a_revoked_or_made_up_token_is_refused(live_server, kestra, personas) -> None:
    ApiToken.objects.filter(user=personas["member"].user).delete()
    for token in (personas["member"].token, "kap_made-up"):
        with pytest.raises(UnauthorizedException):
            kestra_client(live_server.url, token=token).apps.list_tags(TENANT)


@pytest.mark.django_db
def test_the_challenge_names_bearer(client: Client) -> None:
    response = client.get(f"/api/v1/{TENANT}/apps/tags")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["instance"] == f"/api/v1/{TENANT}/apps/tags"


@pytest.mark.django_db
def test_another_tenant_and_unknown_paths_are_problems(client: Client, personas) -> None:
    headers = personas["superuser"].headers
    assert client.get("/api/v1/other/apps/tags", headers=headers).status_code == 404
    response = client.get("/api/v1/main/nothing/here")
    assert response.status_code == 404 and response.json()["title"] == "Not Found"


@pytest.mark.django_db
def test_a_session_needs_its_csrf_token_to_change_anything(personas, apps) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["manager"].user)
    assert browser.get(f"/api/v1/{TENANT}/apps/search").status_code == 200
    response = browser.post(f"/api/v1/{TENANT}/apps/{apps['public'].uid}/disable")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    browser.get("/accounts/tokens/")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/api/v1/{TENANT}/apps/{apps['public'].uid}/disable", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200 and response.json()["enabled"] is False


@pytest.mark.django_db
def test_an_anonymous_browser_session_acts_only_with_its_csrf_token(personas, apps) -> None:
    """A session cookie alone must not let another site cancel that browser's request."""
    from executions.models import Execution

    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")  # a page with a form: sets the CSRF cookie
    session = browser.session
    session["seen"] = True
    session.save()
    browser.cookies["sessionid"] = session.session_key
    execution = Execution.objects.create(
        app=apps["public"],
        kestra_id="DoneExecution000000001",
        delivery=Execution.Delivery.DELIVERED,
        state="SUCCESS",
        stage="SUCCESS",
        session_key=session.session_key,
    )
    from api.tokens import dispatch_token

    url = f"/api/v1/{TENANT}/apps/view/{apps['public'].uid}/dispatch/"
    url += dispatch_token("cancel", apps["public"], execution)
    assert browser.post(url).status_code == 403  # no CSRF token
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(url, headers={"X-CSRFToken": csrf})
    assert response.status_code == 422  # allowed, and too late: it is over
    assert "not in a state" in response.json()["detail"]


@pytest.mark.django_db
def test_the_tokens_page_shows_a_new_token_once_and_revokes(personas) -> None:
    browser = Client()
    browser.force_login(personas["member"].user)
    page = browser.get("/accounts/tokens/")
    assert page.status_code == 200 and "tests" in page.content.decode()
    created = browser.post("/accounts/tokens/", {"name": "CI deploy"})
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    raw = re.search(r'<code id="new-token">([^<]+)</code>', created.content.decode())[1]
    token = ApiToken.objects.get(name="CI deploy")
    assert token.digest == token_digest(raw) and raw not in token.digest
    assert raw not in browser.get("/accounts/tokens/").content.decode()
    other = ApiToken.objects.get(user=personas["outsider"].user)
    assert browser.post(f"/accounts/tokens/{other.pk}/revoke/").status_code == 404
    assert browser.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ApiToken.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_the_tokens_page_needs_a_login(client: Client) -> None:
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_an_admin_issues_a_token_shown_once(personas) -> None:
    admin = Client()
    admin.force_login(personas["superuser"].user)
    response = admin.post(
        "/admin/accounts/apitoken/add/",
        {"user": personas["member"].user.pk, "name": "issued by ada"},
        follow=True,
    )
    assert response.status_code == 200
    raw = re.search(r"(kap_[A-Za-z0-9_-]{43})", response.content.decode())[1]
    assert ApiToken.objects.get(name="issued by ada").digest == token_digest(raw)


@pytest.mark.django_db
def test_the_schema_and_its_docs_page(client: Client) -> None:
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/{tenant}/apps/view/{uid}/dispatch/{dispatch_token}" in paths
    assert len(paths) == 20
    operations = {op["operationId"] for path in paths.values() for op in path.values()}
    assert {"createApp", "searchApps", "dispatchApp", "streamEventsFromApp"} <= operations
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert "script-src 'self'" in docs["Content-Security-Policy"]  # scripts are files
    assert client.get("/api/docs/?script").status_code == 200
