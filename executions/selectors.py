"""Reads on executions: the pending approvals a person may act on; the tracking queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from accounts.access import USE_PERMISSION
from apps_catalog.models import App
from executions import stages
from executions.models import Execution


def _available_apps() -> QuerySet[App]:
    now = timezone.now()
    return App.objects.filter(enabled=True).filter(
        Q(expiration_start__isnull=True) | Q(expiration_start__lte=now),
        Q(expiration_end__isnull=True) | Q(expiration_end__gt=now),
    )


def pending_approvals_for_user(*, user: User | AnonymousUser) -> QuerySet[Execution]:
    """Paused executions the user may approve or reject, the longest waiting first.

    The rule of `accounts.access.can_act_on` as a query: on apps the user was granted (or
    every app, for a superuser); on a public app without a grant, only what they submitted.
    Apps listed in the catalog or not alike: an approver may follow a link to an unlisted one.
    """
    if not user.is_authenticated:
        return Execution.objects.none()
    paused = Execution.objects.filter(stage=stages.PAUSE, app__in=_available_apps())
    if not user.is_superuser:
        granted = get_objects_for_user(
            user, USE_PERMISSION, klass=App, accept_global_perms=False
        ).values("pk")
        paused = paused.filter(
            Q(app__in=granted) | Q(app__access=App.Access.PUBLIC, submitted_by=user)
        )
    return paused.select_related("app", "submitted_by").order_by(
        F("stage_since").asc(nulls_last=True), "created", "pk"
    )


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
    on apps they may still use: never anybody else's."""
    mine = Q(session_key=session_key) if session_key else Q(pk__in=[])
    if user.is_authenticated:
        mine |= Q(submitted_by=user)
    executions = Execution.objects.filter(mine).select_related("app")
    if user.is_authenticated and user.is_superuser:
        return executions
    usable = Q(app__access=App.Access.PUBLIC)
    if user.is_authenticated:
        granted = get_objects_for_user(user, USE_PERMISSION, klass=App, accept_global_perms=False)
        usable |= Q(app__in=granted.values("pk"))
    return executions.filter(usable, app__enabled=True)
