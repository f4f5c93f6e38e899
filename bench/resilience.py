"""`make resilience`: 1,000 submissions through faults; nothing lost, twice or stuck.

    .venv/bin/python bench/resilience.py [--submissions 1000] [--seconds 90] [--timeout 420]

The fault scenarios of tests/integration (test_tracking_faults.py, test_tracking_crash.py)
at a larger scale, in one run, against the emulator over HTTP (its own process) and two
real Celery workers with the short tracking intervals of those tests:

- submissions arrive through `--seconds`, as visitors' would, `--submissions` in all;
- from the start, 30% of Kestra's answers are errors, and half of the creations that get
  through answer an error after creating the execution (what a naive retry duplicates);
- a third of the way in, the worker running the beat is killed with SIGKILL (its pool
  too, nothing acknowledged); a replacement starts 5 s later, as a supervisor would;
- two thirds of the way in, Kestra is unreachable for 20 s; the time to drain the queue
  runs from its return until every submission made so far is delivered.

It then waits until every submission has reached a final stage and reads Kestra's own
list of executions (faults off): a submission is lost if Kestra has no execution with
its label, duplicated if it has more than one, stuck if it is not final. Exit status 1
unless all three, and the number of times two workers held one execution at once, are 0.

SQLite and the file broker in var/bench-resilience/ (made afresh) unless DATABASE_URL /
CELERY_BROKER_URL point elsewhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from tests import tracking  # noqa: E402

DATA_DIR = ROOT / "var" / "bench-resilience"
FINAL = ("SUCCESS", "FAILURE", "ERROR")
FAULTS = {"fail_rate": 0.3, "fail_after_create_rate": 0.5}
OUTAGE_SECONDS = 20.0
RESTART_AFTER = 5.0


@dataclass
class Run:
    """What happened, for the report."""

    kestra: str
    folder: Path
    workers: list[tracking.TrackingWorker] = field(default_factory=list)
    submitted: list[Any] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    killed: list[tracking.TrackingWorker] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)  # the last lines of workers that ended
    drain: float | None = None
    queued_at_return: int = 0
    started: float = field(default_factory=time.monotonic)

    def log(self, what: str) -> None:
        at = time.monotonic() - self.started
        self.events.append((at, what))
        print(f"  {at:6.1f} s  {what}", flush=True)

    def start_worker(self, name: str, *, beat: bool) -> tracking.TrackingWorker:
        worker = tracking.TrackingWorker(name, self.kestra, beat=beat, folder=self.folder)
        self.workers.append(worker.start())
        return worker

    def supervise(self) -> None:
        """What systemd or Kubernetes does: start again a worker that exited by itself (not
        the one killed on purpose), saying why it ended."""
        for worker in self.workers:
            if worker.process is None or worker.process.poll() is None or worker in self.killed:
                continue
            self.log(f"worker {worker.name} exited ({worker.process.returncode}); restarted")
            self.exits.append(f"--- {worker.name}:\n{worker.tail(15)}")
            worker.ensure_running()


# --- the scenario ----------------------------------------------------------------------------


def _queued(ids: list[int]) -> int:
    from executions.models import Execution

    return Execution.objects.filter(pk__in=ids, delivery="QUEUED").count()


def progress(app: Any) -> str:
    """Where the submissions stand, for the log every few seconds."""
    from django.db.models import Count

    from executions.models import Execution

    rows = Execution.objects.filter(app=app).values("delivery", "stage").annotate(n=Count("pk"))
    return ", ".join(f"{r['n']} {r['delivery'].lower()}/{r['stage'].lower()}" for r in rows)


def _not_final(app: Any) -> int:
    from executions.models import Execution

    return Execution.objects.filter(app=app).exclude(stage__in=FINAL).count()


class Scenario:
    """Submissions spread over time, with the kill and the outage at fixed points."""

    def __init__(self, run: Run, app: Any, count: int, seconds: float) -> None:
        self.run = run
        self.app = app
        self.count = count
        self.seconds = seconds
        self.killed_at: float | None = None
        self.outage_from: float | None = None
        self.outage_ids: list[int] = []
        self.back_at: float | None = None

    def play(self, timeout: float) -> None:
        from executions import services

        for i in range(self.count):
            due = self.run.started + self.seconds * i / self.count
            time.sleep(max(0.0, due - time.monotonic()))
            self.tick()
            execution = services.execution_submit(app=self.app, values={"name": f"r{i}"}, shown={})
            self.run.submitted.append(execution)
        self.run.log(f"{self.count} submitted")
        deadline = time.monotonic() + timeout
        while (self.back_at is None or self.run.drain is None) and time.monotonic() < deadline:
            self.tick()
            if time.monotonic() - self.run.started - self.run.events[-1][0] >= 10:
                self.run.log(progress(self.app))
            time.sleep(0.25)

    def tick(self) -> None:
        """Whatever is due now: the kill, the replacement, the outage and its end, the drain."""
        elapsed = time.monotonic() - self.run.started
        self.run.supervise()
        self._kill(elapsed)
        self._replace(elapsed)
        self._outage(elapsed)
        self._return(elapsed)
        self._drained()

    def _kill(self, elapsed: float) -> None:
        if self.killed_at is None and elapsed >= self.seconds / 3:
            self.run.killed.append(self.run.workers[0])
            self.run.workers[0].kill()
            self.killed_at = elapsed
            self.run.log(f"worker {self.run.workers[0].name} (with the beat) killed: SIGKILL")

    def _replace(self, elapsed: float) -> None:
        due = self.killed_at is not None and elapsed >= self.killed_at + RESTART_AFTER
        if due and len(self.run.workers) == 2:
            self.run.start_worker("replacement", beat=True)
            self.run.log("replacement worker (with the beat) started")

    def _outage(self, elapsed: float) -> None:
        if self.outage_from is None and elapsed >= 2 * self.seconds / 3:
            tracking.set_faults(self.run.kestra, unreachable=True)
            self.outage_from = elapsed
            self.run.log(f"Kestra unreachable for {OUTAGE_SECONDS:g} s")

    def _return(self, elapsed: float) -> None:
        over = self.outage_from is not None and elapsed >= self.outage_from + OUTAGE_SECONDS
        if over and self.back_at is None:
            tracking.set_faults(self.run.kestra, unreachable=False)
            self.back_at = time.monotonic()
            self.outage_ids = [e.pk for e in self.run.submitted]
            self.run.queued_at_return = _queued(self.outage_ids)
            self.run.log(f"Kestra back; {self.run.queued_at_return} submissions queued")

    def _drained(self) -> None:
        if self.back_at is not None and self.run.drain is None and not _queued(self.outage_ids):
            self.run.drain = time.monotonic() - self.back_at
            self.run.log(f"queue drained {self.run.drain:.1f} s after Kestra came back")


# --- the audit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    lost: int
    duplicated: int
    stuck: int
    overlaps: int
    unknown_in_kestra: int
    attempts: Counter[int]
    stages: Counter[str]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck or self.overlaps)


def audit(run: Run) -> Audit:
    from executions.models import Execution

    tracking.set_faults(run.kestra, **tracking.NO_FAULTS)  # to read Kestra's list reliably
    in_kestra = tracking.submissions_in_kestra(run.kestra, "tracking", "quick")
    tokens = {e.token for e in run.submitted}
    rows = list(Execution.objects.filter(pk__in=[e.pk for e in run.submitted]))
    return Audit(
        lost=sum(1 for token in tokens if in_kestra.get(token, 0) == 0),
        duplicated=sum(1 for token in tokens if in_kestra.get(token, 0) > 1),
        stuck=sum(1 for row in rows if row.stage not in FINAL),
        overlaps=len(tracking.overlaps(tracking.holds(*run.workers))),
        unknown_in_kestra=len(set(in_kestra) - tokens),
        attempts=Counter(row.attempts for row in rows),
        stages=Counter(row.stage for row in rows),
    )


def report(run: Run, result: Audit, all_final: float | None, backend: str) -> None:
    retried = sum(n for attempts, n in result.attempts.items() if attempts > 1)
    drain = f"{run.drain:.1f} s" if run.drain is not None else "never"
    final = f"{all_final:.0f} s" if all_final is not None else "not within the time limit"
    rows = [
        ("submissions lost (no execution in Kestra)", str(result.lost)),
        ("submissions duplicated (more than one execution)", str(result.duplicated)),
        ("submissions stuck (not final at the end)", str(result.stuck)),
        ("two workers on one execution at the same time", str(result.overlaps)),
        ("executions in Kestra no submission asked for", str(result.unknown_in_kestra)),
        ("deliveries retried (attempts > 1)", f"{retried} of {len(run.submitted)}"),
        ("most attempts for one delivery", str(max(result.attempts, default=0))),
        ("final stages", ", ".join(f"{n} {s}" for s, n in result.stages.most_common())),
        (
            "time to drain the queue after Kestra came back",
            f"{drain} ({run.queued_at_return} queued at its return)",
        ),
        ("time until every submission was final", final),
        ("workers that exited by themselves (restarted)", str(len(run.exits))),
    ]
    print(f"\n{len(run.submitted)} submissions, {backend}, two workers at a time\n")
    print("| check | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for tail in run.exits:
        print(f"\nA worker exited by itself; its last lines:\n{tail}")
    print("\n" + ("PASS: nothing lost, duplicated or stuck." if result.ok else "FAIL"))


# --- set-up ----------------------------------------------------------------------------------


def _setup_django() -> str:
    """This process submits and audits; the database is the workers' too."""
    if not os.environ.get("DATABASE_URL"):
        shutil.rmtree(DATA_DIR, ignore_errors=True)  # a fresh SQLite file and broker folder
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PORTAL_DATA_DIR", str(DATA_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kestra_apps.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import logging

    import django

    django.setup()
    logging.getLogger("kombu").setLevel(logging.ERROR)  # "no hostname": the file broker
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"{engine} + {settings.CELERY_BROKER_URL.split(':', 1)[0]} broker"


