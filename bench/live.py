"""How fast a saved change reaches the browser, and what open streams cost the server.

    .venv/bin/python bench/live.py [--watched 20] [--rounds 5] [--streams 500] [--json PATH]

The portal runs as in production (gunicorn, one uvicorn worker) on a fresh SQLite database
with the embedded live channel (LIVE_CHANNEL=database). `--watched` execution pages are open
in Chromium; this process saves a new state of each in turn through the worker's lifecycle
code (tests/live_changes.py) and the pages note when their live part changed. A delay runs
from the commit to the page holding the new part. Baseline, same run: the same pages with
every stream refused, so they ask /live/ every LIVE_POLL_SECONDS as before. Then again with
a CPU burner on every core. Last, `--streams` execution streams are held open from raw
sockets: the server's memory and file descriptors, and a page's answer time for another
visitor, before and while they are open. Then end to end, as `make run` runs it: the
emulator, the portal, a Celery worker with its beat and the follower; `--watched` visitors,
each with the form open in Chromium, submit a flow changing stage six times in about five
seconds, one after the other, and land on its page; a delay runs from the date Kestra gives
a state (or from the page opening, for a state given before) to the page showing its stage.
A first submission, not counted, warms the processes up. Baseline, same run: the worker
alone, before the follower starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.pages import bench_env, migrate  # noqa: E402
from bench.report import Figure, add_json_argument, emit, ms, percentile  # noqa: E402

QUIET_TARGET, LOADED_TARGET = 0.3, 1.0

APP = """id: live_bench
type: io.kestra.plugin.ee.apps.Execution
displayName: Live bench
namespace: demo
flowId: data_request
access: PUBLIC
layout:
  - on: RUNNING
    blocks:
      - type: Markdown
        content: Working on it.
