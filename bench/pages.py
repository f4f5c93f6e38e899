"""Throughput of the portal's pages against a plain Django page, same server, same run.

    .venv/bin/python bench/pages.py [--seconds 5] [--clients 20] [--json PATH]

Starts the emulator (the example flows) and gunicorn (2 workers) on a fresh SQLite database
in a temporary folder, with the data request app and one running execution holding 40 log
lines, then loads each URL from 20 loopback clients. The web process's memory (gunicorn and
its workers) is read before the load and at its peak during it. Next to the portal's pages,
for scale: the plain page inside the portal's layout, which every page has before any work
of its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.loadgen import Result, hammer  # noqa: E402
from bench.report import Figure, add_json_argument, emit, ms  # noqa: E402

MIN_SHARE = 0.5  # of the plain page's requests per second
# Pages with a target of their own (issue 22): the execution page, asked most while it runs.
MIN_SHARES = {"execution page, 20 clients": 0.7}
PLAIN = "plain Django page (baseline)"
IN_LAYOUT = "plain page inside the portal's layout, 20 clients"
# Shown for scale next to the pages that have a target, with none of their own: the live
# part, what every open page asks each second, and the plain page inside the portal's
# layout, what the header, navigation and language switcher of every page cost before any
# of a page's own work.
FOR_SCALE = ("live part", IN_LAYOUT)


def bench_env(data_dir: str, kestra_url: str = "http://127.0.0.1:9") -> dict[str, str]:
    """The portal with the bench URLs (plain pages) on a database of its own."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PORTAL_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "filesystem://"),
        "KESTRA_URL": kestra_url,
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on loopback: cookies (session, CSRF) must travel without TLS.
        "SECURE_COOKIES": "false",
        "SUBMISSION_RATE_LIMIT": "0/m",
    }


SETUP = """
import django; django.setup()
from accounts.policy import execution_link
from apps_catalog.services import app_save_source
from executions.models import Execution, ExecutionLog
app, _ = app_save_source(source=open("examples/apps/data_request.yml").read())
execution = Execution.objects.create(app=app, kestra_id="bench1", delivery="DELIVERED",
    state="RUNNING", stage="RUNNING", snapshot={"inputs": {"dataset": "stores"}}, log_count=40)
from datetime import timedelta
from django.utils import timezone
start = timezone.now()
ExecutionLog.objects.bulk_create(ExecutionLog(execution=execution, position=i, level="INFO",
    task_id=f"task{i}", message=f"message {i}", timestamp=start + timedelta(seconds=i))
    for i in range(40))
print(app.uid, execution_link(execution))
"""


def migrate(env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", "migrate", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603


def _prepare(env: dict[str, str]) -> tuple[str, str]:
    """The app's uid, and the execution's signed link: the app is public and the clients
    did not submit the execution, so they open it as a link in a message lets them."""
    migrate(env)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    uid, link = out.stdout.strip().splitlines()[-1].split()
    return uid, link


def load_figure(name: str, result: Result, baseline: Result) -> Figure:
    share = result.rps / baseline.rps if baseline.rps else 0.0
    least = MIN_SHARES.get(name, MIN_SHARE)
    return Figure(
        f"{name}: req/s (p50, p95)",
        f"{result.rps:,.0f} ({ms(result.median)}, {ms(result.percentile(0.95))})"
        + (f", {result.errors} errors" if result.errors else ""),
        f"plain Django page: {baseline.rps:,.0f} ({ms(baseline.median)},"
        f" {ms(baseline.percentile(0.95))})",
        f"{share:.2f}x",
        f"at least {least:g}x req/s",
        share >= least and not result.errors,
    )


def _urls(base: str, uid: str, link: str) -> dict[str, str]:
    page = f"{base}/apps/{uid}/executions/bench1/"
    live = f"{page}live/?link={link}"
    version = requests.get(live, timeout=5).headers["X-Live-Version"]
    return {
        PLAIN: f"{base}/bench/plain/",
        IN_LAYOUT: f"{base}/bench/plain-in-layout/",
        "app page (form), 20 clients": f"{base}/apps/{uid}/",
        "execution page, 20 clients": f"{page}?link={link}",
        "live part, unchanged (204)": f"{live}&v={version}",
        "live part, changed": live,
    }


def measure(seconds: float, clients: int) -> tuple[dict[str, Result], float, float]:
    """Results per page, and the web process's memory (MiB) before and at peak under load."""
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as data_dir:
        emulator, kestra_url = harness.start_emulator(ROOT / "examples" / "flows")
        server = None
        try:
            env = bench_env(data_dir, kestra_url)
            uid, link = _prepare(env)
            server, base = harness.start_gunicorn(env)
            urls = _urls(base, uid, link)
            for url in urls.values():
                hammer(url, clients=clients, seconds=1, ok=(200, 204))  # warm up
            idle = harness.tree_rss_mib(server.pid)
            with harness.PeakMemory(server.pid) as memory:
                results = {
                    name: hammer(url, clients=clients, seconds=seconds, ok=(200, 204))
                    for name, url in urls.items()
                }
        finally:
            if server is not None:
                harness.stop(server)
            harness.stop(emulator)
    return results, idle, memory.peak


def figures(results: dict[str, Result], idle: float, peak: float, clients: int) -> list[Figure]:
    baseline = results[PLAIN]
    found = [load_figure(name, r, baseline) for name, r in results.items() if name != PLAIN]
    found = [replace(f, target="", met=None) if f.name.startswith(FOR_SCALE) else f for f in found]
    found.append(
        Figure(
            f"web process memory (gunicorn, 2 workers), {clients} clients",
            f"{peak:.0f} MiB peak",
            f"same processes before the load: {idle:.0f} MiB",
            f"{peak / idle:.2f}x",
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=20)
    add_json_argument(parser)
    args = parser.parse_args()
    results, idle, peak = measure(args.seconds, args.clients)
    cores = os.cpu_count()
    print(f"{args.clients} clients, {args.seconds:g} s each, gunicorn 2 workers, {cores} cores")
    emit(figures(results, idle, peak, args.clients), args.json)


if __name__ == "__main__":
    main()