def _app(kestra: str) -> Any:
    from django.conf import settings

    from apps_catalog.services import app_save_source
    from executions.kestra import client
    from executions.models import Execution
    from kestra_apps.celery import app as celery_app

    settings.KESTRA_URL = kestra
    client._versions.clear()
    celery_app.control.purge()
    app = app_save_source(source=tracking.app_yaml("quick"))[0]
    Execution.objects.filter(app=app).delete()  # an earlier run's, on a shared database
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=90.0, help="submissions arrive over")
    parser.add_argument("--timeout", type=float, default=420.0, help="for all to be final")
    args = parser.parse_args()
    # Stopped from outside: still stop the workers and the emulator (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backend = _setup_django()
    with tempfile.TemporaryDirectory(prefix="bench-resilience-") as tmp:
        folder = Path(tmp)
        for name, text in tracking.FLOWS.items():
            (folder / name).write_text(text)
        emulator, kestra = harness.start_emulator(folder)
        run = Run(kestra, folder)
        try:
            result, all_final = _play(run, args)
        finally:
            tracking.stop_workers(run.workers)
            harness.stop(emulator)
    report(run, result, all_final, backend)
    return 0 if result.ok else 1


def _all_final(run: Run, app: Any) -> bool:
    """Whether every submission is final; says where they stand every 10 s meanwhile."""
    run.supervise()
    if not run.events or time.monotonic() - run.started - run.events[-1][0] >= 10:
        run.log(progress(app))
    return _not_final(app) == 0


def _play(run: Run, args: argparse.Namespace) -> tuple[Audit, float | None]:
    app = _app(run.kestra)
    run.start_worker("first", beat=True)
    run.start_worker("second", beat=False)
    tracking.set_faults(run.kestra, **FAULTS)
    run.started = time.monotonic()
    run.log(
        f"faults on: {FAULTS['fail_rate']:.0%} of requests fail, "
        f"{FAULTS['fail_after_create_rate']:.0%} of creations fail after creating"
    )
    Scenario(run, app, args.submissions, args.seconds).play(args.timeout)
    try:
        tracking.wait_until(lambda: _all_final(run, app), args.timeout, "every submission final")
        all_final: float | None = time.monotonic() - run.started
        run.log("every submission final")
    except AssertionError:
        all_final = None
        run.log(f"{_not_final(app)} submissions not final after {args.timeout:.0f} s")
    return audit(run), all_final


if __name__ == "__main__":
    sys.exit(main())
