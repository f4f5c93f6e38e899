"""`make run`: the whole product on one machine, in the foreground; Ctrl-C stops it all."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

DEMO_ADMIN = "admin"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


class Command(BaseCommand):
    help = "Run the demo: the Kestra emulator, a Celery worker with beat, and the web server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--web", default="127.0.0.1:8000", help="address of the web server")
        parser.add_argument("--examples", default=str(settings.BASE_DIR / "examples"))

    def handle(self, *args: Any, web: str, examples: str, **options: Any) -> None:
        started = time.monotonic()
        self._ensure_admin()
        call_command("import_apps", str(Path(examples) / "apps"), stdout=self.stdout)
        processes = self._start(Path(examples) / "flows", web)
        self._wait_until_ready(web)
        self.stdout.write(
            self.style.SUCCESS(
                f"Ready in {time.monotonic() - started:.1f}s: http://{web}/ (admin: http://{web}/admin/)."
                " Press Ctrl-C to stop."
            )
        )
        self._supervise(processes)

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

    def _start(self, flows: Path, web: str) -> list[subprocess.Popen[bytes]]:
        kestra = urlsplit(settings.KESTRA_URL)
        python = sys.executable
        commands = [
            [
                python,
                "-m",
                "kestra_emulator",
                "--host",
                kestra.hostname or "127.0.0.1",
                "--port",
                str(kestra.port or 8080),
                "--flows",
                str(flows),
            ],
            [
                python,
                "-m",
                "celery",
                "-A",
                "kestra_apps",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            [python, "manage.py", "runserver", web, "--noreload"],
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return [subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env) for cmd in commands]  # noqa: S603

    def _wait_until_ready(self, web: str) -> None:
        deadline = time.monotonic() + 60
        for url in (f"{settings.KESTRA_URL}/api/v1/configs", f"http://{web}/accounts/login/"):
            while time.monotonic() < deadline and not _answers(url):
                time.sleep(0.2)

    def _supervise(self, processes: list[subprocess.Popen[bytes]]) -> None:
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            self.stderr.write("A process stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
