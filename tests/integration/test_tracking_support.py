"""What the tracking scenarios share: their own emulator and flows, workers that can be
killed, and readers of what the workers logged. (No tests here; the scenario modules
import these fixtures and helpers.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

FLOWS = {
    "tracking.quick.yml": """
id: quick
namespace: tracking
inputs:
  - id: name
    type: STRING
    defaults: someone
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: "Bye {{ inputs.name }}"
""",
    "tracking.slow.yml": """
id: slow
namespace: tracking
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: started
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: finished
""",
}

# Short intervals so that the scenarios run in seconds; the product's defaults are longer.
WORKER_ENV = {
    "EXECUTION_POLL_SECONDS": "1",
    "EXECUTION_POLL_MAX_SECONDS": "2",
    "EXECUTION_DISPATCH_SECONDS": "0.5",
    "EXECUTION_LEASE_SECONDS": "6",
    "KESTRA_TIMEOUT": "2",
    "DELIVERY_BACKOFF_MAX_SECONDS": "2",
    "DELIVERY_MAX_ATTEMPTS": "1000",
    "EXECUTION_DISCOVERY_SECONDS": "5",
}


def app_yaml(flow_id: str) -> str:
    return f"""
id: track_{flow_id}
type: io.kestra.plugin.ee.apps.Execution
displayName: Tracking {flow_id}
namespace: tracking
flowId: {flow_id}
access: PUBLIC
"""


@pytest.fixture(scope="module")
def tracking_emulator(tmp_path_factory) -> Iterator[str]:
    """An emulator of our own, serving the small flows above."""
    from kestra_emulator.server import create_app, start_in_thread

    folder = tmp_path_factory.mktemp("tracking-flows")
    for name, text in FLOWS.items():
        (folder / name).write_text(text)
    emulator = create_app(flows_dir=folder, dialect="2.0")
    server, base_url = start_in_thread(emulator)
    yield base_url
    server.shutdown()
    emulator.shutdown()


def set_faults(base_url: str, **faults: object) -> None:
    requests.post(f"{base_url}/_emulator/faults", json=faults, timeout=5).raise_for_status()


NO_FAULTS = {"latency_ms": 0, "fail_rate": 0.0, "unreachable": False, "fail_after_create_rate": 0.0}


@pytest.fixture
def tracking_kestra(settings, tracking_emulator: str) -> Iterator[str]:
    from executions.kestra import client

    settings.KESTRA_URL = tracking_emulator
    client._versions.clear()
    set_faults(tracking_emulator, **NO_FAULTS)
    requests.post(f"{tracking_emulator}/_emulator/reset", timeout=5)
    yield tracking_emulator
    set_faults(tracking_emulator, **NO_FAULTS)


def _database_url() -> str:
    from django.db import connection

    data = connection.settings_dict
    if data["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{data['NAME']}"
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{data['PORT']}" if data.get("PORT") else ""
    return f"postgres://{auth}{data['HOST']}{port}/{data['NAME']}"


class TrackingWorker:
    """A `celery worker` process (with the beat or not) in its own process group, so that
    it can be killed as a crashed machine would be: SIGKILL, pool processes included."""

    def __init__(self, name: str, kestra_url: str, *, beat: bool, folder: Path, **env: str):
        self.name = name
        self.beat = beat
        self.folder = folder
        self.env = {
            **os.environ,
            **WORKER_ENV,
            **env,
            "DATABASE_URL": _database_url(),
            "KESTRA_URL": kestra_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "celery", "-A", "kestra_apps", "worker"]
        command += ["-n", f"{self.name}@%h", "--loglevel", "INFO", "--concurrency", "2"]
        command += ["--without-mingle", "--without-gossip"]
        if self.beat:
            command += ["--beat", "-s", str(self.folder / f"beat-{self.name}")]
        return command

    def start(self) -> TrackingWorker:
        self.process = subprocess.Popen(  # noqa: S603
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + 60
        while not any(" ready." in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start:\n" + self.tail())
            time.sleep(0.1)
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def ensure_running(self) -> None:
        """What a process supervisor (systemd, Kubernetes) does: start it again if it exited."""
        if self.process is not None and self.process.poll() is not None:
            self.restarts += 1
            self.start()

    def tail(self, count: int = 40) -> str:
        return "".join(self.lines[-count:])

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing gets to clean up or acknowledge."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        self.terminate()
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(tracking_kestra: str, tmp_path) -> Iterator[Callable[..., TrackingWorker]]:
    """Start workers for this test; all are stopped at its end."""
    from kestra_apps.celery import app

    app.control.purge()
    started: list[TrackingWorker] = []

    def start(name: str, *, beat: bool = False, **env: str) -> TrackingWorker:
        worker = TrackingWorker(name, tracking_kestra, beat=beat, folder=tmp_path, **env)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:  # all at once: their warm shutdowns overlap
        worker.terminate()
    for worker in started:
        worker.stop()


@pytest.fixture
def quick_app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=app_yaml("quick"))[0]


@pytest.fixture
def slow_app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=app_yaml("slow"))[0]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took; fails with `what` on timeout."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)
    return time.monotonic() - started


def all_final(count: int) -> Callable[[], bool]:
    from executions.models import Execution

    def check() -> bool:
        rows = Execution.objects.filter(stage__in=["SUCCESS", "FAILURE", "ERROR"])
        return rows.count() == count

    return check


def executions_in_kestra(base_url: str, namespace: str, flow_id: str) -> list[dict]:
    """Every execution of the flow, read through Kestra's search API (faults off)."""
    response = requests.get(
        f"{base_url}/api/v1/main/executions/search",
        params={
            "filters[namespace][EQUALS]": namespace,
            "filters[flowId][EQUALS]": flow_id,
            "size": "5000",
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["results"]


def submissions_in_kestra(base_url: str, namespace: str, flow_id: str) -> dict[str, int]:
    """How many Kestra executions carry each `portal.submission` label."""
    counts: dict[str, int] = defaultdict(int)
    for execution in executions_in_kestra(base_url, namespace, flow_id):
        for label in execution.get("labels") or []:
            if label["key"] == "portal.submission":
                counts[label["value"]] += 1
    return dict(counts)


_HOLD = re.compile(
    r"tracking hold kind=(?P<kind>\w+) ids=(?P<ids>[\d,]*) claim=(?P<claim>\w+)"
    r" start=(?P<start>[\d.]+) end=(?P<end>[\d.]+)"
)


@dataclass(frozen=True)
class Hold:
    worker: str
    kind: str
    execution_id: int
    claim: str
    start: float
    end: float


def holds(*workers: TrackingWorker) -> list[Hold]:
    """Every piece of work the workers logged doing on an execution, and when."""
    found: list[Hold] = []
    for worker in workers:
        for line in list(worker.lines):
            match = _HOLD.search(line)
            if not match:
                continue
            for execution_id in filter(None, match["ids"].split(",")):
                found.append(
                    Hold(
                        worker.name,
                        match["kind"],
                        int(execution_id),
                        match["claim"],
                        float(match["start"]),
                        float(match["end"]),
                    )
                )
    return found


def overlaps(found: list[Hold]) -> list[tuple[Hold, Hold]]:
    """Pairs of holds on the same execution whose times overlap (there must be none)."""
    by_execution: dict[int, list[Hold]] = defaultdict(list)
    for hold in found:
        by_execution[hold.execution_id].append(hold)
    clashes: list[tuple[Hold, Hold]] = []
    for items in by_execution.values():
        items.sort(key=lambda hold: hold.start)
        for before, after in zip(items, items[1:], strict=False):
            if after.start < before.end:
                clashes.append((before, after))
    return clashes
