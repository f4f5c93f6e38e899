"""Watched executions followed through Kestra's event streams (`manage.py follow_executions`)
instead of polled, and polling taking over when a stream is cut, when Kestra restarts and
when Kestra does not stream: nothing lost, nothing stalls. Real follower and Celery worker
processes, the emulator over HTTP in both dialects, the database of the tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from executions import services
from executions.models import Execution
from tests.tracking import (
    NO_FAULTS,
    FollowerProcess,
    Hold,
    TrackingWorker,
    holds,
    overlaps,
    set_faults,
    stop_workers,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FLOW = """
id: followed
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
    duration: PT3S
  - id: value
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name | upper }}"
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: "Bye {{ inputs.name }}"
outputs:
  - id: shout
    type: STRING
    value: "{{ outputs.value.value }}"
"""

APP = """
id: track_followed
type: io.kestra.plugin.ee.apps.Execution
displayName: Followed
namespace: tracking
flowId: followed
access: PUBLIC
"""

# Streams dropped or refused are tried again soon, so that the scenarios run in seconds.
FOLLOWER_ENV = {"FOLLOW_RETRY_SECONDS": "0.5", "FOLLOW_RETRY_MAX_SECONDS": "2"}


@dataclass
class Kestra:
    """An emulator on a port of its own that the test can restart."""

    emulator: object
    server: object
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart(self, down_for: float) -> None:
        from kestra_emulator.server import start_in_thread, stop_in_thread

        stop_in_thread(self.server)
        time.sleep(down_for)
        self.server, _ = start_in_thread(self.emulator, port=self.port)


@pytest.fixture(scope="module", params=["1.3", "2.0"])
def kestra_server(request, tmp_path_factory) -> Iterator[Kestra]:
    from kestra_emulator.server import create_app, start_in_thread, stop_in_thread

    folder = tmp_path_factory.mktemp("following-flows")
    (folder / "tracking.followed.yml").write_text(FLOW)
    emulator = create_app(flows_dir=folder, dialect=request.param)
    server, base_url = start_in_thread(emulator)
    kestra = Kestra(emulator, server, int(base_url.rsplit(":", 1)[1]))
    yield kestra
    stop_in_thread(kestra.server)
    emulator.shutdown()


@pytest.fixture
def kestra(settings, kestra_server: Kestra) -> Iterator[Kestra]:
    from executions.kestra import client

    settings.KESTRA_URL = kestra_server.url
    client._versions.clear()
    set_faults(kestra_server.url, **NO_FAULTS, refuse_streams=0)
    requests.post(f"{kestra_server.url}/_emulator/reset", timeout=5)
    yield kestra_server
    set_faults(kestra_server.url, **NO_FAULTS, refuse_streams=0)


def _started(
    kestra: Kestra, folder: Path, **follower_env: str
) -> Iterator[tuple[TrackingWorker, FollowerProcess]]:
    """A Celery worker with the beat (delivery, polling) and the follower."""
    from kestra_apps.celery import app

    app.control.purge()
    worker = TrackingWorker("worker", kestra.url, beat=True, folder=folder)
    env = {**FOLLOWER_ENV, **follower_env}
    follower = FollowerProcess("follower", kestra.url, folder=folder, **env)
    started = [worker, follower]
    worker.start()
    follower.start()
    yield worker, follower
    stop_workers(started)


@pytest.fixture
def processes(kestra: Kestra, tmp_path) -> Iterator[tuple[TrackingWorker, FollowerProcess]]:
    yield from _started(kestra, tmp_path)


@pytest.fixture
def rarely_scanning(kestra: Kestra, tmp_path) -> Iterator[tuple[TrackingWorker, FollowerProcess]]:
    """The same, with the follower's own scan once a minute (after its first one)."""
    yield from _started(kestra, tmp_path, FOLLOW_SCAN_SECONDS="60")


@pytest.fixture
def counting_at_once(kestra: Kestra, tmp_path) -> Iterator[tuple[TrackingWorker, FollowerProcess]]:
    """The same, with the Kestra request counts (metrics) written at every request."""
    yield from _started(kestra, tmp_path, METRICS_FLUSH_SECONDS="0")


@pytest.fixture
def app():
    from apps_catalog.services import app_save_source

    return app_save_source(source=APP)[0]


def _submit_and_watch(app, name: str) -> Execution:
    execution = services.execution_submit(app=app, values={"name": name}, shown={})
    wait_until(
        lambda: Execution.objects.get(pk=execution.pk).kestra_id is not None,
        timeout=20,
        what="the delivery to Kestra",
    )
    return Execution.objects.get(pk=execution.pk)


def _watching(execution: Execution) -> Callable[[], None]:
    """What an open page does: mark the execution watched again and again."""

    def watch() -> None:
        services.execution_watch(execution=Execution.objects.get(pk=execution.pk))

    return watch


def _until(execution: Execution, what: str, check: Callable[[Execution], bool], timeout=30):
    watch = _watching(execution)

    def done() -> bool:
        watch()
        return check(Execution.objects.get(pk=execution.pk))

    return wait_until(done, timeout=timeout, what=what)


