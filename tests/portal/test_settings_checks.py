"""The system check refuses intervals that would make the portal spin or never ask."""

from __future__ import annotations

import pytest

from kestra_apps.checks import check_settings


@pytest.mark.parametrize("name", ["KESTRA_TIMEOUT", "EXECUTION_POLL_SECONDS", "LIVE_POLL_SECONDS"])
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_a_duration_that_is_not_positive_is_reported(settings, name, value):
    setattr(settings, name, value)

    assert "kestra.E006" in [problem.id for problem in check_settings()]


def test_the_defaults_pass(settings):
    assert "kestra.E006" not in [problem.id for problem in check_settings()]


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
