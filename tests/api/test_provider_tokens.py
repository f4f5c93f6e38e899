"""Machines at the REST API with access tokens from the company's identity provider (a
real one, tests/idp/server.mjs): JWTs checked against its keys, issuer, audience and
expiry, and mapped to the same account and groups as a sign-in."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import ApiToken
from tests.conftest import import_example
from tests.idp.provider import (
    API_AUDIENCE,
    OTHER_AUDIENCE,
    IdentityProvider,
    access_token,
    portal_settings,
    tokens,
)
from tests.idp.provider import Client as IdpClient

from .conftest import TENANT

pytestmark = pytest.mark.django_db
CATALOG = f"/api/v1/{TENANT}/apps/catalog"


@pytest.fixture
def provider(settings, idp: IdentityProvider, idp_client: IdpClient) -> IdentityProvider:
    portal_settings(settings, idp, idp_client)
    return idp


@pytest.fixture
def hr_app():
    return import_example("vacation_approval")  # PRIVATE, for the group HR


def catalog(token: str):
    return Client().get(CATALOG, headers={"Authorization": f"Bearer {token}"})


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["uid"] for item in response.json()["results"]]


def refused(response, words: str, caplog) -> None:
    assert response.status_code == 401, response.content
    assert words in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert words in caplog.text


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.WARNING, logger="accounts")
    return caplog


def test_a_provider_token_acts_as_its_user_with_the_providers_groups(
    provider, idp_client, hr_app
) -> None:
    provider.put_user("alice", groups=["HR"])
    token = access_token(provider, idp_client, username="alice")
    assert names(catalog(token)) == [hr_app.uid]
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {"HR"}
    provider.put_user("alice", groups=[])
    assert names(catalog(access_token(provider, idp_client, username="alice"))) == []
    assert not alice.groups.exists()


def test_an_expired_token_is_refused(provider, idp_client, logs) -> None:
    provider.set_ttl(AccessToken=1)
    token = access_token(provider, idp_client, username="alice")
    time.sleep(2.1)
    refused(catalog(token), "expired", logs)
    assert token not in logs.text


def test_a_token_for_another_audience_is_refused(provider, idp_client, logs) -> None:
    token = access_token(provider, idp_client, username="alice", resource=OTHER_AUDIENCE)
    refused(catalog(token), "another audience", logs)
    assert not User.objects.exists()


def test_a_token_with_a_changed_payload_fails_its_signature(provider, idp_client, logs) -> None:
    header, payload, signature = access_token(provider, idp_client, username="bob").split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "groups": ["HR"]}).encode()).rstrip(
        b"="
    )
    refused(catalog(f"{header}.{forged.decode()}.{signature}"), "signature", logs)
    assert not User.objects.exists()


def test_a_token_from_an_unknown_issuer_is_refused(provider, logs) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    claims = {
        "iss": "https://idp.attacker.example",
        "sub": "sub-alice",
        "aud": API_AUDIENCE,
        "exp": now + timedelta(minutes=5),
        "preferred_username": "alice",
        "groups": ["HR"],
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "their-key"})
    refused(catalog(token), "a key the provider does not have", logs)
    assert not User.objects.exists()


def test_an_id_token_is_not_taken_for_an_access_token(provider, idp_client, settings, logs):
    settings.OIDC_API_AUDIENCE = idp_client.client_id  # the default: the client id
    answer = tokens(provider, idp_client, username="alice", resource=API_AUDIENCE)
    refused(catalog(answer["id_token"]), "an ID token is not an access token", logs)
    assert not User.objects.exists()


def made_up(algorithm: str, key: str | None, provider_issuer: str) -> str:
    """A token with the provider's issuer and key id, not signed by its key."""
    claims = {"iss": provider_issuer, "sub": "sub-alice", "aud": API_AUDIENCE, "exp": 4102444800}
    claims |= {"preferred_username": "alice", "groups": ["HR"]}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "test-key"})


@pytest.mark.parametrize("kind", ["garbage", "none", "hs256"])
def test_made_up_tokens_are_refused_never_an_error(provider, idp_client, kind) -> None:
    token = {
        "garbage": "a.b.c",
        "none": made_up("none", None, provider.issuer),
        # The client secret is shared with the portal: a token "signed" with it is no proof.
        "hs256": made_up("HS256", idp_client.client_secret, provider.issuer),
    }[kind]
    response = catalog(token)
    assert response.status_code == 401, response.content
    assert "The access token is refused" in response.json()["detail"]
    assert not User.objects.exists()


def test_a_token_without_the_groups_claim_is_refused(provider, idp_client, logs) -> None:
    provider.put_user("alice")
    refused(catalog(access_token(provider, idp_client, username="alice")), "no groups", logs)
    assert not User.objects.exists()


def test_portal_tokens_keep_working_beside_the_provider(provider, outsider) -> None:
    _, raw = ApiToken.objects.issue(user=outsider, name="ci")
    assert names(catalog(raw)) == []
    assert catalog("kap_made-up").status_code == 401


def test_without_a_provider_a_jwt_is_just_an_unknown_token(idp_client, test_idp) -> None:
    token = access_token(test_idp, idp_client, username="alice")
    response = catalog(token)
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
