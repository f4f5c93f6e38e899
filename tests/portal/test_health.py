"""Health endpoints: `/healthz` while the process serves, `/readyz` naming the dependency
that fails (database, broker, Kestra) without giving away an address or a secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from django.test import Client

from kestra_apps.celery import app as celery_app
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there


def test_healthz_answers_while_the_process_serves():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_when_the_database_the_broker_and_kestra_answer(kestra):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "kestra": "ok"}


def test_readyz_names_kestra_when_it_does_not_answer(settings):
    settings.KESTRA_URL = f"http://user:s3cret@{CLOSED}"
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed" and body["database"] == "ok"
    assert body["kestra"] == "failed: Kestra could not be reached: ConnectionError"
    assert "s3cret" not in response.content.decode() and CLOSED not in response.content.decode()


def test_readyz_names_the_broker_when_it_does_not_answer(kestra):
    # The write URL too: Celery reads it apart when CELERY_BROKER_URL is in the environment.
    keys = ("broker_url", "broker_write_url")
    before = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(dict.fromkeys(keys, f"redis://:s3cret@{CLOSED}/0"))
    try:
        response = Client().get("/readyz")
    finally:
        celery_app.conf.update(before)
    assert response.status_code == 503
    body = response.json()
    assert body["broker"].startswith("failed: ") and body["kestra"] == "ok"
    assert "s3cret" not in response.content.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site_without_database(kestra) -> Iterator[str]:
    """The portal with a database that does not answer."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"postgres://portal:s3cret@{CLOSED}/portal"}
    env["KESTRA_URL"] = kestra
    command = [sys.executable, "-m", "gunicorn", "kestra_apps.wsgi", "-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/healthz", timeout=5)
            break
        except requests.RequestException:
            assert process.poll() is None and time.monotonic() < deadline, "the site did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


def test_readyz_names_the_database_when_it_does_not_answer(site_without_database):
    assert requests.get(f"{site_without_database}/healthz", timeout=10).status_code == 200
    response = requests.get(f"{site_without_database}/readyz", timeout=20)
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "failed: OperationalError" and body["kestra"] == "ok"
    assert "s3cret" not in response.text and "portal" not in response.text
