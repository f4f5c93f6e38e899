"""Throughput of the portal's pages against a plain Django page, same server, same run.

    .venv/bin/python bench/pages.py [--seconds 5] [--clients 20]

Starts gunicorn (2 workers) on a fresh SQLite database in a temporary folder, with one app
and one running execution holding 40 log lines, then loads each URL from 20 loopback clients.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import Result, hammer  # noqa: E402

PORT = 8765


def _env(data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PORTAL_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
        "LOG_LEVEL": "WARNING",
    }


SETUP = """
import django; django.setup()
from apps_catalog.services import app_save_source
from executions.models import Execution, ExecutionLog
app, _ = app_save_source(source=open("examples/apps/data_request.yml").read())
execution = Execution.objects.create(app=app, kestra_id="bench1", delivery="DELIVERED",
    state="RUNNING", stage="RUNNING", snapshot={"inputs": {"dataset": "stores"}}, log_count=40)
ExecutionLog.objects.bulk_create(ExecutionLog(execution=execution, position=i, level="INFO",
    task_id=f"task{i}", message=f"message {i}") for i in range(40))
print(app.uid)
"""


def _prepare(env: dict[str, str]) -> str:
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [python, "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,  # noqa: S603
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kestra_apps.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{PORT}/bench/plain/", timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def _line(name: str, result: Result, baseline: Result) -> str:
    return (
        f"| {name} | {result.rps:,.0f} | {result.rps / baseline.rps:.2f} | "
        f"{result.median * 1000:.1f} | {result.percentile(0.95) * 1000:.1f} | {result.errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = _env(data_dir)
        uid = _prepare(env)
        server = _serve(env)
        try:
            base = f"http://127.0.0.1:{PORT}"
            live = f"{base}/apps/{uid}/executions/bench1/live/"
            version = requests.get(live, timeout=5).headers["X-Live-Version"]
            urls = {
                "plain Django page (baseline)": f"{base}/bench/plain/",
                "live part, unchanged (204)": f"{live}?v={version}",
                "live part, changed": live,
                "execution page": live[: -len("live/")],
            }
            for url in urls.values():
                hammer(url, clients=args.clients, seconds=1, ok=(200, 204))  # warm up
            results = {
                name: hammer(url, clients=args.clients, seconds=args.seconds, ok=(200, 204))
                for name, url in urls.items()
            }
        finally:
            server.terminate()
            server.wait()
    cores = os.cpu_count()
    print(f"{args.clients} clients, {args.seconds:.0f} s each, gunicorn 2 workers, {cores} cores")
    print("| page | req/s | vs plain Django | p50 ms | p95 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    baseline = results["plain Django page (baseline)"]
    for name, result in results.items():
        print(_line(name, result, baseline))


if __name__ == "__main__":
    main()
