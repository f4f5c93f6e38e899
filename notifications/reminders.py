"""The events that come with time, not with a change: a decision still waiting (a
reminder every `remindEvery`) and an escalation whose time came. Run by the beat; each
event's rows are written once (their key), however often the scan sees it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from executions import stages
from executions.models import Execution
from notifications import events


def pending_reminders(*, now: datetime) -> int:
    """Write the reminders and escalations due now; how many notifications were new."""
    written = 0
    waiting = Execution.objects.filter(stage=stages.PAUSE, verdict="").select_related(
        "app", "submitted_by"
    )
    for execution in waiting:
        config = execution.app.parsed
        if (
            config.notifications.remind_every is None
            and config.approval_policy.escalate_after is None
        ):
            continue
        standing = execution.standing(now)
        with transaction.atomic():
            written += events.reminder_due(execution, standing, now=now)
            written += events.escalated(execution, standing, now=now)
    return written
