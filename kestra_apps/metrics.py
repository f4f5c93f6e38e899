"""Metrics for Prometheus, read from the database when scraped.

Every value is a count or a time the database already holds (or, for requests to Kestra,
that every process adds to it: `executions.request_counts`), so a scrape of any web process
tells the same numbers for the whole cluster, however many processes and machines run.
Who may scrape is decided by `may_scrape` (the view answers 403 or 401 otherwise).
"""

from __future__ import annotations

import ipaddress
import secrets
import statistics
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from executions import request_counts, stages
from executions.models import Execution
from notifications.models import Notification

PREFIX = "kestra_apps"


class Refused(Exception):
    """The caller may not scrape: `status` is 403 (not from an allowed network) or 401 (no
    valid token)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_networks() -> tuple[list[Network], list[str]]:
    """METRICS_ALLOWED_NETWORKS: the networks, and the entries that are none (the system
    check reports them, kestra.E020; a scrape lets nobody in through them)."""
    networks: list[Network] = []
    invalid: list[str] = []
    for entry in settings.METRICS_ALLOWED_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            invalid.append(entry)
    return networks, invalid


def may_scrape(*, address: str, authorization: str) -> None:
    """Raise `Refused` unless the caller comes from METRICS_ALLOWED_NETWORKS and, when a
    METRICS_TOKEN is set, sends it as a bearer token."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise Refused(403) from None
    networks, _ = allowed_networks()
    if not any(ip in network for network in networks):
        raise Refused(403)
    token = settings.METRICS_TOKEN
    scheme, _, sent = authorization.partition(" ")
    if token and not (scheme.lower() == "bearer" and secrets.compare_digest(sent.strip(), token)):
        raise Refused(401)


def _submission_outcome(delivery: str, stage: str, state: str, delivered: bool) -> str:
    if delivery == Execution.Delivery.QUEUED:
        return "queued"
    if delivery == Execution.Delivery.FAILED:
        return "lost" if delivered else "undelivered"
    return state.lower() if stage in stages.FINAL_STAGES else "running"


def _submissions() -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_submissions",
        "Submissions made in the portal, by outcome: queued, running, undelivered (Kestra"
        " refused it or the portal gave up), lost (Kestra no longer knows it), or the final"
        " state in lower case.",
        labels=["outcome"],
    )
    counts: dict[str, int] = {}
    rows = (
        Execution.objects.filter(origin=Execution.Origin.PORTAL)
        .values("delivery", "stage", "state", delivered=Q(kestra_id__isnull=False))
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        outcome = _submission_outcome(row["delivery"], row["stage"], row["state"], row["delivered"])
        counts[outcome] = counts.get(outcome, 0) + row["n"]
    for outcome, n in sorted(counts.items()):
        family.add_metric([outcome], n)
    return family


def _delivery_queue(now: datetime) -> Iterator[Metric]:
    queued = Execution.objects.filter(delivery=Execution.Delivery.QUEUED).aggregate(
        depth=Count("id"), oldest=Min("created")
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_delivery_queue_depth",
        "Submissions waiting to be delivered to Kestra.",
        value=queued["depth"],
    )
    oldest = queued["oldest"]
    yield GaugeMetricFamily(
        f"{PREFIX}_delivery_queue_age_seconds",
        "How long the oldest submission waiting for delivery has waited (0: none waits).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )


def _poll_lag(now: datetime) -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_poll_lag_seconds",
        "How late the polls due are (now minus when each was due; 0 if not due yet), over"
        " the delivered executions still tracked, at the 0.5 and 0.95 quantiles.",
        labels=["quantile"],
    )
    due = Execution.objects.filter(
        delivery=Execution.Delivery.DELIVERED, next_action_at__isnull=False
    ).values_list("next_action_at", flat=True)
    lags = sorted(max((now - when).total_seconds(), 0.0) for when in due if when is not None)
    for quantile in (0.5, 0.95):
        family.add_metric([str(quantile)], _quantile(lags, quantile))
    return family


def _quantile(values: list[float], quantile: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(quantile * 100) - 1]


def _kestra_requests() -> Metric:
    family = HistogramMetricFamily(
        f"{PREFIX}_kestra_request_seconds",
        "Requests to Kestra by endpoint (the client's method) and status (the HTTP code, or"
        " unreachable), and how long they took; every process's, flushed every"
        " METRICS_FLUSH_SECONDS.",
        labels=["endpoint", "status"],
    )
    for histogram in request_counts.histograms():
        family.add_metric(
            [histogram.endpoint, histogram.status],
            [(_bound(bound), count) for bound, count in histogram.buckets],
            histogram.seconds,
        )
    return family


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else str(bound)


def _stages() -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_executions", "Executions the portal tracks, by stage.", labels=["stage"]
    )
    rows = Execution.objects.values("stage").annotate(n=Count("id")).order_by("stage")
    for row in rows:
        family.add_metric([row["stage"]], row["n"])
    return family


def _notifications() -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_notifications",
        "Notifications by outcome: pending, sent, failed (given up).",
        labels=["outcome"],
    )
    rows = Notification.objects.values("status").annotate(n=Count("id")).order_by("status")
    for row in rows:
        family.add_metric([row["status"].lower()], row["n"])
    return family


def _leases(now: datetime) -> Iterator[Metric]:
    """The database knows claims, not workers: a claim is one worker's task, or one hand-out
    of due work that several workers share."""
    executions = Execution.objects.filter(lease_until__gt=now)
    notifications = Notification.objects.filter(lease_until__gt=now)
    held = GaugeMetricFamily(
        f"{PREFIX}_leases_held",
        "Rows under a lease now, by kind: work a worker is doing.",
        labels=["kind"],
    )
    held.add_metric(["execution"], executions.count())
    held.add_metric(["notification"], notifications.count())
    yield held
    claims = set(executions.values_list("claim", flat=True)) | set(
        notifications.values_list("claim", flat=True)
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_lease_claims",
        "Distinct claims holding leases now: workers at work (a hand-out's claim counts once).",
        value=len(claims),
    )


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield _submissions()
        yield from _delivery_queue(now)
        yield _poll_lag(now)
        yield _kestra_requests()
        yield _stages()
        yield _notifications()
        yield from _leases(now)


def scrape() -> bytes:
    """The text Prometheus reads. This process's own requests to Kestra are written first."""
    request_counts.flush()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
