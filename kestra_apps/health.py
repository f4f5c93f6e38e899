"""Whether this process can do its work: what a load balancer or Kubernetes asks
(`/healthz`: it serves; `/readyz`: its database, broker and Kestra answer) and what a
supervisor asks of the Celery workers (`manage.py worker_health`). Each check has a
timeout and says what failed in words that hold no secret (no address, no password)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from executions.kestra import KestraError, get_client
from kestra_apps.celery import app as celery_app

CHECK_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=int(CHECK_SECONDS))


def _kestra() -> None:
    get_client().ping(timeout=CHECK_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "kestra": _kestra,
}


def readiness() -> dict[str, str]:
    """Each dependency: "ok", or why it failed (the kind of error, never its details)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except KestraError as exc:
            results[name] = f"failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency is an answer here
            results[name] = f"failed: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return results


def workers_answering(timeout: float = CHECK_SECONDS) -> list[str]:
    """The names of the Celery workers that answer a ping within `timeout` seconds."""
    replies = celery_app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)
