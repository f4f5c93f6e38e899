"""`manage.py demo` supervises its Celery worker: a worker that exits by itself is started
again after a back-off, one that keeps exiting stops the demo, and any other child exiting
stops the rest. Real processes: the demo's own worker command, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kestra_apps.management.commands.demo import Child, Command, Supervisor
from kestra_apps.processes import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _group_gone(pgid: int) -> bool:
    """No live process is left in the group (zombies wait for init to reap them)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            return False
    return True


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_worker_killed_with_sigkill_is_started_again(tmp_path: Path, kestra: str) -> None:
    children = Command()._children(ROOT / "examples" / "flows", "-")
    (worker,) = [c for c in children if c.restart and c.name == "Celery worker"]
    output = tmp_path / "worker.log"
    messages: list[str] = []
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(tmp_path),  # a broker and a beat schedule of its own
        "DATABASE_URL": database_url(),
        "KESTRA_URL": kestra,
        "PYTHONUNBUFFERED": "1",
    }
    with output.open("wb") as log:
        supervisor = Supervisor([worker], cwd=ROOT, env=env, say=messages.append, output=log)
        supervisor.start()
        finished: list[bool] = []
        thread = threading.Thread(target=lambda: finished.append(supervisor.run()))
        thread.start()
        try:

            def ready() -> int:
                return output.read_text(errors="replace").count(" ready.")

            _wait(lambda: ready() == 1, "the worker to start")
            assert worker.process is not None
            first = worker.process.pid
            os.kill(first, signal.SIGKILL)

            _wait(lambda: ready() == 2, "the worker to start again")
            assert messages == [
                "The Celery worker exited by itself with code -9 (SIGKILL); restarting it in 1 s."
            ]
            assert worker.process.pid != first and worker.process.poll() is None
            # The killed worker's beat does not outlive it: one beat schedules, not two.
            _wait(lambda: _group_gone(first), "the killed worker's beat to be gone", timeout=5)
        finally:
            supervisor.stopping.set()
            thread.join()
            started = time.monotonic()
            supervisor.stop()
    assert finished == [True]
    assert time.monotonic() - started < 12
    assert worker.process.returncode == 0  # a warm shutdown
    _wait(lambda: _group_gone(worker.process.pid), "the worker's group to be gone", timeout=5)


def test_a_worker_that_keeps_exiting_stops_the_demo(tmp_path: Path) -> None:
    worker = Child("Celery worker", _python("raise SystemExit(3)"), restart=True)
    web = Child("web server", _python("import time; time.sleep(60)"))
    messages: list[str] = []
    supervisor = Supervisor(
        [worker, web], cwd=tmp_path, env=os.environ, say=messages.append, backoff=0.1, max_exits=3
    )
    supervisor.start()
    try:
        assert supervisor.run() is False
    finally:
        supervisor.stop()
    assert messages == [
        "The Celery worker exited by itself with code 3; restarting it in 0.1 s.",
        "The Celery worker exited by itself with code 3; restarting it in 0.2 s.",
        "The Celery worker exited 3 times within 60 s, the last time with code 3;"
        " giving up, stopping the demo.",
    ]
    assert web.process is not None and web.process.returncode == -signal.SIGTERM


def test_the_web_server_exiting_stops_the_worker_too(tmp_path: Path) -> None:
    worker = Child("Celery worker", _python("import time; time.sleep(60)"), restart=True)
    web = Child("web server", _python("raise SystemExit(1)"))
    messages: list[str] = []
    supervisor = Supervisor([worker, web], cwd=tmp_path, env=os.environ, say=messages.append)
    supervisor.start()
    try:
        assert supervisor.run() is False
    finally:
        supervisor.stop()
    assert messages == ["The web server exited with code 1; stopping the others."]
    assert worker.process is not None and worker.process.returncode == -signal.SIGTERM
