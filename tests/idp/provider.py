"""The test identity provider (server.mjs, panva's oidc-provider on Node) as the tests use
it: started once per session on a free port, its users and token lifetimes changed through
its /test/ door, and a person signing in at its login page (`sign_in_at_provider`)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
PORTAL_CALLBACK = "/accounts/oidc/callback/"
PORTAL_AFTER_LOGOUT = "/accounts/login/"
API_AUDIENCE = "urn:portal:api"
OTHER_AUDIENCE = "urn:other:api"
SCOPES = "openid email profile groups"


@dataclass
class Client:
    client_id: str
    client_secret: str


class IdentityProvider:
    """A running server.mjs."""

    def __init__(self, process: subprocess.Popen[str], issuer: str) -> None:
        self.process = process
        self.issuer = issuer

    def put_user(self, username: str, **record: object) -> None:
        """Replace a user: `groups` (absent: no groups claim), `password`, `email`, `name`."""
        response = requests.put(f"{self.issuer}/test/users/{username}", json=record, timeout=5)
        response.raise_for_status()

    def set_ttl(self, **seconds: int) -> None:
        """How long the next AuthorizationCode / AccessToken live."""
        requests.put(f"{self.issuer}/test/ttl", json=seconds, timeout=5).raise_for_status()

    def reset(self) -> None:
        self.put_user("alice", groups=["Analysts"])
        self.put_user("bob", groups=[])
        self.set_ttl(AuthorizationCode=60, AccessToken=600)

    def register(self, *, base_urls: list[str]) -> Client:
        """A client for portals served at `base_urls` (Dynamic Client Registration)."""
        metadata = {
            "redirect_uris": [base + PORTAL_CALLBACK for base in base_urls],
            "post_logout_redirect_uris": [base + PORTAL_AFTER_LOGOUT for base in base_urls],
            "token_endpoint_auth_method": "client_secret_post",
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
        }
        response = requests.post(f"{self.issuer}/reg", json=metadata, timeout=5)
        response.raise_for_status()
        answer = response.json()
        return Client(answer["client_id"], answer["client_secret"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start() -> IdentityProvider:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("The test identity provider needs Node and `npm ci` in tests/idp (.ci/run)")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [node, str(HERE / "server.mjs")],
        env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
            return IdentityProvider(process, issuer)
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the test identity provider did not start:\n{output}")
            time.sleep(0.1)


def stop(provider: IdentityProvider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait()


@pytest.fixture(scope="session")
def test_idp() -> Iterator[IdentityProvider]:
    provider = start()
    yield provider
    stop(provider)


@pytest.fixture(scope="session")
def idp_client(test_idp: IdentityProvider) -> Client:
    """The portal's client at the provider, for Django's test client (http://testserver)."""
    return test_idp.register(base_urls=["http://testserver"])


@pytest.fixture
def idp(test_idp: IdentityProvider) -> IdentityProvider:
    """The provider with its users as they start: alice in Analysts, bob in no group."""
    test_idp.reset()
    return test_idp


def portal_settings(settings, provider: IdentityProvider, client: Client) -> None:
    """Point the portal at the test provider, as its environment variables would."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = client.client_id
    settings.OIDC_RP_CLIENT_SECRET = client.client_secret
    settings.OIDC_RP_SCOPES = SCOPES
    settings.OIDC_API_AUDIENCE = API_AUDIENCE
    settings.OIDC_BUTTON_LABEL = "Test IdP"
    # What kestra_apps/settings.py adds for an OIDC_ISSUER: logout's redirect to it.
    policy = deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(provider.issuer)
    settings.CONTENT_SECURITY_POLICY = policy


def sign_in_at_provider(
    session: requests.Session, url: str, *, username: str, password: str | None = None
) -> str:
    """Follow `url` (an authorization request) through the provider's login page as a
    browser would; the address the provider sends the browser back to (the callback)."""
    password = password if password is not None else f"{username}-password"
    issuer = url.split("/auth", 1)[0]
    response = session.get(url, allow_redirects=False, timeout=5)
    for _ in range(10):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(issuer):
                return location
            response = session.get(location, allow_redirects=False, timeout=5)
        elif response.status_code == 200 and 'name="password"' in response.text:
            response = session.post(
                response.url.rstrip("/") + "/login",
                data={"username": username, "password": password},
                allow_redirects=False,
                timeout=5,
            )
        else:
            raise AssertionError(f"the provider answered {response.status_code}: {response.text}")
    raise AssertionError("the provider never sent the browser back")


def access_token(
    provider: IdentityProvider, client: Client, *, username: str, resource: str = API_AUDIENCE
) -> str:
    """An access token for `resource` (a JWT), as a machine's client gets one."""
    return tokens(provider, client, username=username, resource=resource)["access_token"]


def tokens(
    provider: IdentityProvider, client: Client, *, username: str, resource: str
) -> dict[str, str]:
    """The token endpoint's answer (access and ID tokens) after the code flow with PKCE
    and a nonce, for `resource`."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = "http://testserver" + PORTAL_CALLBACK
    query = urlencode(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "scope": "openid api",
            "redirect_uri": redirect_uri,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "resource": resource,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    callback = sign_in_at_provider(
        requests.Session(), f"{provider.issuer}/auth?{query}", username=username
    )
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = requests.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": verifier,
            "resource": resource,
        },
        timeout=5,
    )
    response.raise_for_status()
    return dict(response.json())
