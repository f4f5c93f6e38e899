"""/metrics: what Prometheus reads moves as a submission goes through, and only allowed
callers read it. Kestra is the emulator over HTTP; the numbers come from the database."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from executions import request_counts, services, tracking
from executions.models import Execution
from notifications.models import Notification
from tests.conftest import import_example

pytestmark = pytest.mark.django_db

TICKET = {"title": "Build agent 3 is down", "kind": "Bug"}


@pytest.fixture(autouse=True)
def _only_this_tests_requests(monkeypatch) -> None:
    """Requests to Kestra wait in this process's buffer until something writes them, so
    what earlier tests asked (in a mutation run's order, any of them) would be counted
    here: each test starts from an empty buffer."""
    monkeypatch.setattr(request_counts, "_pending", defaultdict(lambda: [0, 0.0]))


@pytest.fixture
def it_ticket():
    return import_example("it_ticket")


def _scrape(client: Client | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _submit(app, **values: str) -> Execution:
    files = {"attachment": SimpleUploadedFile("notes.txt", b"notes", content_type="text/plain")}
    return services.execution_submit(app=app, values=values, shown=values, files=files)


def test_the_numbers_follow_a_submission_from_the_queue_to_its_end(kestra, it_ticket):
    before = _scrape()
    assert _value(before, "kestra_apps_delivery_queue_depth") == 0
    assert _value(before, "kestra_apps_delivery_queue_age_seconds") == 0

    execution = _submit(it_ticket, **TICKET)
    Execution.objects.filter(pk=execution.pk).update(created=timezone.now() - timedelta(seconds=30))
    queued = _scrape()
    assert _value(queued, "kestra_apps_delivery_queue_depth") == 1
    assert _value(queued, "kestra_apps_delivery_queue_age_seconds") >= 30
    assert _value(queued, "kestra_apps_submissions", outcome="queued") == 1
    assert _value(queued, "kestra_apps_executions", stage="CREATED") == 1

    assert services.execution_deliver(execution_id=execution.pk) is not None
    delivered = _scrape()
    assert _value(delivered, "kestra_apps_delivery_queue_depth") == 0
    assert _value(delivered, "kestra_apps_submissions", outcome="queued") == 0
    assert _value(delivered, "kestra_apps_submissions", outcome="running") == 1
    created = ("create_execution", "200")
    assert (
        _value(
            delivered, "kestra_apps_kestra_request_seconds_count", endpoint=created[0], status="200"
        )
        == _value(
            queued, "kestra_apps_kestra_request_seconds_count", endpoint=created[0], status="200"
        )
        + 1
    )
    assert (
        _value(
            delivered,
            "kestra_apps_kestra_request_seconds_bucket",
            endpoint="create_execution",
            status="200",
            le="+Inf",
        )
        >= 1
    )

    for _ in range(50):
        Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
        services.execution_poll(execution_id=execution.pk)
        execution.refresh_from_db()
        if execution.is_settled:
            break
    ended = _scrape()
    assert _value(ended, "kestra_apps_submissions", outcome="running") == 0
    assert _value(ended, "kestra_apps_submissions", outcome=execution.state.lower()) == 1
    assert _value(ended, "kestra_apps_executions", stage=execution.stage) == 1
    assert (
        _value(ended, "kestra_apps_kestra_request_seconds_count", endpoint="logs", status="200")
        >= 1
    )


def test_a_submission_kestra_refuses_counts_as_undelivered(kestra, it_ticket):
    execution = _submit(it_ticket, title="Bug", kind="Bug")  # too short for the flow

    services.execution_deliver(execution_id=execution.pk)

    samples = _scrape()
    assert _value(samples, "kestra_apps_submissions", outcome="undelivered") == 1
    assert _value(samples, "kestra_apps_executions", stage="ERROR") == 1
    assert (
        _value(
            samples,
            "kestra_apps_kestra_request_seconds_count",
            endpoint="create_execution",
            status="422",
        )
        == 1
    )


def test_an_unreachable_kestra_is_counted_as_such(settings, it_ticket):
    settings.KESTRA_URL = "http://127.0.0.1:9"  # nothing listens there
    execution = _submit(it_ticket, **TICKET)

    services.execution_deliver(execution_id=execution.pk)

    samples = _scrape()
    assert (
        _value(
            samples,
            "kestra_apps_kestra_request_seconds_count",
            endpoint="create_execution",
            status="unreachable",
        )
        == 1
    )


def test_claims_lag_and_notifications_are_counted(kestra, it_ticket):
    late = _submit(it_ticket, **TICKET)
    services.execution_deliver(execution_id=late.pk)
    Execution.objects.filter(pk=late.pk).update(
        next_action_at=timezone.now() - timedelta(seconds=20)
    )
    waiting = _submit(it_ticket, **TICKET)
    Notification.objects.create(
        key="k1",
        event="finished",
        channel="EMAIL",
        address="ada@example.com",
        subject="s",
        text="t",
        link="https://portal.example.com/x",
        status="SENT",
    )

    claimed = tracking.executions_claim_due()

    assert claimed.deliveries == [waiting.pk] and claimed.flows == [("demo", "it_ticket")]
    samples = _scrape()
    assert _value(samples, "kestra_apps_leases_held", kind="execution") == 2
    assert _value(samples, "kestra_apps_lease_claims") == 1
    assert _value(samples, "kestra_apps_notifications", outcome="sent") == 1
    assert 19 <= _value(samples, "kestra_apps_poll_lag_seconds", quantile="0.95") <= 60


@pytest.mark.parametrize(
    ("address", "authorization", "status"),
    [
        ("203.0.113.9", "Bearer s3cret-scrape", 403),  # the token, from elsewhere
        ("10.1.2.3", "", 401),
        ("10.1.2.3", "Bearer wrong", 401),
        ("10.1.2.3", "Basic s3cret-scrape", 401),
        ("unknown", "Bearer s3cret-scrape", 403),
        ("10.1.2.3", "Bearer s3cret-scrape", 200),
    ],
)
def test_only_allowed_networks_with_the_token_may_scrape(settings, address, authorization, status):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "s3cret-scrape"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = Client(REMOTE_ADDR=address).get("/metrics", **headers)

    assert response.status_code == status
    assert (b"kestra_apps_submissions" in response.content) == (status == 200)
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_network_setting_that_is_not_one_lets_nobody_in_and_breaks_nothing(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["the office", "10.0.0.0/8"]

    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_by_default_only_this_machine_may_scrape():
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.168.1.20").get("/metrics").status_code == 403


def test_it_rejects_post():
    assert Client().post("/metrics").status_code == 405


@pytest.mark.django_db(transaction=True)  # a flush waits for no transaction to be open
def test_a_worker_writes_its_requests_without_being_scraped(kestra, settings, it_ticket):
    """A worker serves no /metrics: its counts reach the database on their own."""
    from executions.models import KestraRequestCount

    settings.METRICS_FLUSH_SECONDS = 0.0
    execution = _submit(it_ticket, **TICKET)
    request_counts.flush()  # what earlier tests of this process counted
    written = KestraRequestCount.objects.filter(endpoint="create_execution", status="200")
    before = sum(row.count for row in written)

    services.execution_deliver(execution_id=execution.pk)

    assert sum(row.count for row in written.all()) == before + 1
