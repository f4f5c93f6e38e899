"""Execution pages under ASGI (gunicorn with a uvicorn worker, as in production): a state
the worker saves reaches an open page's event stream at once over the live channel; with
the channel down the stream reads by itself and the final state still arrives; past the
caps a page's stream is refused (429) and the page asks /live/ instead; neither pages nor
open streams keep database connections.

Runs on the channels this machine has (tests/portal/test_live_channel.py: the table always,
PostgreSQL and Redis when DATABASE_URL and CELERY_BROKER_URL name them)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from accounts import policy
from apps_catalog.services import app_save_source
from executions.models import Execution
from kestra_apps.processes import database_url
from tests.conftest import AsgiSite, free_port
from tests.live_changes import save_state
from tests.portal.test_live_channel import channels
from tests.tracking import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

APP = """id: live_pages
type: io.kestra.plugin.ee.apps.Execution
displayName: Live pages
namespace: demo
flowId: data_request
access: PUBLIC
layout:
  - on: RUNNING
    blocks:
      - type: Markdown
        content: Working on it.
"""


def running(kestra_id: str) -> Execution:
    app = app_save_source(source=APP)[0]
    return Execution.objects.create(
        app=app, kestra_id=kestra_id, delivery="DELIVERED", state="RUNNING", stage="RUNNING",
        next_action_at=timezone.now(),
    )  # fmt: skip


class Watcher:
    """A browser's session on the execution page, then on its event stream."""

    def __init__(self, site: str, execution: Execution) -> None:
        self.http = requests.Session()
        path = f"{site}/apps/{execution.app.uid}/executions/{execution.kestra_id}/"
        page = self.http.get(f"{path}?link={policy.execution_link(execution)}", timeout=10)
        assert page.status_code == 200
        self.offered = "data-stream-url" in page.text
        self.version = re.search(r'data-version="(\w+)"', page.text).group(1)  # type: ignore[union-attr]
        self.stream_url = f"{path}stream/?v={self.version}"

    def open(self) -> requests.Response:
        return self.http.get(self.stream_url, stream=True, timeout=30)

    @staticmethod
    def events(response: requests.Response) -> Iterator[tuple[str, dict]]:
        name = ""
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                yield name, json.loads(line.removeprefix("data: "))


@pytest.mark.parametrize("channel", channels())
def test_a_saved_state_reaches_the_open_page_at_once(settings, asgi_site, channel):
    settings.LIVE_CHANNEL = channel
    # Reading by itself only every 5 s: what arrives sooner came over the channel.
    site = asgi_site(LIVE_CHANNEL=channel, API_STREAM_POLL_SECONDS="5")
    execution = running("livepage000000000001")
    watcher = Watcher(site, execution)
    assert watcher.offered
    stream = watcher.open()
    assert stream.status_code == 200 and stream.headers["Content-Type"] == "text/event-stream"
    events = watcher.events(stream)
    time.sleep(0.5)  # the stream waits: nothing changed yet

    delays = []
    for state in ("RUNNING", "SUCCESS"):
        saved = save_state(execution.pk, state)
        name, data = next(events)
        delays.append(time.time() - saved)
        assert name == "live"
    assert 'data-stage="SUCCESS"' in data["html"] and data["final"] is True
    assert max(delays) < 1.0, delays
    assert next(events, None) is None  # final: the stream ends


