"""The sign-in settings: read from the environment (the secret from a file), checked at
start-up, and with no provider configured the portal runs on its password login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.checks import check_sign_in

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "secret": s.OIDC_RP_CLIENT_SECRET,
    "form_action": s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
    "audience": s.OIDC_API_AUDIENCE,
    "groups_allowed": s.OIDC_GROUPS_ALLOWED,
    "local_login": s.LOCAL_LOGIN,
}))
"""


def run_python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "LOCAL_LOGIN"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "kestra_apps.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_settings_come_from_the_environment(tmp_path) -> None:
    secret = tmp_path / "client_secret"
    secret.write_text("s3cret-from-a-file\n")
    env = {
        "OIDC_ISSUER": "https://idp.example.com/realms/staff",
        "OIDC_CLIENT_ID": "portal",
        "OIDC_CLIENT_SECRET_FILE": str(secret),
        "OIDC_GROUPS_ALLOWED": "HR, Analysts",
        "LOCAL_LOGIN": "false",
    }
    result = run_python(env, "-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["secret"] == "s3cret-from-a-file"
    assert "https://idp.example.com" in read["form_action"]  # logout's redirect
    assert read["audience"] == "portal"  # the client id unless OIDC_API_AUDIENCE says
    assert read["groups_allowed"] == ["HR", "Analysts"]
    assert read["local_login"] is False


def test_with_no_provider_the_portal_checks_clean_and_keeps_passwords() -> None:
    result = run_python({}, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    read = json.loads(run_python({}, "-c", PRINT_SETTINGS).stdout)
    assert read["local_login"] is True and read["form_action"] == ["'self'"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"OIDC_ISSUER": "idp.example.com"}, "accounts.E001"),
        ({"OIDC_ISSUER": "https://idp.example.com", "OIDC_RP_CLIENT_SECRET": ""}, "accounts.E002"),
        ({"LOCAL_LOGIN": False}, "accounts.E003"),
        ({"OIDC_SESSION_MAX_AGE": 0}, "accounts.E004"),
    ],
)
def test_settings_that_cannot_work_are_reported(settings, changes, problem) -> None:
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    for name, value in changes.items():
        setattr(settings, name, value)
    assert [error.id for error in check_sign_in()] == [problem]


def test_a_configured_provider_passes(settings) -> None:
    settings.OIDC_ISSUER = "https://idp.example.com/realms/staff"
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.LOCAL_LOGIN = False
    assert check_sign_in() == []
