"""Following many executions with few calls to Kestra: handing out due work, flow checks,
discovery.

A beat task (`executions.tasks.hand_out_due_work`, every EXECUTION_DISPATCH_SECONDS) claims
what is due and hands it to workers:

- a queued submission → deliver it;
- an execution someone watches → poll it in full (state, logs, outputs), every second;
- the executions of a flow nobody watches → one search request per flow (a page of up to
  SEARCH_PAGE executions) tells which of them changed state; only those are polled in full,
  the others wait twice as long before the next check, up to EXECUTION_POLL_MAX_SECONDS.

Anything a dead worker held is due again once its lease is over, so the hand-out is also
the sweep that picks up dropped work (work whose lease ran out is due again).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from apps_catalog.models import App
from executions import stages
from executions.kestra import KestraError, KestraRejected, KestraUnavailable, get_client
from executions.leases import LeaseClock, LeaseRunningOut, log_hold, new_claim, tracking_config
from executions.models import Execution, ExecutionQuerySet, next_action_at, state_fingerprint

logger = logging.getLogger(__name__)

# States an execution can leave: the search for changes asks only for these.
ACTIVE_STATES = (
    "CREATED",
    "SUBMITTED",
    "QUEUED",
    "RUNNING",
    "PAUSED",
    "RESTARTED",
    "KILLING",
    "RETRYING",
    "BREAKPOINT",
)
SEARCH_PAGE = 200
SEARCH_MAX_PAGES = 50
DUE_LIMIT = 500


class DueWork(NamedTuple):
    """What one hand-out claimed, all under one claim token: who should do what."""

    claim: str
    deliveries: list[int]
    polls: list[int]
    flows: list[tuple[str, str]]


def _claim_direct(now: datetime, horizon: datetime, claim: str, until: datetime) -> list[int]:
    """Due submissions and watched executions: each is worked on by itself."""
    due = (
        Execution.objects.due(horizon)
        .unleased(now)
        .filter(
            Q(delivery=Execution.Delivery.QUEUED)
            | Q(delivery=Execution.Delivery.DELIVERED, watched_until__gt=now)
        )
    )
    ids = list(due.order_by("next_action_at").values_list("pk", flat=True)[:DUE_LIMIT])
    Execution.objects.filter(pk__in=ids).claim(claim, now=now, until=until)
    return ids


def _unwatched(now: datetime) -> ExecutionQuerySet:
    return Execution.objects.filter(
        delivery=Execution.Delivery.DELIVERED, next_action_at__isnull=False
    ).unwatched(now)


def _claim_flows(now: datetime, horizon: datetime, claim: str, until: datetime) -> None:
    """For every flow with an unwatched execution due, claim all its unwatched executions:
    one search answers for all of them, so they are checked together from then on."""
    flows = (
        _unwatched(now)
        .unleased(now)
        .due(horizon)
        .values_list("app__namespace", "app__flow_id")
        .distinct()
    )
    for namespace, flow_id in set(flows):
        # The flow's apps as a subquery of their own: a filter through the relation would
        # make Django write UPDATE … WHERE id IN (SELECT … the lease test …), and PostgreSQL
        # does not test that again on a row another claim updated meanwhile, so two claims
        # could hold one execution. Here the lease test is on the updated row itself.
        apps = App.objects.filter(namespace=namespace, flow_id=flow_id).values("pk")
        _unwatched(now).filter(app_id__in=apps).claim(claim, now=now, until=until)


def executions_claim_due() -> DueWork:
    """Claim what is due (or will be before the next run) and say who should do what."""
    config = tracking_config()
    now = timezone.now()
    horizon = now + timedelta(seconds=config.dispatch_seconds)
    until = now + timedelta(seconds=config.lease_seconds)
    claim = new_claim()
    direct = set(_claim_direct(now, horizon, claim, until))
    _claim_flows(now, horizon, claim, until)
    deliveries: list[int] = []
    polls: list[int] = []
    flows: set[tuple[str, str]] = set()
    held = Execution.objects.filter(claim=claim).values_list(
        "pk", "delivery", "app__namespace", "app__flow_id"
    )
    for pk, delivery, namespace, flow_id in held:
        if delivery == Execution.Delivery.QUEUED:
            deliveries.append(pk)
        elif pk in direct:
            polls.append(pk)
        else:
            flows.add((namespace, flow_id))
    return DueWork(claim, deliveries, polls, sorted(flows))


# --- flow checks -------------------------------------------------------------------------------


def _search_active(
    namespace: str, flow_id: str, wanted: set[str], clock: LeaseClock
) -> dict[str, Mapping[str, Any]]:
    """The state of each wanted execution that is still active, page by page until all of
    them are seen (the rest have ended, or are too new for the search to know them)."""
    client = get_client()
    seen: dict[str, Mapping[str, Any]] = {}
    for page in range(1, SEARCH_MAX_PAGES + 1):
        clock.check()
        results, total = client.search_executions(
            namespace, flow_id, ACTIVE_STATES, page=page, size=SEARCH_PAGE
        )
        for result in results:
            if result.get("id") in wanted:
                seen[result["id"]] = result.get("state") or {}
        if len(seen) == len(wanted) or not results or page * SEARCH_PAGE >= total:
            break
    return seen


def _release_unchanged(
    pks: Iterable[int], claim: str, *, due: Mapping[int, float], error: str = ""
) -> None:
    """Let go of executions found unchanged; the due ones wait their next interval (a page
    opened meanwhile makes it now), the others keep the time they had."""
    now = timezone.now()
    held = Execution.objects.filter(pk__in=list(pks))
    by_interval: dict[float, list[int]] = defaultdict(list)
    for pk, interval in due.items():
        by_interval[interval].append(pk)
    for interval, group in by_interval.items():
        checked: dict[str, Any] = {"error": error} if error else {"last_polled_at": now}
        held.filter(pk__in=group).release(
            claim,
            **checked,
            poll_interval=interval,
            next_action_at=next_action_at(now=now, interval=interval),
        )
    held.exclude(pk__in=list(due)).release(claim)


def _changed(row: Mapping[str, Any], seen: Mapping[str, Mapping[str, Any]]) -> bool:
    found = seen.get(row["kestra_id"])
    return found is None or state_fingerprint(found) != state_fingerprint(row["kestra_state"] or {})


def _held_rows(namespace: str, flow_id: str, claim: str, now: datetime) -> list[Mapping[str, Any]]:
    """The flow's delivered executions still held under `claim`, with only the state part
    of each stored snapshot: task runs can be large."""
    held = Execution.objects.filter(
        claim=claim,
        lease_until__gte=now,
        delivery=Execution.Delivery.DELIVERED,
        app__namespace=namespace,
        app__flow_id=flow_id,
    )
    return list(
        held.values(
            "pk",
            "kestra_id",
            "next_action_at",
            "poll_interval",
            kestra_state=KeyTransform("state", "snapshot"),
        )
    )


def executions_check_flow(*, namespace: str, flow_id: str, claim: str) -> list[int]:
    """Check the flow's executions held under `claim` with one search; the ones that changed
    (or ended) stay held and are returned, to be polled in full under the same claim."""
    config = tracking_config()
    now = timezone.now()
    rows = _held_rows(namespace, flow_id, claim, now)
    if not rows:
        return []
    clock = LeaseClock.start(claim, config, now)
    ids = [row["pk"] for row in rows]
    horizon = now + timedelta(seconds=config.dispatch_seconds)
    # An execution that ended since the claim (a poll, a page) has no next action any more.
    due_rows = [row for row in rows if row["next_action_at"] and row["next_action_at"] <= horizon]
    backoff = {
        row["pk"]: config.unwatched_interval(row["poll_interval"], changed=False)
        for row in due_rows
    }
    wanted = {row["kestra_id"] for row in rows if row["kestra_id"]}
    try:
        seen = _search_active(namespace, flow_id, wanted, clock)
    except LeaseRunningOut:
        clock.finish()
        _release_unchanged(ids, claim, due={})
        log_hold("check", ids, clock, "lease-ran-out")
        return []
    except (KestraUnavailable, KestraRejected) as exc:
        clock.finish()
        _release_unchanged(ids, claim, due=backoff, error=str(exc))
        log_hold("check", ids, clock, "failed")
        return []
    changed = [row["pk"] for row in rows if _changed(row, seen)]
    unchanged_due = {pk: iv for pk, iv in backoff.items() if pk not in set(changed)}
    clock.finish()
    _release_unchanged([pk for pk in ids if pk not in set(changed)], claim, due=unchanged_due)
    log_hold("check", ids, clock, f"changed={len(changed)}")
    return changed


# --- executions started outside the portal ------------------------------------------------------


def _approval_apps() -> dict[tuple[str, str], App]:
    """One app per flow among the enabled apps that have an approval screen (a PAUSE
    layout); when several share a flow, the oldest app tracks its executions. Never a
    PUBLIC app: an execution started outside the portal is nobody's to show to everyone."""
    by_flow: dict[tuple[str, str], App] = {}
    apps = App.objects.filter(enabled=True).exclude(access=App.Access.PUBLIC)
    for app in apps.order_by("pk"):
        if stages.PAUSE in app.parsed.layout:
            by_flow.setdefault((app.namespace, app.flow_id), app)
    return by_flow


