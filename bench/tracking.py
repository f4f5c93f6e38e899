"""Benchmark of execution tracking, against the emulator over HTTP and a real Celery worker.

    .venv/bin/python bench/tracking.py [--watched 20] [--running 1000] [--window 60]

(a) Latency for watched executions: the delay between a state change in the emulator (the
    date Kestra puts in the execution's state history) and the moment the portal's database
    shows that state; median and 95th percentile (target p95 < 1.5 s).
(b) Cost: Kestra requests per tracked execution per minute with `--running` executions
    running, counted at the emulator (a WSGI wrapper around it), compared with a naive
    schedule (one GET of each execution per second, and the GET of its logs).

It uses its own data folder (var/bench-tracking, or PORTAL_DATA_DIR: SQLite database,
file-system broker) unless DATABASE_URL / CELERY_BROKER_URL say otherwise. The worker's
memory (Celery, its pool and beat) is read before the 1,000 start and at its peak after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PeakMemory, tree_rss_mib  # noqa: E402
from bench.report import Figure, add_json_argument, emit  # noqa: E402
from kestra_apps.processes import database_url  # noqa: E402
from tests.tracking import product_environ  # noqa: E402

LATENCY_TARGET = 1.5  # seconds, p95

FLOWS = {
    # Seven states in about five seconds: CREATED, RUNNING, PAUSED, RUNNING, PAUSED, … SUCCESS.
    "bench.steps.yml": """
id: steps
namespace: bench
tasks:
  - {id: a, type: io.kestra.plugin.core.flow.Sleep, duration: PT0.7S}
  - {id: p1, type: io.kestra.plugin.core.flow.Pause, pauseDuration: PT1S}
  - {id: b, type: io.kestra.plugin.core.flow.Sleep, duration: PT0.7S}
  - {id: p2, type: io.kestra.plugin.core.flow.Pause, pauseDuration: PT1S}
  - {id: c, type: io.kestra.plugin.core.flow.Sleep, duration: PT0.7S}
  - {id: done, type: io.kestra.plugin.core.log.Log, message: done}
""",
    # Runs far longer than the measurement: a steady population of running executions.
    "bench.long.yml": """
id: long
namespace: bench
tasks:
  - {id: wait, type: io.kestra.plugin.core.flow.Sleep, duration: PT30M}
""",
}

APP = """
id: bench_{flow}
type: io.kestra.plugin.ee.apps.Execution
displayName: Bench {flow}
namespace: bench
flowId: {flow}
access: PUBLIC
"""


class CountingApp:
    """Counts the Kestra API requests that reach the emulator, by kind."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/api/v1/"):
            with self.lock:
                self.counts[_kind(str(environ.get("REQUEST_METHOD")), path)] += 1
        return self.app(environ, start_response)

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


def _kind(method: str, path: str) -> str:
    rest = path.split("/api/v1/main", 1)[-1]
    if rest.endswith("/follow"):
        return "stream"
    for prefix, name in (
        ("/executions/search", "search"),
        ("/logs/", "logs"),
        ("/outputs/", "outputs"),
    ):
        if rest.startswith(prefix):
            return name
    if method == "POST":
        return "create/resume"
    return "get execution" if rest.startswith("/executions/") else "other"