def _all_there(execution: Execution, name: str) -> None:
    """The final state, every log line and the outputs, as Kestra has them."""
    row = Execution.objects.get(pk=execution.pk)
    assert row.stage == "SUCCESS" and row.state == "SUCCESS"
    assert row.next_action_at is None, "final: nothing more to do"
    assert list(row.logs.order_by("position").values_list("message", flat=True)) == [
        f"Hello {name}",
        f"Bye {name}",
    ]
    assert row.outputs == {"shout": name.upper()}
    assert row.task_outputs["value"] == {"value": name.upper()}


def _of(found: list[Hold], execution: Execution, kind: str) -> list[Hold]:
    return [hold for hold in found if hold.execution_id == execution.pk and hold.kind == kind]


def _following(follower: FollowerProcess, execution: Execution) -> Callable[[], bool]:
    return lambda: bool(_of(holds(follower), execution, "follow"))


def test_a_watched_execution_is_followed_not_polled(kestra, processes, app):
    worker, follower = processes
    execution = _submit_and_watch(app, "ada")
    _until(execution, "the follower to follow it", lambda _: _following(follower, execution)())
    first_follow = min(hold.start for hold in _of(holds(follower), execution, "follow"))
    _until(execution, "its end", lambda row: row.stage == "SUCCESS")
    _all_there(execution, "ada")
    ended = f"follow end id={execution.pk} outcome=final"
    wait_until(lambda: ended in follower.tail(200), timeout=5, what=follower.tail(30))

    follows = _of(holds(follower), execution, "follow")
    polls_meanwhile = [h for h in _of(holds(worker), execution, "poll") if h.start > first_follow]
    assert polls_meanwhile == [], "a followed execution is not polled"
    assert len(follows) >= 2, "written as pushed: while it runs, and at its end"
    assert overlaps(holds(worker, follower)) == []


def test_an_execution_watched_before_its_delivery_is_followed_as_soon_as_it_is_delivered(
    kestra, rarely_scanning, app
):
    """The follower hears of the delivery on the live channel: it does not wait for its
    next scan (a minute away here) to follow what a page opened at submission watches."""
    worker, follower = rarely_scanning
    time.sleep(0.5)  # the follower's first scan is over
    execution = services.execution_submit(app=app, values={"name": "early"}, shown={})
    services.execution_watch(execution=execution)  # the page the visitor is sent to

    _until(
        execution,
        "the follower to follow it",
        lambda _: _following(follower, execution)(),
        timeout=10,
    )
    _until(execution, "its end", lambda row: row.stage == "SUCCESS")
    _all_there(execution, "early")
    assert overlaps(holds(worker, follower)) == []


def test_a_stream_cut_in_the_middle_is_caught_up_by_a_poll_then_followed_again(
    kestra, processes, app
):
    worker, follower = processes
    execution = _submit_and_watch(app, "cut")
    _until(execution, "the follower to follow it", lambda _: _following(follower, execution)())
    set_faults(kestra.url, cut_streams=True)
    cut_at = time.time()
    took = _until(execution, "its end after the cut", lambda row: row.stage == "SUCCESS")
    assert took < 15, "nothing stalls"
    _all_there(execution, "cut")

    found = holds(worker, follower)
    assert overlaps(found) == []
    assert [h for h in _of(found, execution, "poll") if h.start > cut_at], "polled after the cut"
    follows_after = [h for h in _of(found, execution, "follow") if h.start > cut_at]
    assert follows_after, "followed again once the stream could be opened again"
    assert "dropped" in follower.tail(200)


def test_kestra_restarted_while_an_execution_runs(kestra, processes, app):
    worker, follower = processes
    execution = _submit_and_watch(app, "restart")
    _until(execution, "the follower to follow it", lambda _: _following(follower, execution)())
    kestra.restart(down_for=1.5)
    back_at = time.time()
    _until(execution, "its end after the restart", lambda row: row.stage == "SUCCESS")
    assert time.time() - back_at < 15, "nothing stalls"
    _all_there(execution, "restart")
    assert overlaps(holds(worker, follower)) == []


@pytest.mark.parametrize("status", [404, 501])
def test_a_kestra_that_does_not_stream_is_polled(kestra, processes, app, status):
    worker, follower = processes
    set_faults(kestra.url, refuse_streams=status)
    execution = _submit_and_watch(app, "polled")
    _until(execution, "its end", lambda row: row.stage == "SUCCESS", timeout=20)
    _all_there(execution, "polled")
    found = holds(worker, follower)
    assert _of(found, execution, "follow") == [], "nothing was written from a stream"
    assert len(_of(found, execution, "poll")) >= 3, "watched: polled every second"
    assert "follow refused by Kestra" in follower.tail(200)


def test_the_follower_counts_its_streams_and_keeps_following(kestra, counting_at_once, app):
    """The streams it opens are counted in the request metrics, written from a thread: from
    the event loop, the write that was due stopped the process (Django refuses database
    calls there), every open stream with it."""
    from executions.models import KestraRequestCount

    worker, follower = counting_at_once
    execution = _submit_and_watch(app, "counted")
    _until(execution, "the follower to follow it", lambda _: _following(follower, execution)())
    _until(execution, "its end", lambda row: row.stage == "SUCCESS")
    _all_there(execution, "counted")
    assert follower.process is not None and follower.process.poll() is None, follower.tail(30)
    counted = KestraRequestCount.objects.filter(endpoint__startswith="follow_", status="200")
    assert set(counted.values_list("endpoint", flat=True)) == {"follow_execution", "follow_logs"}