def _paused_in_kestra(namespace: str, flow_id: str) -> list[dict[str, Any]]:
    client = get_client()
    found: list[dict[str, Any]] = []
    for page in range(1, SEARCH_MAX_PAGES + 1):
        results, total = client.search_executions(
            namespace, flow_id, ("PAUSED",), page=page, size=SEARCH_PAGE
        )
        found += results
        if not results or page * SEARCH_PAGE >= total:
            break
    return found


def executions_discover() -> tuple[str, list[int]]:
    """Track the PAUSED executions of approval apps' flows that the portal does not know yet
    (started by a schedule, another system, Kestra's UI). Returns the claim and the new rows,
    held so that they are polled in full at once (task outputs, the resume form)."""
    config = tracking_config()
    claim = new_claim()
    until = timezone.now() + timedelta(seconds=config.lease_seconds)
    for (namespace, flow_id), app in _approval_apps().items():
        try:
            paused = _paused_in_kestra(namespace, flow_id)
        except KestraError as exc:
            logger.warning("discovery of %s.%s failed: %s", namespace, flow_id, exc)
            continue
        ids = [result["id"] for result in paused if result.get("id")]
        known = set(Execution.objects.filter(kestra_id__in=ids).values_list("kestra_id", flat=True))
        fresh = [
            Execution.discovered(app, result, now=timezone.now(), claim=claim, until=until)
            for result in paused
            if result["id"] not in known
        ]
        # Another worker discovering the same execution at the same moment loses on kestra_id.
        Execution.objects.bulk_create(fresh, ignore_conflicts=True)
    found = list(Execution.objects.filter(claim=claim).values_list("pk", flat=True))
    return claim, found