"""

RECORD = """
() => {
  window.__swaps = [];
  const live = document.getElementById('live');
  new MutationObserver(() => window.__swaps.push(Date.now() / 1000))
    .observe(live, {childList: true});
}
"""


def _burn() -> None:
    while True:
        pass


@contextlib.contextmanager
def burner(on: bool) -> Iterator[None]:
    """A busy loop on every core while inside, when `on`."""
    cores = os.cpu_count() or 1
    workers = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(cores)]
    if on:
        for worker in workers:
            worker.start()
    try:
        yield
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()


def setup(count: int) -> tuple[str, list[tuple[int, str]]]:
    """The app and `count` running executions: (pk, page path with its signed link)."""
    from django.utils import timezone

    from accounts import policy
    from apps_catalog.services import app_save_source
    from executions.models import Execution

    app = app_save_source(source=APP)[0]
    found = []
    for number in range(count):
        execution = Execution.objects.create(
            app=app, kestra_id=f"livebench{number:012d}", delivery="DELIVERED",
            state="RUNNING", stage="RUNNING", next_action_at=timezone.now(),
        )  # fmt: skip
        path = f"/apps/{app.uid}/executions/{execution.kestra_id}/"
        found.append((execution.pk, f"{path}?link={policy.execution_link(execution)}"))
    return app.uid, found


def _chromium(playwright: Any) -> Any:
    """Headless Chromium (CHROMIUM_PATH, else Debian's)."""
    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return playwright.chromium.launch(
        executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )


def state_delays(
    base: str, executions: list[tuple[int, str]], rounds: int, *, loaded: bool
) -> tuple[list[float], str]:
    """Delays from a commit to the page holding it, and how the pages were updated."""
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from executions.models import Execution
    from tests.live_changes import save_state

    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        pages = []
        for _, path in executions:
            # A visitor each: a browser opens at most six connections to one site over
            # HTTP/1.1, and each open stream holds one.
            page = browser.new_context().new_page()
            page.goto(base + path)
            page.evaluate(RECORD)
            pages.append(page)
        time.sleep(1.0)  # the streams are open and waiting
        mode = pages[0].locator("#live").get_attribute("data-updates") or "?"
        saved: list[list[float]] = [[] for _ in executions]
        with burner(loaded):
            for _ in range(rounds):
                for index, (pk, _path) in enumerate(executions):
                    # Due, and held by nobody: as the worker finds it.
                    Execution.objects.filter(pk=pk).update(
                        next_action_at=timezone.now(), claim="", lease_until=None
                    )
                    saved[index].append(save_state(pk, "RUNNING"))
                    time.sleep(0.05)
            time.sleep(3.0)  # the last ones arrive
        delays = []
        for index, page in enumerate(pages):
            swaps = page.evaluate("window.__swaps")
            for at in saved[index]:
                later = [swap for swap in swaps if swap >= at - 0.002]
                if later:
                    delays.append(max(0.0, later[0] - at))
                    swaps.remove(later[0])
        browser.close()
    return delays, mode


# Installed in every page before its own scripts: the stage the live part shows, noted at
# the page's first paint and at each change (the first note is when the page opened).
RECORD_STAGES = """
document.addEventListener('DOMContentLoaded', () => {
  const live = document.getElementById('live');
  if (!live) { return; }
  window.__shown = [];
  const note = () => {
    const stage = live.querySelector('[data-stage]');
    window.__shown.push([Date.now() / 1000, stage ? stage.dataset.stage : '']);
  };
  note();
  new MutationObserver(note).observe(live, {childList: true});
});
"""


def _stage_changes(snapshot: dict[str, Any]) -> list[tuple[float, str]]:
    """When Kestra's state history changed the stage a page shows: (Kestra's date, stage)."""
    from django.utils.dateparse import parse_datetime

    from executions.stages import stage_for

    changes: list[tuple[float, str]] = []
    states: list[str] = []
    for entry in snapshot.get("state", {}).get("histories") or []:
        states.append(str(entry.get("state")))
        stage = stage_for(delivery="DELIVERED", state=states[-1], history=states)
        date = parse_datetime(str(entry.get("date") or ""))
        if date is not None and (not changes or changes[-1][1] != stage):
            changes.append((date.timestamp(), stage))
    return changes


def _shown_after(changes: list[tuple[float, str]], shown: list[list[Any]]) -> list[float]:
    """For each change of stage after the first, in order: how long after Kestra's date (or
    after the page opened, for a change made before) the page first showed that stage (a
    change the page never showed is left out)."""
    delays, start = [], 0
    opened = shown[0][0]
    for date, stage in changes[1:]:
        for index in range(start, len(shown)):
            if shown[index][1] == stage and shown[index][0] >= date - 0.002:
                delays.append(max(0.0, shown[index][0] - max(date, opened)))
                start = index + 1
                break
    return delays


def _wait_until_ended(executions: Any) -> None:
    from tests.tracking import wait_until

    wait_until(
        lambda: not executions.exclude(stage="SUCCESS").exists(), 60, "the executions to end"
    )


def _submit(page: Any) -> None:
    """Send the form the page shows, as its visitor would, and land on the execution."""
    page.click("button.block[type=submit]")
    page.wait_for_url("**/executions/**")
    page.wait_for_function("window.__shown !== undefined")


def kestra_to_browser(base: str, app: Any, count: int, *, loaded: bool) -> list[float]:
    """Delays from the date Kestra gives each state to the page in Chromium showing its
    stage, for `count` visitors each submitting the seven-state flow's form and landing on
    its page (the worker delivers, the follower follows). Each visitor's browser is open on
    the form before the first submission, and a first submission warms the processes up."""
    from playwright.sync_api import sync_playwright

    from executions.models import Execution

    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        pages = []
        for _ in range(count + 1):
            # A visitor each, with motion reduced: the spinners of 20 headless pages would
            # be drawn on the server's own cores, where no visitor's browser runs.
            context = browser.new_context(reduced_motion="reduce")
            context.add_init_script(RECORD_STAGES)
            page = context.new_page()
            page.goto(f"{base}/apps/{app.uid}/")
            pages.append(page)
        _submit(pages[0])
        runs = Execution.objects.filter(app=app)
        warm_up = runs.latest("pk")
        _wait_until_ended(runs)
        with burner(loaded):
            for page in pages[1:]:
                _submit(page)
            measured = runs.filter(pk__gt=warm_up.pk)
            _wait_until_ended(measured)
            time.sleep(1.0)  # the last changes reach the pages
        delays = []
        for execution, page in zip(measured.order_by("pk"), pages[1:], strict=True):
            delays += _shown_after(
                _stage_changes(execution.snapshot), page.evaluate("window.__shown")
            )
        browser.close()
    return delays


async def _hold(
    host: str, port: int, path: str, opened: asyncio.Event, stop: asyncio.Event
) -> bool:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
    writer.write(request.encode())
    await writer.drain()
    status = await reader.readline()
    opened.set()
    await stop.wait()
    writer.close()
    return status.startswith(b"HTTP/1.1 200")


def open_streams(base: str, path: str, count: int, server_pid: int) -> list[Figure]:
    """Hold `count` streams open: the server's memory and descriptors, others' page times."""
    host, port = base.removeprefix("http://").split(":")
    page = f"{base}/apps/"

    def page_times() -> list[float]:
        times = []
        for _ in range(30):
            started = time.monotonic()
            requests.get(page, timeout=30)
            times.append(time.monotonic() - started)
        return times

    before_times = page_times()
    memory_before, fds_before = harness.tree_rss_mib(server_pid), harness.tree_fds(server_pid)

    async def main() -> tuple[int, list[float], float, int]:
        stop = asyncio.Event()
        events = [asyncio.Event() for _ in range(count)]
        tasks = [
            asyncio.create_task(_hold(host, int(port), path, events[i], stop)) for i in range(count)
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 120)
        await asyncio.sleep(1.0)
        memory, fds = harness.tree_rss_mib(server_pid), harness.tree_fds(server_pid)
        during = await asyncio.to_thread(page_times)
        stop.set()
        served = sum(await asyncio.gather(*tasks))
        return served, during, memory, fds

    served, during, memory, fds = asyncio.run(main())
    per_stream = (memory - memory_before) * 1024 / max(1, served)
    return [
        Figure(
            f"{count} open page streams: server memory (per stream)",
            f"{memory:.0f} MiB ({per_stream:.0f} KiB)",
            f"{memory_before:.0f} MiB before",
            f"{memory / memory_before:.2f}x",
            f"all {count} served",
            served == count,
        ),
        Figure(
            f"{count} open page streams: server file descriptors",
            f"{fds}",
            f"{fds_before} before",
            f"{fds / max(1, fds_before):.1f}x",
        ),
        Figure(
            f"another visitor's page while {count} streams are open: p50 (p95)",
            f"{ms(statistics.median(during))} ({ms(percentile(during, 0.95))})",
            f"{ms(statistics.median(before_times))} ({ms(percentile(before_times, 0.95))})",
            f"{statistics.median(during) / statistics.median(before_times):.2f}x",
            "≤ 2x",
            statistics.median(during) <= 2 * statistics.median(before_times),
        ),
    ]


def from_kestra(env: dict[str, str], data_dir: Path, count: int) -> list[Figure]:
    """Kestra's state date → the browser, end to end: the emulator, the portal (gunicorn), a
    Celery worker with its beat and the follower (`manage.py follow_executions`), as
    `make run` starts them. Baseline, same run: the worker alone (no follower), which polls
    what pages watch."""
    from apps_catalog.services import app_save_source
    from bench.following import _start_follower, _stop
    from bench.tracking import APP as FLOW_APP
    from bench.tracking import FLOWS, _start_worker

    flows = data_dir / "flows"
    flows.mkdir()
    (flows / "bench.steps.yml").write_text(FLOWS["bench.steps.yml"])
    emulator, kestra_url = harness.start_emulator(flows)
    server, base = harness.start_gunicorn({**env, "KESTRA_URL": kestra_url}, workers=1, asgi=True)
    worker = follower = None
    try:
        app = app_save_source(source=FLOW_APP.format(flow="steps"))[0]
        worker = _start_worker(kestra_url, data_dir)
        polled = kestra_to_browser(base, app, count, loaded=False)
        follower = _start_follower(kestra_url)
        quiet = kestra_to_browser(base, app, count, loaded=False)
        loaded = kestra_to_browser(base, app, count, loaded=True)
    finally:
        for process in (follower, worker):
            if process is not None:
                _stop(process)
        harness.stop(server)
        harness.stop(emulator)
    name = f"state delay, Kestra's state date → browser ({count} submissions, following)"
    without = "without the follower"
    return [
        delay_figure(name, quiet, polled, QUIET_TARGET, without),
        delay_figure(f"{name}, a CPU burner on every core", loaded, polled, LOADED_TARGET, without),
    ]


def delay_figure(
    name: str,
    delays: list[float],
    baseline: list[float],
    target: float,
    baseline_is: str = "polling /live/",
) -> Figure:
    p50, p95 = statistics.median(delays), percentile(delays, 0.95)
    base95 = percentile(baseline, 0.95)
    return Figure(
        f"{name}: p50 (p95), {len(delays)} changes",
        f"{ms(p50)} ({ms(p95)})",
        f"{ms(statistics.median(baseline))} ({ms(base95)}) {baseline_is}",
        f"{p95 / base95:.2f}x" if base95 else "",
        f"p95 ≤ {target:g} s",
        p95 <= target,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watched", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=500)
    add_json_argument(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-live-") as data_dir:
        env = bench_env(data_dir)
        env.pop("CELERY_BROKER_URL", None)
        env["LIVE_CHANNEL"] = "database"
        cap = str(args.streams + args.watched + 10)
        env.update(API_STREAMS_PER_CLIENT=cap, API_STREAMS_MAX=cap, API_STREAM_SECONDS="600")
        migrate(env)
        os.environ.update(env)
        # Playwright's sync API runs an event loop in this thread; the ORM calls are ours.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        import django

        django.setup()
        _, executions = setup(args.watched)

        figures: list[Figure] = []
        server, base = harness.start_gunicorn(env, workers=1, asgi=True)
        refusing, refused_base = harness.start_gunicorn(
            {**env, "API_STREAMS_MAX": "0"}, workers=1, asgi=True
        )
        try:
            polled, polled_mode = state_delays(refused_base, executions, args.rounds, loaded=False)
            assert polled_mode == "poll", polled_mode
            harness.stop(refusing)
            quiet, mode = state_delays(base, executions, args.rounds, loaded=False)
            assert mode == "stream", mode
            name = f"state delay, commit → browser ({args.watched} pages)"
            figures.append(delay_figure(name, quiet, polled, QUIET_TARGET))
            loaded, _ = state_delays(base, executions, args.rounds, loaded=True)
            figures.append(
                delay_figure(
                    "state delay with a CPU burner on every core", loaded, polled, LOADED_TARGET
                )
            )
            stream = executions[0][1].replace("/?", "/stream/?")
            figures += open_streams(base, stream, args.streams, server.pid)
            figures += from_kestra(env, Path(data_dir), args.watched)
        finally:
            harness.stop(refusing)
            harness.stop(server)
    emit(figures, args.json)


if __name__ == "__main__":
    main()
