from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.timesince import timesince

from executions.models import Execution
from executions.selectors import tracking_summary


def _age(when: datetime | None) -> str:
    return f"{timesince(when, timezone.now())} ago" if when else "never"


def _one(execution: Execution | None, when: datetime | None) -> str:
    if execution is None:
        return "none"
    return f"{execution.public_id} ({execution.app.app_id}), {_age(when)}"


class Command(BaseCommand):
    help = (
        "Print a summary of execution tracking: counts by stage and delivery, the oldest"
        " queued submission, overdue work and the last error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="seconds past due before work held by nobody counts as overdue (default 10)",
        )

    def handle(self, *args: Any, grace: float, **options: Any) -> None:
        summary = tracking_summary(grace_seconds=grace)
        write = self.stdout.write
        write("Executions by stage:    " + _pairs(summary.by_stage))
        write("Executions by delivery: " + _pairs(summary.by_delivery))
        write(
            f"Tracked (not final): {summary.active}; watched now: {summary.watched};"
            f" held by a worker: {summary.held}"
        )
        queued = summary.oldest_queued
        write("Oldest queued: " + _one(queued, queued.created if queued else None))
        overdue = summary.oldest_overdue
        line = f"Overdue (> {grace:g} s, held by nobody): {summary.overdue}"
        if overdue is not None:
            line += f"; oldest {_one(overdue, overdue.next_action_at)}"
        write(self.style.WARNING(line) if summary.overdue else line)
        write("Last poll: " + _age(summary.last_poll))
        error = summary.last_error
        if error is None:
            write("Last error: none")
        else:
            write(f"Last error: {_one(error, error.updated)}: {error.error}")


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"
