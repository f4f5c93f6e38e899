"""The live channel: a state the worker saves wakes, within a fraction of a second, the
streams that watch that execution and no other; a poll that learnt nothing wakes nobody; a
channel that cannot be reached neither breaks the worker nor claims to be listening.

Runs on the channels this machine has: the "database" table always, PostgreSQL's
LISTEN/NOTIFY on PostgreSQL (DATABASE_URL), Redis pub/sub with CELERY_BROKER_URL=redis://."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.utils import timezone

from apps_catalog.services import app_save_source
from executions import live
from executions.models import Execution, LiveChange
from tests.conftest import free_port
from tests.live_changes import save_state

pytestmark = pytest.mark.django_db(transaction=True)  # the message goes out on commit

APP = """id: live_channel
type: io.kestra.plugin.ee.apps.Execution
displayName: Live channel
namespace: demo
flowId: data_request
access: PUBLIC
"""


def channels() -> list[str]:
    found = ["database"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        found.append("postgres")
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        found.append(os.environ["CELERY_BROKER_URL"])
    return found


def running(kestra_id: str) -> Execution:
    app = app_save_source(source=APP)[0]
    return Execution.objects.create(
        app=app, kestra_id=kestra_id, delivery="DELIVERED", state="RUNNING", stage="RUNNING",
        next_action_at=timezone.now(),
    )  # fmt: skip


def in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in the main thread for the rest of the session."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def listening(hub: live.Hub, body: Callable[[], Awaitable[None]]) -> None:
    """Run `body` once `hub` listens (within 5 s) in an event loop of its own."""

    async def main() -> None:
        async with hub.watching(None):
            deadline = time.monotonic() + 5
            while not hub.up:
                assert time.monotonic() < deadline, "the hub never listened"
                await asyncio.sleep(0.02)
            await body()

    in_own_loop(main())


@pytest.mark.parametrize("channel", channels())
def test_a_state_the_worker_saves_wakes_the_streams_watching_it(settings, channel):
    settings.LIVE_CHANNEL = channel
    watched, other = running("live00000000000000001"), running("live00000000000000002")
    hub = live.Hub()

    async def body() -> None:
        async with hub.watching(watched.pk) as mine, hub.watching(other.pk) as theirs:
            saved = await asyncio.to_thread(save_state, watched.pk, "SUCCESS")
            assert await mine.wait(2.0), "the stream watching it was not told"
            delay = time.time() - saved
            assert delay < 0.5, delay
            assert not await theirs.wait(0.3), "a stream watching another execution was woken"

    listening(hub, body)


def test_a_poll_that_learnt_nothing_new_tells_nobody(settings):
    settings.LIVE_CHANNEL = "database"
    watched = running("live00000000000000003")
    save_state(watched.pk, "RUNNING")  # the same stage, one more history entry: news
    before = LiveChange.objects.count()
    Execution.objects.filter(pk=watched.pk).update(next_action_at=timezone.now())
    save_state(watched.pk, "SUCCESS")
    assert LiveChange.objects.count() == before + 1
    assert LiveChange.objects.last().version == Execution.objects.get(pk=watched.pk).shown_version


def test_news_of_the_version_a_stream_already_shows_does_not_wake_it():
    async def body() -> None:
        waiter = live.Waiter()
        waiter.known = "abc"
        waiter.wake("abc")
        assert not await waiter.wait(0.05)
        waiter.wake("abd")
        assert await waiter.wait(0.05)
        waiter.wake("")  # a change of unknown version (a vote) always wakes it
        assert await waiter.wait(0.05)

    in_own_loop(body())


def test_a_channel_that_cannot_be_reached_neither_breaks_the_worker_nor_listens(settings, caplog):
    settings.LIVE_CHANNEL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    watched = running("live00000000000000004")
    save_state(watched.pk, "SUCCESS")  # the write-back still returns normally
    assert Execution.objects.get(pk=watched.pk).state == "SUCCESS"
    assert "live channel: cannot publish a change" in caplog.text
    hub = live.Hub()

    async def main() -> None:
        async with hub.watching(watched.pk):
            await asyncio.sleep(1.0)
            assert not hub.up

    in_own_loop(main())


def test_old_changes_are_deleted_from_the_table(settings):
    settings.LIVE_CHANNEL = "database"
    LiveChange.objects.create(execution_id=1)
    LiveChange.objects.update(created=timezone.now() - live.KEEP_ROWS * 2)
    for _ in range(100):
        live._send(2, "")
    assert not LiveChange.objects.filter(execution_id=1).exists()