class Cable:
    """A TCP relay to Redis that can be cut, as a Redis that stops or a network that fails."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.server.accept()
                upstream = socket.create_connection(self.target)
                self.sockets += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def cut(self) -> None:
        self.server.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
                s.close()


REDIS = os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.skipif(not REDIS.startswith("redis://"), reason="needs CELERY_BROKER_URL=redis://")
def test_with_redis_cut_mid_way_the_final_state_still_arrives(settings, asgi_site):
    address = re.match(r"redis://([^:/]+):(\d+)(/\d+)?", REDIS)
    assert address
    cable = Cable((address.group(1), int(address.group(2))))
    channel = f"redis://127.0.0.1:{cable.port}{address.group(3) or ''}"
    settings.LIVE_CHANNEL = channel
    site = asgi_site(LIVE_CHANNEL=channel, API_STREAM_POLL_SECONDS="0.5")
    execution = running("livepage000000000002")
    watcher = Watcher(site, execution)
    events = watcher.events(watcher.open())
    saved = save_state(execution.pk, "RUNNING")
    assert next(events)[0] == "live" and time.time() - saved < 1.0  # over Redis

    cable.cut()
    saved = save_state(execution.pk, "SUCCESS")  # the message is lost: Redis is gone
    name, data = next(events)
    assert name == "live" and data["final"] and 'data-stage="SUCCESS"' in data["html"]
    assert time.time() - saved < 3.0  # read by the stream itself, every 0.5 s


def test_with_the_channel_unreachable_the_final_state_still_arrives(settings, asgi_site):
    channel = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    site = asgi_site(LIVE_CHANNEL=channel, API_STREAM_POLL_SECONDS="0.5")
    execution = running("livepage000000000003")
    watcher = Watcher(site, execution)
    events = watcher.events(watcher.open())
    saved = save_state(execution.pk, "SUCCESS")  # published elsewhere (settings): unheard
    name, data = next(events)
    assert name == "live" and data["final"] and time.time() - saved < 3.0


def test_past_its_share_of_streams_a_page_is_refused_and_asks_instead(asgi_site):
    site = asgi_site(API_STREAMS_PER_CLIENT="1")
    execution = running("livepage000000000004")
    watcher = Watcher(site, execution)
    first = watcher.open()
    assert first.status_code == 200
    refused = watcher.open()
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    live = watcher.http.get(watcher.stream_url.replace("stream/", "live/"), timeout=10)
    assert live.status_code == 204  # the page's fallback: the same version, nothing new
    first.close()


def test_a_stream_whose_time_is_up_asks_the_page_to_open_a_new_one(asgi_site):
    site = asgi_site(API_STREAM_SECONDS="1")
    execution = running("livepage000000000005")
    watcher = Watcher(site, execution)
    started = time.monotonic()
    events = list(watcher.events(watcher.open()))  # read to its end
    assert [name for name, _ in events] == ["reopen"]
    assert 1.0 <= time.monotonic() - started < 5.0
    again = watcher.open()  # as live.js does: a new stream from the version it shows
    assert again.status_code == 200
    again.close()


SITE_NAME = "live-pages-site"  # its connections' application name, on PostgreSQL


def database_connections(site: AsgiSite) -> int:
    """The connections to the test database the site's processes hold open now: on
    PostgreSQL those under its application name, on SQLite the descriptors on the file (one
    per connection)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [SITE_NAME]
            )
            return int(cursor.fetchone()[0])
    database = Path(connection.settings_dict["NAME"]).resolve()
    assert site.process is not None
    master = site.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    pids = [master, *map(int, children)]
    held = 0
    for pid in pids:
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                held += descriptor.resolve() == database
    return held


@pytest.fixture
def counted_site() -> Iterator[AsgiSite]:
    """The portal under ASGI whose database connections `database_connections` counts."""
    url = database_url()
    if url.startswith("postgres"):
        url += f"?application_name={SITE_NAME}"
    site = AsgiSite({"DATABASE_URL": url, "API_STREAMS_PER_CLIENT": "30"})
    site.start()
    yield site
    site.stop()


def test_pages_served_leave_no_database_connection_open(counted_site):
    execution = running("livepage000000000006")
    for _ in range(30):
        assert Watcher(counted_site.url, execution).offered
    # A closed connection's server process may take a moment to leave pg_stat_activity.
    wait_until(lambda: database_connections(counted_site) == 0, 3, "no connection held")


def test_open_page_streams_hold_no_database_connection_while_they_wait(counted_site):
    """Held for a stream's life, 100 open pages took every connection PostgreSQL allows by
    default, and the whole site with them."""
    executions = [running(f"livepage0000000001{n:02d}") for n in range(20)]
    watchers = [Watcher(counted_site.url, execution) for execution in executions]
    streams = [watcher.open() for watcher in watchers]
    assert [stream.status_code for stream in streams] == [200] * 20
    time.sleep(1.0)  # each stream has read once and waits
    # The live channel's reader, and one read at most.
    wait_until(lambda: database_connections(counted_site) <= 2, 3, "no connection held")

    saved = save_state(executions[-1].pk, "SUCCESS")
    name, data = next(Watcher.events(streams[-1]))
    assert name == "live" and data["final"] and time.time() - saved < 1.0
    for stream in streams:
        stream.close()
