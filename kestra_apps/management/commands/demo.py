"""`make run`: the whole product on one machine, in the foreground; Ctrl-C stops it all.

The demo also supervises its Celery worker and its follower (`follow_executions`), as
systemd or Kubernetes would in production: a worker or follower that exits by itself
(docs/tracking.md names the known causes) is started again after a short back-off.
Nothing is lost: executions are tracked with leases in the database, so work the dead
process held is picked up again once its lease ends."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kestra_apps.processes import celery_worker_command

DEMO_ADMIN = "admin"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def _describe(code: int) -> str:
    if code < 0:
        return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


@dataclass
class Child:
    """A process the demo runs. `restart`: start it again when it exits by itself; it then
    runs in a process group of its own, so that what it leaves behind (a Celery worker's
    beat outlives a SIGKILL of the worker) can be stopped before the next one starts."""

    name: str
    command: list[str]
    restart: bool = False
    process: subprocess.Popen[bytes] | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


class Supervisor:
    """Runs the children until `stopping` is set or one of them exits for good: a child
    without `restart`, or one that exited `max_exits` times within `window` seconds. Between
    restarts it waits `backoff` seconds, doubling with each recent exit up to `backoff_max`."""

    def __init__(
        self,
        children: list[Child],
        *,
        cwd: Path,
        env: Mapping[str, str],
        say: Callable[[str], None],
        output: IO[bytes] | None = None,
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        max_exits: int = 5,
        window: float = 60.0,
    ) -> None:
        self.children = children
        self.cwd = cwd
        self.env = env
        self.say = say
        self.output = output
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.max_exits = max_exits
        self.window = window
        self.stopping = threading.Event()

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def run(self) -> bool:
        """True once `stopping` is set, False when a child exited for good (said why)."""
        while not self.stopping.wait(0.2):
            for child in self.children:
                if not self._check(child):
                    return False
        return True

    def stop(self) -> None:
        """SIGTERM to every child still running; SIGKILL to what is left after 10 s."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for child in self.children:
            if child.restart:
                _kill_group(child)

    def _spawn(self, child: Child) -> None:
        child.restart_at = None
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            child.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self.output,
            stderr=self.output,
            start_new_session=child.restart,
        )

    def _check(self, child: Child) -> bool:
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._spawn(child)
            return True
        assert child.process is not None
        code = child.process.poll()
        if code is None:
            return True
        if not child.restart:
            self.say(f"The {child.name} exited with {_describe(code)}; stopping the others.")
            return False
        _kill_group(child)  # a beat left running would schedule everything twice
        child.exits.append(now)
        while child.exits[0] < now - self.window:
            child.exits.popleft()
        if len(child.exits) >= self.max_exits:
            self.say(
                f"The {child.name} exited {len(child.exits)} times within {self.window:g} s,"
                f" the last time with {_describe(code)}; giving up, stopping the demo."
            )
            return False
        delay = min(self.backoff_max, self.backoff * 2 ** (len(child.exits) - 1))
        child.restart_at = now + delay
        self.say(
            f"The {child.name} exited by itself with {_describe(code)};"
            f" restarting it in {delay:g} s."
        )
        return True


def _kill_group(child: Child) -> None:
    if child.process is not None:
        with contextlib.suppress(ProcessLookupError):  # the whole group has exited
            os.killpg(child.process.pid, signal.SIGKILL)


class Command(BaseCommand):
    help = (
        "Run the demo: the Kestra emulator, a Celery worker with beat, the follower of"
        " watched executions, and the web server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--web", default="127.0.0.1:8000", help="address of the web server")
        parser.add_argument("--examples", default=str(settings.BASE_DIR / "examples"))

    def handle(self, *args: Any, web: str, examples: str, **options: Any) -> None:
        started = time.monotonic()
        self._ensure_admin()
        call_command("import_apps", str(Path(examples) / "apps"), stdout=self.stdout)
        supervisor = Supervisor(
            self._children(Path(examples) / "flows", web),
            cwd=settings.BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            say=self.stderr.write,
        )
        # SIGTERM stops the demo as Ctrl-C does: every child is stopped, none left running.
        signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
        supervisor.start()
        try:
            self._wait_until_ready(web, supervisor.stopping)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Ready in {time.monotonic() - started:.1f}s: http://{web}/"
                    f" (admin: http://{web}/admin/). Press Ctrl-C to stop."
                )
            )
            finished = supervisor.run()
        except KeyboardInterrupt:
            finished = True
        self.stdout.write("Stopping…")
        supervisor.stop()
        if not finished:
            sys.exit(1)

    def _ensure_admin(self) -> None:
        users = get_user_model().objects
        if users.filter(username=DEMO_ADMIN).exists():
            self.stdout.write(
                f"Demo admin '{DEMO_ADMIN}' exists (its password was printed when it was made)."
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(DEMO_ADMIN, email="", password=password)
        self.stdout.write(
            self.style.WARNING(f"Demo admin created: {DEMO_ADMIN} / {password} (shown once)")
        )

    def _children(self, flows: Path, web: str) -> list[Child]:
        kestra = urlsplit(settings.KESTRA_URL)
        emulator = [sys.executable, "-m", "kestra_emulator", "--flows", str(flows)]
        emulator += ["--host", kestra.hostname or "127.0.0.1", "--port", str(kestra.port or 8080)]
        # Under ASGI, as in production: execution pages then get their changes as events.
        host, _, port = web.rpartition(":")
        server = [sys.executable, "-m", "uvicorn", "kestra_apps.asgi:application"]
        server += ["--host", host or "127.0.0.1", "--port", port]
        return [
            Child("Kestra emulator", emulator),
            Child("Celery worker", celery_worker_command(beat=True), restart=True),
            # Watched executions through Kestra's event streams (docs/tracking.md).
            Child("follower", [sys.executable, "manage.py", "follow_executions"], restart=True),
            Child("web server", server),
        ]

    def _wait_until_ready(self, web: str, stopping: threading.Event) -> None:
        deadline = time.monotonic() + 60
        for url in (f"{settings.KESTRA_URL}/api/v1/configs", f"http://{web}/accounts/login/"):
            while time.monotonic() < deadline and not stopping.is_set() and not _answers(url):
                time.sleep(0.2)
