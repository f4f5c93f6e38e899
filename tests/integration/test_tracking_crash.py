"""Nothing stuck: a worker killed with SIGKILL in the middle of polling, and the broker
(Redis) restarted while executions run. Real workers, real broker, the emulator over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from executions import services
from executions.models import Execution
from tests.integration import test_tracking_support as support
from tests.integration.test_tracking_support import (
    holds,
    overlaps,
    set_faults,
    submissions_in_kestra,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The shared fixtures, used by name below.
tracking_emulator = support.tracking_emulator
tracking_kestra = support.tracking_kestra
start_worker = support.start_worker
slow_app = support.slow_app


def _submit(app, count: int) -> list[Execution]:
    return [services.execution_submit(app=app, values={}, shown={}) for _ in range(count)]


def _watch_all() -> None:
    """As if everyone had their page open: each execution is polled by itself every second."""
    Execution.objects.update(watched_until=timezone.now() + timedelta(hours=1))


def _polling_in_flight(worker: support.TrackingWorker) -> bool:
    started = {
        line.split("claim=")[1].split()[0] for line in worker.lines if "tracking start" in line
    }
    ended = {line.split("claim=")[1].split()[0] for line in worker.lines if "tracking hold" in line}
    return any(" kind=DELIVERED " in line for line in worker.lines) and bool(started - ended)


def test_a_worker_killed_in_the_middle_of_polling_leaves_nothing_stuck(
    tracking_kestra, start_worker, slow_app
):
    killed = start_worker("doomed", beat=True)
    survivor = start_worker("survivor")
    _submit(slow_app, 20)
    wait_until(
        lambda: Execution.objects.filter(delivery="DELIVERED").count() == 20,
        timeout=20,
        what="20 deliveries",
    )
    _watch_all()
    # Slow answers keep polls in flight, so that the kill lands in the middle of one.
    set_faults(tracking_kestra, latency_ms=300)
    wait_until(lambda: _polling_in_flight(killed), timeout=10, what="a poll in flight")
    killed.kill()
    assert Execution.objects.filter(lease_until__gt=timezone.now()).exists(), "held when killed"
    assert Execution.objects.filter(stage="SUCCESS").count() < 20

    replacement = start_worker("replacement", beat=True)
    wait_until(
        lambda: Execution.objects.filter(stage="SUCCESS").count() == 20,
        timeout=40,
        what="20 successes after the replacement started",
    )
    assert not Execution.objects.filter(lease_until__gt=timezone.now(), claim="").exists()
    assert overlaps(holds(killed, survivor, replacement)) == []
    assert sorted(submissions_in_kestra(tracking_kestra, "tracking", "slow").values()) == [1] * 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A Redis of the test's own, on a port of its own, so restarting it disturbs nobody."""

    def __init__(self, folder: str) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(shutil.which("redis-server")),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.folder,
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_until(lambda: _answers(client), timeout=10, what="redis to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip(
            "the broker is not Redis (CELERY_BROKER_URL="
            f"{settings.CELERY_BROKER_URL!r}): there is no Redis to restart"
        )
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(str(tmp_path))
    server.start()
    yield server
    server.stop()


def test_executions_reach_their_final_stage_across_a_redis_restart(
    tracking_kestra, start_worker, slow_app, own_redis
):
    # The workers use the Redis of this test; submissions made here go to the usual broker
    # and nobody reads them: the hand-out of due work finds queued submissions in the database.
    first = start_worker("first", beat=True, CELERY_BROKER_URL=own_redis.url)
    second = start_worker("second", CELERY_BROKER_URL=own_redis.url)
    _submit(slow_app, 20)
    wait_until(
        lambda: Execution.objects.filter(stage="RUNNING").count() >= 10,
        timeout=20,
        what="executions running",
    )
    own_redis.stop()  # every queued and unacknowledged message is gone with it
    time.sleep(2)
    own_redis.start()

    def all_done() -> bool:
        # kombu 5.7 may end a worker whose connection dropped while it held messages
        # ("Unrecoverable error: AttributeError ... 'hostname'" in restore_unacked); in
        # production its supervisor starts it again, and so does this test.
        first.ensure_running()
        second.ensure_running()
        return Execution.objects.filter(stage="SUCCESS").count() == 20

    try:
        wait_until(all_done, timeout=60, what="20 successes after Redis came back")
    except AssertionError as exc:
        tails = f"--- first:\n{first.tail()}\n--- second:\n{second.tail()}"
        raise AssertionError(f"{exc}\n{tails}") from None
    assert overlaps(holds(first, second)) == []
    assert sorted(submissions_in_kestra(tracking_kestra, "tracking", "slow").values()) == [1] * 20
    assert os.environ.get("CELERY_BROKER_URL", "") != own_redis.url
