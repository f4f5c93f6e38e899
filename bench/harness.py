"""What the benchmarks, `make resilience` and the tracking tests share: ports, servers
(gunicorn, the emulator in its own process), Celery workers that can be killed, memory of a
process tree, and readers of what workers and Kestra recorded.

Everything here runs on loopback. Helpers that read the database need Django set up.
"""

from __future__ import annotations

import os
import re
import signal
import socket
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

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

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


# --- ports and servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Until `url` answers at all (any status); RuntimeError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url}")


def start_emulator(flows_dir: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The emulator as the demo runs it, in its own process (its GIL is not ours)."""
    port = port or free_port()
    command = [sys.executable, "-m", "kestra_emulator", "--host", HOST, "--port", str(port)]
    command += ["--flows", str(flows_dir), "--dialect", "2.0"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://{HOST}:{port}"
    try:
        wait_for_http(f"{url}/_emulator/health")
    except RuntimeError:
        process.kill()
        raise
    return process, url


def start_gunicorn(
    env: Mapping[str, str], *, workers: int = 2
) -> tuple[subprocess.Popen[bytes], str]:
    """The portal under gunicorn, as in production; answers once /bench/plain/ does."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "kestra_apps.wsgi", "-w", str(workers)]
    command += ["-b", f"{HOST}:{port}", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=dict(env))  # noqa: S603
    url = f"http://{HOST}:{port}"
    try:
        wait_for_http(f"{url}/bench/plain/")
    except RuntimeError:
        process.kill()
        raise
    return process, url


def stop(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def set_faults(base_url: str, **faults: object) -> None:
    requests.post(f"{base_url}/_emulator/faults", json=faults, timeout=5).raise_for_status()


# --- memory ----------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (gunicorn's or Celery's pool)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss_kib(current)
        pending += children(current)
    return total / 1024


class PeakMemory:
    """Samples a process tree's memory in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid = pid
        self.every = every
        self.peak = tree_rss_mib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_rss_mib(self.pid))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- Celery workers --------------------------------------------------------------------------


def database_url() -> str:
    """The DATABASE_URL of the database this process uses (Django set up), for workers."""
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
            **os.environ,
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
        from kestra_apps.processes import celery_worker_command

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
