"""Reads on executions: the pending approvals a person may act on; the tracking queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Max, Prefetch, QuerySet
from django.utils import timezone

from accounts import policy
from executions import approval_status, stages
from executions.approval_status import DecisionStatus
from executions.models import Execution, Vote


def pending_approvals_for_user(
    *, user: User | AnonymousUser, now: datetime
) -> list[tuple[Execution, DecisionStatus]]:
    """Paused executions awaiting a decision that this person may vote on now (the app's
    approval policy, asked of accounts.policy), the longest waiting first, each with where
    its decision stands. Apps listed in the catalog or not alike: an approver may follow a
    link to an unlisted one. A decided pause leaves at once: it has a verdict."""
    paused = (
        policy.visible_executions(user)
        .filter(stage=stages.PAUSE, verdict="")
        .select_related("app", "submitted_by")
        .prefetch_related(
            Prefetch("votes", queryset=Vote.objects.filter(status=Vote.Status.COUNTED)),
            "delegations",
        )
        .order_by(F("stage_since").asc(nulls_last=True), "created", "pk")
    )
    pending = []
    for execution in paused:
        votes = [v for v in execution.votes.all() if v.pause_key == execution.pause_key]
        delegations = [d for d in execution.delegations.all() if d.pause_key == execution.pause_key]
        standing = execution.standing(now, votes=votes, delegations=delegations)
        status = approval_status.decision_status(
            execution, user, session_key="", now=now, standing=standing
        )
        if status is not None and status.can_vote:
            pending.append((execution, status))
    return pending


@dataclass(frozen=True)
class TrackingSummary:
    """The tracking queue at a glance, for operators."""

    by_stage: dict[str, int]
    by_delivery: dict[str, int]
    active: int
    watched: int
    held: int
    oldest_queued: Execution | None
    overdue: int
    oldest_overdue: Execution | None
    last_error: Execution | None
    last_poll: datetime | None


def _counts(field: str) -> dict[str, int]:
    rows = Execution.objects.values_list(field).annotate(n=Count("pk")).order_by(field)
    return {str(value): n for value, n in rows}


def tracking_summary(*, grace_seconds: float = 10.0) -> TrackingSummary:
    """Counts by stage and delivery; what waits longest; what is overdue (due for more than
    `grace_seconds` and held by nobody: a worker or the beat is not running); the last error."""
    now = timezone.now()
    active = Execution.objects.filter(next_action_at__isnull=False)
    overdue = active.filter(next_action_at__lt=now - timedelta(seconds=grace_seconds)).unleased(now)
    queued = Execution.objects.filter(delivery=Execution.Delivery.QUEUED)
    return TrackingSummary(
        by_stage=_counts("stage"),
        by_delivery=_counts("delivery"),
        active=active.count(),
        watched=active.filter(watched_until__gt=now).count(),
        held=active.filter(lease_until__gte=now).count(),
        oldest_queued=queued.select_related("app").order_by("created").first(),
        overdue=overdue.count(),
        oldest_overdue=overdue.select_related("app").order_by("next_action_at").first(),
        last_error=Execution.objects.exclude(error="")
        .select_related("app")
        .order_by("-updated")
        .first(),
        last_poll=Execution.objects.aggregate(last=Max("last_polled_at"))["last"],
    )


def requests_of(*, user: User | AnonymousUser, session_key: str) -> QuerySet[Execution]:
    """What this person submitted (a user, or an anonymous browser session), newest first,
    on apps they may still see, whatever the apps' expiration dates: never anybody else's."""
    visible = policy.visible_executions(user)
    return visible.filter(policy.mine(user, session_key)).select_related("app")