def _setup_django(data_dir: Path) -> None:
    os.environ.setdefault("PORTAL_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kestra_apps.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    # The client pool of the set-up threads is smaller than the pool of threads: harmless.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    logging.getLogger("kombu").setLevel(logging.ERROR)

    call_command("migrate", verbosity=0)


def _start_emulator(folder: Path) -> tuple[Any, CountingApp, str]:
    from kestra_emulator.server import create_app, start_in_thread

    for name, text in FLOWS.items():
        (folder / name).write_text(text)
    emulator = create_app(flows_dir=folder, dialect="2.0")
    counting = CountingApp(emulator)
    server, url = start_in_thread(counting)  # type: ignore[arg-type]
    return server, counting, url


def _start_worker(kestra_url: str, data_dir: Path) -> subprocess.Popen[str]:
    from kestra_apps.processes import celery_worker_command

    env = {
        **product_environ(),
        "KESTRA_URL": kestra_url,
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    command = celery_worker_command(
        beat=True, loglevel="WARNING", mingle_and_gossip=False, schedule=data_dir / "bench-beat"
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(4)  # the worker and its beat start
    return process


def _apps() -> dict[str, Any]:
    from apps_catalog.services import app_save_source

    return {flow: app_save_source(source=APP.format(flow=flow))[0] for flow in ("steps", "long")}


def _reset(kestra_url: str) -> None:
    import requests

    from executions.models import Execution

    Execution.objects.all().delete()
    requests.post(f"{kestra_url}/_emulator/reset", timeout=10)


# --- (a) latency of watched executions -------------------------------------------------------


def _keep_watching(ids: list[int], stop: threading.Event) -> None:
    """What open pages do: the live endpoint marks the execution watched on every request."""
    from executions import services
    from executions.models import Execution

    while not stop.is_set():
        for execution in Execution.objects.filter(pk__in=ids):
            services.execution_watch(execution=execution)
        stop.wait(1.0)


def _history_dates(snapshot: dict[str, Any]) -> list[float]:
    from django.utils.dateparse import parse_datetime

    dates = []
    for entry in snapshot.get("state", {}).get("histories") or []:
        parsed = parse_datetime(str(entry.get("date") or ""))
        dates.append(parsed.timestamp() if parsed else 0.0)
    return dates


def measure_latency(app: Any, count: int) -> list[float]:
    """For each state the database comes to show: how long after Kestra entered it."""
    from executions import services
    from executions.models import Execution

    executions = [services.execution_submit(app=app, values={}, shown={}) for _ in range(count)]
    ids = [e.pk for e in executions]
    stop = threading.Event()
    watcher = threading.Thread(target=_keep_watching, args=(ids, stop), daemon=True)
    watcher.start()
    seen: dict[int, int] = dict.fromkeys(ids, 0)
    delays: list[float] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = time.time()
        rows = Execution.objects.filter(pk__in=ids).values_list("pk", "snapshot", "stage")
        finished = 0
        for pk, snapshot, stage in rows:
            dates = _history_dates(snapshot)
            if len(dates) > seen[pk]:
                # The database now shows the latest state: its delay since Kestra entered it.
                delays.append(now - dates[-1])
                seen[pk] = len(dates)
            finished += stage in {"SUCCESS", "FAILURE", "ERROR"}
        if finished == len(ids):
            break
        time.sleep(0.02)
    stop.set()
    return delays


# --- (b) requests per execution per minute ----------------------------------------------------


def _start_running(app: Any, kestra_url: str, count: int) -> list[int]:
    """`count` executions created in Kestra and tracked as delivered (delivery is not what
    this part measures)."""
    from django.utils import timezone

    from executions.kestra import get_client
    from executions.models import Execution

    client = get_client()
    with ThreadPoolExecutor(max_workers=16) as pool:
        created = list(
            pool.map(lambda _: client.create_execution("bench", "long", {}), range(count))
        )
    now = timezone.now()
    rows = Execution.objects.bulk_create(
        Execution(
            app=app,
            kestra_id=body["id"],
            delivery="DELIVERED",
            snapshot=body,
            state=body["state"]["current"],
            next_action_at=now,
        )
        for body in created
    )
    return [row.pk for row in rows]


def measure_requests(counting: CountingApp, window: float, warmup: float) -> Counter[str]:
    time.sleep(warmup)
    before = counting.snapshot()
    time.sleep(window)
    after = counting.snapshot()
    after.subtract(before)
    return +after


def _report_watched_share(counting: CountingApp, args: argparse.Namespace) -> Figure:
    """The same population with a few pages open: what watching costs on top."""
    from executions.models import Execution

    ids = list(Execution.objects.order_by("pk").values_list("pk", flat=True)[: args.open_pages])
    stop = threading.Event()
    threading.Thread(target=_keep_watching, args=(ids, stop), daemon=True).start()
    try:
        counts = measure_requests(counting, args.window / 2, 3.0)
    finally:
        stop.set()
    total = sum(counts.values())
    minutes = args.window / 2 / 60
    overall = total / args.running / minutes
    watched = (total - counts["search"]) / len(ids) / minutes
    print(f"(c) the same {args.running}, {len(ids)} of them watched, {args.window / 2:.0f} s:")
    print(
        f"    {total} requests ({dict(counts)}); {overall:.3f} per execution per minute overall,"
        f" {watched:.0f} per watched execution per minute (its state and new logs every second)"
    )
    return Figure(
        f"Kestra requests per execution per minute, {args.running:,} running,"
        f" {len(ids)} of them watched (pages open)",
        f"{overall:.3f} overall; {watched:.0f} per watched one",
        "naive: GET + logs of each every second: 120",
        f"1/{120 / overall:,.0f}",
    )


def _percentile(values: Iterable[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _latency_figure(delays: list[float], args: argparse.Namespace) -> Figure:
    median, p95 = statistics.median(delays), _percentile(delays, 0.95)
    print(f"(a) watched executions: {args.watched}, state changes seen: {len(delays)}")
    print(f"    delay median {median:.3f} s, p95 {p95:.3f} s, max {max(delays):.3f} s")
    return Figure(
        "state propagation, emulator to portal database (watched): p50, p95",
        f"{median:.2f} s, {p95:.2f} s ({len(delays)} changes)",
        "the worker's poll interval: 1 s",
        f"{p95:.2f}x",
        f"p95 under {LATENCY_TARGET:g} s",
        p95 < LATENCY_TARGET,
    )


def _requests_figure(counts: Counter[str], args: argparse.Namespace) -> Figure:
    total = sum(counts.values())
    per = total / args.running / (args.window / 60)
    print(
        f"(b) {args.running} running executions, nobody watching,"
        f" {args.window:.0f} s counted after {args.warmup:.0f} s:"
    )
    print(f"    {total} requests ({dict(counts)})")
    print(
        f"    {per:.4f} requests per execution per minute;"
        f" naive GET each second: 60 ({60 / per:,.0f}x more);"
        f" GET + logs each second: 120 ({120 / per:,.0f}x more)"
    )
    return Figure(
        f"Kestra requests per tracked execution per minute, {args.running:,} running",
        f"{per:.4f} ({total} in {args.window:.0f} s: {_kinds(counts)})",
        "naive: GET of each every second: 60",
        f"1/{60 / per:,.0f}",
    )


def _kinds(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def _memory_figure(idle: float, peak: float, args: argparse.Namespace) -> Figure:
    return Figure(
        f"worker memory (Celery + beat, 2 processes), {args.running:,} running executions",
        f"{peak:.0f} MiB peak",
        f"same processes before: {idle:.0f} MiB",
        f"{peak / idle:.2f}x",
    )


def measure(counting: CountingApp, kestra_url: str, args: argparse.Namespace) -> list[Figure]:
    apps = _apps()
    _reset(kestra_url)
    data_dir = Path(os.environ["PORTAL_DATA_DIR"])
    worker = _start_worker(kestra_url, data_dir)
    try:
        found = [_latency_figure(measure_latency(apps["steps"], args.watched), args)]
        _reset(kestra_url)
        idle = tree_rss_mib(worker.pid)
        with PeakMemory(worker.pid) as memory:
            _start_running(apps["long"], kestra_url, args.running)
            counts = measure_requests(counting, args.window, args.warmup)
        found.append(_requests_figure(counts, args))
        found.append(_report_watched_share(counting, args))
        found.append(_memory_figure(idle, memory.peak, args))
        return found
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watched", type=int, default=20)
    parser.add_argument("--running", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds of counting")
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--open-pages", type=int, default=10, help="watched in part (c)")
    add_json_argument(parser)
    args = parser.parse_args()

    emit(against_emulator("bench-tracking", measure, args), args.json)


def against_emulator(
    name: str,
    measure: Callable[[CountingApp, str, argparse.Namespace], list[Figure]],
    args: argparse.Namespace,
) -> list[Figure]:
    """Django set up on its own data folder (var/`name`, or PORTAL_DATA_DIR), an emulator
    that counts its requests on a fresh folder of flows, and `measure` run against both."""
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR") or ROOT / "var" / name)
    data_dir.mkdir(parents=True, exist_ok=True)
    _setup_django(data_dir)
    from django.conf import settings

    from executions.kestra import client as kestra_client

    with tempfile.TemporaryDirectory() as flows:
        server, counting, kestra_url = _start_emulator(Path(flows))
        settings.KESTRA_URL = kestra_url
        kestra_client._versions.clear()
        try:
            return measure(counting, kestra_url, args)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
