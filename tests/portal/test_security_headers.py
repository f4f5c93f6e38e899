"""Security headers, and the production settings passing Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tracking import product_environ

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_a_content_security_policy_and_refuse_frames(client, data_request_app):
    response = client.get(f"/apps/{data_request_app.uid}/executions/nothing-here/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_app_pages_may_be_framed_by_the_listed_sites_only(
    settings, client, kestra, data_request_app
):
    settings.EMBED_ALLOWED_ORIGINS = ["https://intranet.example.org"]
    app_page = client.get(f"/apps/{data_request_app.uid}/")
    assert (
        "frame-ancestors 'self' https://intranet.example.org" in app_page["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in app_page
    catalog = client.get("/accounts/login/")
    assert catalog["X-Frame-Options"] == "DENY"


def test_images_load_from_the_portal_and_inline_only_by_default(client, data_request_app):
    response = client.get(f"/apps/{data_request_app.uid}/executions/nothing-here/")
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["img-src"] == "'self' data:"


def test_images_load_from_the_configured_sites_too():
    shown = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kestra_apps.settings",
            "IMAGE_ALLOWED_ORIGINS": "https://cdn.example.org,https://img.example.com",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.strip().endswith("'data:', 'https://cdn.example.org', 'https://img.example.com']")


def test_production_settings_pass_the_deployment_checks(tmp_path):
    env = {
        **product_environ(),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "apps.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "PORTAL_DATA_DIR": str(tmp_path),
    }
    env.pop("SECURE_COOKIES", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
