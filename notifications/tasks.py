"""Celery tasks of the outbox: thin, idempotent (each row is claimed before it is sent).
As the tracking's periodic tasks: the beat runs them again a moment later, and only a
database hiccup retries one."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from notifications import reminders, sending


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    max_retries=5,
    soft_time_limit=30,
    time_limit=45,
)
def send_due() -> int:
    return sending.send_due()


@shared_task(soft_time_limit=30, time_limit=45)
def remind() -> int:
    return reminders.pending_reminders(now=timezone.now())
