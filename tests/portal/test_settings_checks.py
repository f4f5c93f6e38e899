"""The system checks: settings that cannot work (errors), and a deployment that would misbehave
on several machines (warnings)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kestra_apps.checks import check_settings
from tests.conftest import ROOT


@pytest.mark.parametrize("name", ["KESTRA_TIMEOUT", "EXECUTION_POLL_SECONDS", "LIVE_POLL_SECONDS"])
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_a_duration_that_is_not_positive_is_reported(settings, name, value):
    setattr(settings, name, value)

    assert "kestra.E006" in [problem.id for problem in check_settings()]


def test_the_defaults_pass(settings):
    assert "kestra.E006" not in [problem.id for problem in check_settings()]
    assert "kestra.E021" not in [problem.id for problem in check_settings()]


@pytest.mark.parametrize(("name", "value"), [("THUMBNAIL_MAX_BYTES", 0), ("THUMBNAIL_TIMEOUT", -1)])
def test_a_thumbnail_limit_that_is_not_positive_is_reported(settings, name, value):
    setattr(settings, name, value)

    assert "kestra.E021" in [problem.id for problem in check_settings()]


def test_a_trusted_proxy_that_is_no_address_is_reported(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example.org"]
    problems = [problem for problem in check_settings() if problem.id == "kestra.E018"]
    assert len(problems) == 1 and "proxy.example.org" in problems[0].msg


@pytest.mark.parametrize(
    ("storage", "bucket"), [("disk", ""), ("s3", "")], ids=["unknown", "s3 without a bucket"]
)
def test_an_upload_storage_that_cannot_work_is_reported(settings, storage, bucket):
    settings.UPLOAD_STORAGE = storage
    settings.STORAGES = {**settings.STORAGES, "uploads": {"OPTIONS": {"bucket_name": bucket}}}

    assert "kestra.E019" in [problem.id for problem in check_settings()]


def test_the_default_upload_storage_passes():
    assert "kestra.E019" not in [problem.id for problem in check_settings()]


def test_a_metrics_network_that_is_not_one_is_reported(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "the office"]

    problems = [problem for problem in check_settings() if problem.id == "kestra.E020"]

    assert len(problems) == 1 and "'the office'" in problems[0].msg


def _check(tmp_path, **env: str) -> str:
    """`manage.py check` as a node with its own data folder (so its own generated key)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    environ |= {"PORTAL_DATA_DIR": str(tmp_path), "CELERY_BROKER_URL": "filesystem://", **env}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


SHARED_DATABASE = "postgres://portal@db.internal:5432/portal"


def test_a_generated_key_with_a_shared_database_is_warned_about(tmp_path):
    output = _check(tmp_path, DATABASE_URL=SHARED_DATABASE)

    assert "kestra.W019" in output and "the database can be shared" in output
    assert (tmp_path / "secret_key").read_text().strip() not in output


def test_a_generated_key_with_a_shared_broker_is_warned_about(tmp_path):
    output = _check(tmp_path, CELERY_BROKER_URL="redis://cache.internal:6379/0")

    assert "kestra.W019" in output and "the broker can be shared" in output


@pytest.mark.parametrize(
    "env",
    [{}, {"DATABASE_URL": SHARED_DATABASE, "SECRET_KEY": "one-key-for-every-node-" * 3}],
    ids=["one machine", "a key of its own"],
)
def test_no_warning_on_one_machine_or_with_a_key_set(tmp_path, env):
    assert "kestra.W019" not in _check(tmp_path, **env)
