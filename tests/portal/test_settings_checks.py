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


def test_a_trusted_proxy_that_is_no_address_is_reported(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example.org"]
    problems = [problem for problem in check_settings() if problem.id == "kestra.E011"]
    assert len(problems) == 1 and "proxy.example.org" in problems[0].msg
