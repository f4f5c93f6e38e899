"""What the tracking scenarios share with `make resilience` (bench/resilience.py): their
small flows, Celery workers that can be killed as a crashed machine would be, faults in the
emulator, and readers of what the workers and Kestra recorded.

Everything here runs on loopback. Helpers that read the database need Django set up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from kestra_apps.processes import celery_worker_command, database_url

ROOT = Path(__file__).resolve().parent.parent

# Set in the test process for Playwright's sync API (tests/conftest.py), never for the
# product's own processes: they run with Django's async safety checks, as in production.
TEST_PROCESS_ONLY = "DJANGO_ALLOW_ASYNC_UNSAFE"


def product_environ() -> dict[str, str]:
    """This process's environment, for a process of the product's (server, worker, follower)."""
    return {key: value for key, value in os.environ.items() if key != TEST_PROCESS_ONLY}


# Short intervals so that fault scenarios run in seconds; the product's defaults are longer.
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

# The small flows of the tracking scenarios (tests/integration and `make resilience`).
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


def app_yaml(flow_id: str) -> str:
    return f"""
id: track_{flow_id}
type: io.kestra.plugin.ee.apps.Execution
displayName: Tracking {flow_id}
namespace: tracking
flowId: {flow_id}
access: PUBLIC
"""


NO_FAULTS = {"latency_ms": 0, "fail_rate": 0.0, "unreachable": False, "fail_after_create_rate": 0.0}


def set_faults(base_url: str, **faults: object) -> None:
    requests.post(f"{base_url}/_emulator/faults", json=faults, timeout=5).raise_for_status()


# --- Celery workers --------------------------------------------------------------------------


class TrackingWorker:
    """A `celery worker` process (with the beat or not) in its own process group, so that
    it can be killed as a crashed machine would be: SIGKILL, pool processes included."""

    ready_marker = " ready."  # the line that says the process has started

    def __init__(
        self,
        name: str,
        kestra_url: str,
        *,
        beat: bool,
        folder: Path,
        intervals: Mapping[str, str] = WORKER_ENV,
        **env: str,
    ):
        """`intervals`: the tracking settings; WORKER_ENV's short ones unless given ({} for
        the product's defaults, as the benchmarks measure them)."""
        self.name = name
        self.beat = beat
        self.folder = folder
        self.env = {
            **product_environ(),
            **intervals,
            **env,
            "DATABASE_URL": database_url(),
            "KESTRA_URL": kestra_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0

    def command(self) -> list[str]:

        return celery_worker_command(
            beat=self.beat,
            hostname=f"{self.name}@%h",
            schedule=self.folder / f"beat-{self.name}",
            mingle_and_gossip=False,
        )

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
        while not any(self.ready_marker in line for line in self.lines):
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


class FollowerProcess(TrackingWorker):
    """`manage.py follow_executions`, the process that follows watched executions through
    Kestra's event streams, with the tracking settings of the workers."""

    ready_marker = "following watched executions"

    def __init__(self, name: str, kestra_url: str, *, folder: Path, **env: str):
        super().__init__(name, kestra_url, beat=False, folder=folder, intervals=WORKER_ENV, **env)

    def command(self) -> list[str]:
        return [sys.executable, "manage.py", "follow_executions"]


def stop_workers(workers: list[TrackingWorker]) -> None:
    for worker in workers:  # all at once: their warm shutdowns overlap
        worker.terminate()
    for worker in workers:
        worker.stop()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took; AssertionError naming `what` on timeout."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)
    return time.monotonic() - started


# --- what Kestra and the workers recorded ----------------------------------------------------


def executions_in_kestra(base_url: str, namespace: str, flow_id: str) -> list[dict[str, Any]]:
    """Every execution of the flow, read through Kestra's search API (faults off)."""
    response = requests.get(
        f"{base_url}/api/v1/main/executions/search",
        params={
            "filters[namespace][EQUALS]": namespace,
            "filters[flowId][EQUALS]": flow_id,
            "size": "5000",
        },
        timeout=30,
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
