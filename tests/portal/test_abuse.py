"""Public forms against abuse: a per-client limit and a honeypot."""

import pytest
from django.test import Client

from executions.models import Execution
from executions.throttle import parse_rate

pytestmark = pytest.mark.django_db

VALUES = {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def test_submissions_past_the_limit_get_a_clear_429(settings, kestra, data_request_app):
    settings.SUBMISSION_RATE_LIMIT = "3/m"
    client = Client()
    statuses = [client.post(f"/apps/{data_request_app.uid}/", VALUES).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    refused = client.post(f"/apps/{data_request_app.uid}/", VALUES)
    assert b"Too many requests" in refused.content and int(refused["Retry-After"]) > 0
    assert Execution.objects.count() == 3


def test_the_limit_is_per_client(settings, kestra, data_request_app):
    settings.SUBMISSION_RATE_LIMIT = "1/m"
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert first.post(f"/apps/{data_request_app.uid}/", VALUES).status_code == 302
    assert second.post(f"/apps/{data_request_app.uid}/", VALUES).status_code == 302


def test_checks_of_a_forms_values_past_their_limit_get_a_429_and_ask_kestra_no_more(
    settings, kestra, data_request_app, monkeypatch
):
    from executions import interactions

    settings.VALIDATE_RATE_LIMIT = "3/m"
    asked: list[str] = []
    validate = interactions.validate
    monkeypatch.setattr(
        interactions, "validate", lambda app, *args: asked.append(app.uid) or validate(app, *args)
    )
    client = Client()
    url = f"/apps/{data_request_app.uid}/validate/"
    statuses = [client.post(url, VALUES).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(asked) == 3
    assert int(client.post(url, VALUES)["Retry-After"]) > 0
    assert Client(REMOTE_ADDR="10.0.0.2").post(url, VALUES).status_code == 200


@pytest.mark.parametrize("name", ["SUBMISSION_RATE_LIMIT", "VALIDATE_RATE_LIMIT"])
def test_a_malformed_limit_is_reported_by_the_system_check(settings, name):
    from kestra_apps.checks import check_settings

    setattr(settings, name, "lots")
    assert "kestra.E007" in [problem.id for problem in check_settings()]


def test_a_filled_honeypot_stores_nothing(client, kestra, data_request_app):
    response = client.post(f"/apps/{data_request_app.uid}/", {**VALUES, "website": "spam.example"})
    assert response.status_code == 400
    assert b"filled in automatically" in response.content
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("rate", "parsed"), [("20/m", (20, 60)), ("5/s", (5, 1)), ("0/h", (0, 3600))]
)
def test_rates_are_read_as_count_per_period(rate, parsed):
    assert parse_rate(rate) == parsed
