"""`make resilience-nodes`: the portal on several machines; a web node and a worker lost.

    .venv/bin/python bench/resilience_nodes.py [--submissions 200] [--seconds 60] [--timeout 300]

Loopback addresses stand in for machines: two web nodes (gunicorn with uvicorn workers, two
each), three worker nodes and one beat, each with a data folder of its own (its own disk),
sharing only PostgreSQL, Redis and one environment (one SECRET_KEY), as docs/deployment.md
says. The emulator (its own process) is Kestra, with the short tracking intervals of the
fault scenarios (tests/tracking.py).

Visitors post a form with a FILE input (a few KB, different for each) to the web nodes in
turn, as a load balancer's round robin would; a visitor whose node does not answer posts
to the other one. A third of the way in, the first web node is killed with SIGKILL (its
workers too); half-way, the first worker. Neither comes back.

The audit, once every submission is final (or the time is up): lost (a submission answered
with its page that Kestra has no execution of), duplicated (more than one), stuck (not
final), two workers on one execution at once, every file read back from Kestra byte for
byte, uploads left in the database, and /metrics of the surviving web node against the
database's own counts. Exit status 1 unless all agree.

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/portal_resilience (dropped and
made again on every run: its name must hold "resilience"), CELERY_BROKER_URL to
redis://127.0.0.1:6379/5 (purged first).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from tests import tracking  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_resilience"
BROKER_URL = "redis://127.0.0.1:6379/5"
FINAL = ("SUCCESS", "FAILURE", "ERROR")
FLOW = """
id: files
namespace: tracking
inputs:
  - id: name
    type: STRING
  - id: doc
    type: FILE
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Got {{ inputs.name }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
"""


@dataclass
class Node:
    """A web node: gunicorn in its own process group, so it dies as a machine would."""

    name: str
    url: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, name: str, env: dict[str, str]) -> Node:
        port = harness.free_port()
        command = [sys.executable, "-m", "gunicorn", "kestra_apps.asgi:application"]
        command += ["-k", "uvicorn_worker.UvicornWorker", "-w", "2"]
        command += ["-b", f"{harness.HOST}:{port}", "--log-level", "warning"]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=ROOT, env=env, start_new_session=True
        )
        node = cls(name, f"http://{harness.HOST}:{port}", process)
        harness.wait_for_http(f"{node.url}/healthz")
        return node

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Visitor:
    """One client thread: a browser session (and its CSRF token) per web node."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[requests.Session, str]] = {}

    def submit(self, node: Node, uid: str, index: int, content: bytes) -> str:
        """POST the form with its file; the submission's token from the page it leads to."""
        url = f"{node.url}/apps/{uid}/"
        if node.url not in self.sessions:
            session = requests.Session()
            form = session.get(url, timeout=30)
            form.raise_for_status()
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert found, "no CSRF token in the form"
            self.sessions[node.url] = (session, found[1])
        session, csrf = self.sessions[node.url]
        response = session.post(
            url,
            data={"csrfmiddlewaretoken": csrf, "input.name": f"r{index}"},
            files={"input.doc": (f"r{index}.bin", content, "application/octet-stream")},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, (response.status_code, response.text[:300])
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


@dataclass
class Run:
    kestra: str
    folder: Path
    env: dict[str, str]
    webs: list[Node] = field(default_factory=list)
    workers: list[tracking.TrackingWorker] = field(default_factory=list)
    beat: subprocess.Popen[bytes] | None = None
    sent: dict[str, bytes] = field(default_factory=dict)  # token: the file's bytes
    unanswered: int = 0  # posts whose node died before answering (sent again elsewhere)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)

    def log(self, what: str) -> None:
        print(f"  {time.monotonic() - self.started:6.1f} s  {what}", flush=True)

    def at(self, elapsed: float, action: Callable[[], None], what: str) -> None:
        time.sleep(max(0.0, self.started + elapsed - time.monotonic()))
        action()
        self.log(f"{what}: SIGKILL")

    def node_env(self, name: str) -> dict[str, str]:
        """One machine's environment: the shared one, and a data folder of its own."""
        data = self.folder / name
        data.mkdir(exist_ok=True)
        return {**self.env, "PORTAL_DATA_DIR": str(data)}

    def start(self) -> None:
        self.webs = [Node.start(name, self.node_env(name)) for name in ("web1", "web2")]
        for name in ("worker1", "worker2", "worker3"):
            worker = tracking.TrackingWorker(name, self.kestra, beat=False, folder=self.folder)
            worker.env.update(self.node_env(name), LOG_LEVEL="INFO")  # its "tracking hold" lines
            self.workers.append(worker.start())
        command = [sys.executable, "-m", "celery", "-A", "kestra_apps", "beat"]
        command += ["--loglevel", "WARNING", "-s", str(self.folder / "beat" / "schedule")]
        self.beat = subprocess.Popen(command, cwd=ROOT, env=self.node_env("beat"))  # noqa: S603

    def stop(self) -> None:
        tracking.stop_workers(self.workers)
        for web in self.webs:
            web.kill()
        if self.beat is not None:
            harness.stop(self.beat)

    def post(self, visitor: Visitor, uid: str, index: int) -> None:
        """To the next web node in turn; to the other one if that one does not answer."""
        content = f"file {index}\n".encode() + secrets.token_bytes(4096)
        first = index % len(self.webs)
        for node in self.webs[first:] + self.webs[:first]:
            try:
                token = visitor.submit(node, uid, index, content)
            except requests.ConnectionError:
                with self.lock:
                    self.unanswered += 1
                continue
            with self.lock:
                self.sent[token] = content
            return
        raise RuntimeError("no web node answered")


def play(run: Run, uid: str, count: int, seconds: float, clients: int) -> None:
    """`clients` visitors post at once, the submissions spread over `seconds`; the kills
    happen meanwhile, whatever is in flight."""

    def visit(first: int) -> None:
        visitor = Visitor()
        for index in range(first, count, clients):
            due = run.started + seconds * index / count
            time.sleep(max(0.0, due - time.monotonic()))
            run.post(visitor, uid, index)

    with ThreadPoolExecutor(clients) as pool:
        done = [pool.submit(visit, k) for k in range(clients)]
        run.at(seconds / 3, lambda: run.webs[0].kill(), f"web node {run.webs[0].name} killed")
        run.at(seconds / 2, lambda: run.workers[0].kill(), f"{run.workers[0].name} killed")
        for future in done:
            future.result()
    run.log(f"{count} submitted ({run.unanswered} posts the dead node did not answer, sent again)")


# --- the audit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    answered: int
    stored: int
    lost: int
    duplicated: int
    stuck: int
    overlaps: int
    files_delivered: int
    files_wrong: int
    uploads_left: int
    metrics: list[tuple[str, float, float]]  # (what, /metrics says, the database says)
    kestra_creates_counted: float
    stages: Counter[str]

    @property
    def metrics_agree(self) -> bool:
        return all(scraped == counted for _, scraped, counted in self.metrics)

    @property
    def ok(self) -> bool:
        wrong = self.lost or self.duplicated or self.stuck or self.overlaps or self.files_wrong
        complete = self.files_delivered == self.answered and not self.uploads_left
        return not wrong and complete and self.metrics_agree


def _download(kestra: str, execution: dict[str, Any]) -> bytes:
    uri = execution["inputs"]["doc"]
    response = requests.get(
        f"{kestra}/api/v1/main/executions/{execution['id']}/file",
        params={"path": uri},
        timeout=30,
    )
    response.raise_for_status()
    return response.content


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    response = requests.get(f"{url}/metrics", timeout=30)
    response.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _metrics_against_database(url: str) -> tuple[list[tuple[str, float, float]], float]:
    from django.db.models import Count

    from executions.models import Execution

    scraped = _scrape(url)
    compared = [
        (
            f"executions{{stage={row['stage']}}}",
            scraped.get(("kestra_apps_executions", (("stage", row["stage"]),)), 0.0),
            float(row["n"]),
        )
        for row in Execution.objects.values("stage").annotate(n=Count("id")).order_by("stage")
    ]
    success = Execution.objects.filter(state="SUCCESS").count()
    queued = Execution.objects.filter(delivery="QUEUED").count()
    compared += [
        (
            "submissions{outcome=success}",
            scraped.get(("kestra_apps_submissions", (("outcome", "success"),)), 0.0),
            float(success),
        ),
        (
            "delivery_queue_depth",
            scraped.get(("kestra_apps_delivery_queue_depth", ()), -1.0),
            queued,
        ),
    ]
    creates = scraped.get(
        (
            "kestra_apps_kestra_request_seconds_count",
            (("endpoint", "create_execution"), ("status", "200")),
        ),
        0.0,
    )
    return compared, creates


def audit(run: Run, app: Any) -> Audit:
    from executions.models import Execution, StoredFile

    in_kestra: dict[str, list[dict[str, Any]]] = {}
    for execution in tracking.executions_in_kestra(run.kestra, "tracking", "files"):
        for label in execution.get("labels") or []:
            if label["key"] == "portal.submission":
                in_kestra.setdefault(label["value"], []).append(execution)
    delivered = wrong = 0
    for token, content in run.sent.items():
        found = in_kestra.get(token, [])
        if len(found) == 1:
            same = _download(run.kestra, found[0]) == content
            delivered += same
            wrong += not same
    rows = list(Execution.objects.filter(app=app))
    metrics, creates = _metrics_against_database(run.webs[1].url)
    return Audit(
        answered=len(run.sent),
        stored=len(rows),
        lost=sum(1 for token in run.sent if not in_kestra.get(token)),
        duplicated=sum(1 for found in in_kestra.values() if len(found) > 1),
        stuck=sum(1 for row in rows if row.stage not in FINAL),
        overlaps=len(tracking.overlaps(tracking.holds(*run.workers))),
        files_delivered=delivered,
        files_wrong=wrong,
        uploads_left=StoredFile.objects.count(),
        metrics=metrics,
        kestra_creates_counted=creates,
        stages=Counter(row.stage for row in rows),
    )


def report(run: Run, result: Audit, all_final: float | None) -> None:
    final = f"{all_final:.0f} s" if all_final is not None else "not within the time limit"
    rows = [
        ("submissions answered with their page", str(result.answered)),
        (
            "submissions stored",
            f"{result.stored} ({result.stored - result.answered} whose answer died with"
            f" the node; {run.unanswered} posts sent again to the other node)",
        ),
        ("lost (answered, no execution in Kestra)", str(result.lost)),
        ("duplicated (more than one execution)", str(result.duplicated)),
        ("stuck (not final at the end)", str(result.stuck)),
        ("two workers on one execution at the same time", str(result.overlaps)),
        ("files delivered byte for byte", f"{result.files_delivered} of {result.answered}"),
        ("files that arrived different", str(result.files_wrong)),
        ("uploads left in the database", str(result.uploads_left)),
        ("final stages", ", ".join(f"{n} {s}" for s, n in result.stages.most_common())),
        ("time until every submission was final", final),
        (
            "creations counted by /metrics (lost flushes of the killed worker aside)",
            f"{result.kestra_creates_counted:.0f}",
        ),
    ]
    rows += [
        (f"/metrics {what} vs the database", f"{a:g} / {b:g}") for what, a, b in result.metrics
    ]
    print(f"\n{result.answered} FILE submissions, 2 web nodes, 3 workers, 1 beat\n")
    print("| check | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print("\n" + ("PASS" if result.ok else "FAIL"))


# --- set-up ----------------------------------------------------------------------------------


def _prepare_database(url: str) -> None:
    """A fresh database: made again from nothing on every run."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "resilience" not in name:
        raise SystemExit(f"the database {name!r} would be dropped: its name must hold 'resilience'")
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _setup_django(folder: Path) -> dict[str, str]:
    """This process creates the app and audits; the environment every node shares."""
    database = os.environ.get("DATABASE_URL", DATABASE_URL)
    broker = os.environ.get("CELERY_BROKER_URL", BROKER_URL)
    _prepare_database(database)
    shared = {
        **os.environ,
        **tracking.WORKER_ENV,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_COOKIES": "false",  # plain HTTP on loopback
        "SUBMISSION_RATE_LIMIT": "0/m",
        "METRICS_FLUSH_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: shared[k] for k in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY")})
    os.environ["PORTAL_DATA_DIR"] = str(folder / "audit")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kestra_apps.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from kestra_apps.celery import app as celery_app

    call_command("migrate", verbosity=0)
    celery_app.control.purge()
    return shared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="submissions arrive over")
    parser.add_argument("--timeout", type=float, default=300.0, help="for all to be final")
    parser.add_argument("--clients", type=int, default=4, help="visitors posting at once")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-resilience-nodes-") as tmp:
        folder = Path(tmp)
        (folder / "flows").mkdir()
        (folder / "flows" / "tracking.files.yml").write_text(FLOW)
        env = _setup_django(folder)
        emulator, kestra = harness.start_emulator(folder / "flows")
        env["KESTRA_URL"] = kestra
        run = Run(kestra, folder, env)
        try:
            from apps_catalog.services import app_save_source

            app = app_save_source(source=tracking.app_yaml("files"))[0]
            run.start()
            run.started = time.monotonic()
            play(run, app.uid, args.submissions, args.seconds, args.clients)
            all_final = _wait_final(run, app, args.timeout)
            result = audit(run, app)
        finally:
            run.stop()
            harness.stop(emulator)
    report(run, result, all_final)
    return 0 if result.ok else 1


def _wait_final(run: Run, app: Any, timeout: float) -> float | None:
    from executions.models import Execution

    def all_final() -> bool:
        return not Execution.objects.filter(app=app).exclude(stage__in=FINAL).exists()

    try:
        tracking.wait_until(all_final, timeout, "every submission final")
    except AssertionError:
        run.log("not every submission final in time")
        return None
    run.log("every submission final")
    time.sleep(2)  # the workers' last counts of requests to Kestra (METRICS_FLUSH_SECONDS)
    return time.monotonic() - run.started


if __name__ == "__main__":
    sys.exit(main())
