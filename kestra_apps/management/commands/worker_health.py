"""`manage.py worker_health`: exit 0 when a Celery worker (or the one named) answers a
ping, 1 otherwise; for a supervisor's or Kubernetes' liveness probe of the workers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kestra_apps import health


class Command(BaseCommand):
    help = "Exit 0 when a Celery worker (or the one named) answers a ping, else 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="", help="a worker's node name, e.g. w1@host")
        parser.add_argument("--timeout", type=float, default=health.CHECK_SECONDS)

    def handle(self, *args: Any, name: str = "", timeout: float = 2.0, **options: Any) -> None:
        answering = health.workers_answering(timeout)
        if name and name not in answering:
            raise CommandError(f"worker {name} did not answer in {timeout:g} s")
        if not answering:
            raise CommandError(f"no worker answered in {timeout:g} s")
        self.stdout.write("answering: " + ", ".join(answering))
