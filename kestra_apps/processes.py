"""What a process needs to start a Celery worker of its own, written once: `manage.py demo`,
the tests' workers and the benchmarks' workers all start it from here, so that they run what
production runs."""

from __future__ import annotations

import sys
from pathlib import Path


def celery_worker_command(
    *,
    beat: bool,
    loglevel: str = "INFO",
    concurrency: int = 2,
    hostname: str | None = None,
    schedule: Path | None = None,
    mingle_and_gossip: bool = True,
) -> list[str]:
    """`python -m celery -A kestra_apps worker …` with this interpreter.

    `beat`: run the beat inside the worker (one per site). `schedule`: the beat's state
    file, when it must not be CELERY_BEAT_SCHEDULE_FILENAME (ignored without `beat`).
    `hostname`: the node name, e.g. `w1@%h`, for several workers on one machine.
    `mingle_and_gossip=False`: the worker neither asks other workers for their state when it
    starts (a second less to be ready) nor follows their events; nothing here needs either,
    tests and benchmarks leave them out."""
    command = [sys.executable, "-m", "celery", "-A", "kestra_apps", "worker"]
    command += ["--loglevel", loglevel, "--concurrency", str(concurrency)]
    if hostname:
        command += ["-n", hostname]
    if not mingle_and_gossip:
        command += ["--without-mingle", "--without-gossip"]
    if beat:
        command += ["--beat"]
        if schedule is not None:
            command += ["-s", str(schedule)]
    return command


def database_url() -> str:
    """The DATABASE_URL of the database this process uses (Django set up), for a worker it
    starts: under pytest that is the test database, not the one the settings name."""
    from django.db import connection

    data = connection.settings_dict
    if data["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{data['NAME']}"
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{data['PORT']}" if data.get("PORT") else ""
    return f"postgres://{auth}{data['HOST']}{port}/{data['NAME']}"
