"""What the benchmarks share: ports, servers (gunicorn, the emulator in its own process) and
the memory of a process tree. Everything here runs on loopback. The tracking scenarios'
workers and readers, shared with the tests, are in tests/tracking.py.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


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
    env: Mapping[str, str], *, workers: int = 2, asgi: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    """The portal under gunicorn, as in production (`asgi`: uvicorn workers, the README's
    command); answers once /bench/plain/ does."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers)]
    if asgi:
        command += ["kestra_apps.asgi:application", "-k", "uvicorn_worker.UvicornWorker"]
    else:
        command += ["kestra_apps.wsgi"]
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


def tree_fds(pid: int) -> int:
    """Open file descriptors of a process and all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            total += len(list(Path(f"/proc/{current}/fd").iterdir()))
        pending += children(current)
    return total


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
