"""What the tracking scenarios share: their own emulator and flows, workers that can be
killed, and readers of what the workers logged. (No tests here; the scenario modules
import these fixtures and helpers.) The helpers live in tests/tracking.py, with which
`make resilience` runs the same scenarios at a larger scale."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from tests.tracking import (
    FLOWS,
    NO_FAULTS,
    WORKER_ENV,
    Hold,
    TrackingWorker,
    app_yaml,
    executions_in_kestra,
    holds,
    overlaps,
    set_faults,
    stop_workers,
    submissions_in_kestra,
    wait_until,
)

# Re-exported: the scenario modules import them from here.
__all__ = [
    "FLOWS",
    "NO_FAULTS",
    "WORKER_ENV",
    "Hold",
    "TrackingWorker",
    "app_yaml",
    "executions_in_kestra",
    "holds",
    "overlaps",
    "set_faults",
    "submissions_in_kestra",
    "wait_until",
]


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


@pytest.fixture
def tracking_kestra(settings, tracking_emulator: str) -> Iterator[str]:
    from executions.kestra import client

    settings.KESTRA_URL = tracking_emulator
    client._versions.clear()
    set_faults(tracking_emulator, **NO_FAULTS)
    requests.post(f"{tracking_emulator}/_emulator/reset", timeout=5)
    yield tracking_emulator
    set_faults(tracking_emulator, **NO_FAULTS)


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
    stop_workers(started)


@pytest.fixture
def quick_app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=app_yaml("quick"))[0]


@pytest.fixture
def slow_app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=app_yaml("slow"))[0]


def all_final(count: int) -> Callable[[], bool]:
    from executions.models import Execution

    def check() -> bool:
        rows = Execution.objects.filter(stage__in=["SUCCESS", "FAILURE", "ERROR"])
        return rows.count() == count

    return check
