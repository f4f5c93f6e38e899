"""Fixtures shared by the portal's tests: the emulator over HTTP, a real Celery worker, apps."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import apprise.apprise as apprise_module
import pytest
import requests

from kestra_apps.processes import celery_worker_command, database_url
from tests.idp.provider import idp, idp_client, test_idp  # noqa: F401 - the test identity provider
from tests.personas import (  # noqa: F401 - the personas, as fixtures for every suite
    admin,
    anonymous,
    approver,
    grantee,
    manager,
    member,
    outsider,
    viewer,
)
from tests.tracking import TEST_PROCESS_ONLY, product_environ

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _fresh_apprise_pools() -> None:
    """Apprise sends through thread pools it keeps for the whole process. A process forked
    after it sent something (mutmut forks one per mutant, after running the tests once) has
    the pools without their threads: what a test sends waits for Apprise's time limit,
    over a minute, and is not sent. The child starts without pools; Apprise makes them again."""
    apprise_module._shared_executor = None
    apprise_module._shared_executor_lock = threading.Lock()
    apprise_module._coordinator_executor = None
    apprise_module._coordinator_executor_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_apprise_pools)


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """The translations as the portal reads them: .mo files compiled from locale/*.po."""
    from django.core.management import call_command

    call_command("compile_catalogs", verbosity=0)


@pytest.fixture(autouse=True)
def _portal_language() -> None:
    """Every test starts in the portal's language: a request in French leaves French active
    in the thread, and a later test (in mutmut's order, say) would read its messages in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_settings(settings) -> None:
    """Tests submit many forms and checks of their values from one address (the limits have
    tests of their own), and make many users, whose slow password hashing is no subject of
    theirs."""
    settings.SUBMISSION_RATE_LIMIT = "0/m"
    settings.VALIDATE_RATE_LIMIT = "0/m"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Counts of requests to Kestra are written by a scrape, not by whichever test happens to
    # call Kestra when the interval runs out (tests of the client use no database).
    settings.METRICS_FLUSH_SECONDS = float("inf")
    # A thumbnail read (or found missing) in one test is not another test's.
    forget_thumbnails()


def forget_thumbnails() -> None:
    """Empty the thumbnails' cache, and nothing else: with CACHE_URL it shares a Redis
    database (maybe the broker's) with other keys, which a clear() would flush too."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["thumbnails"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database per mutant: `make mutate` runs mutants side by side, each in a forked
    process that would otherwise create and delete the same SQLite file (or PostgreSQL
    database) as its neighbours."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    from django.conf import settings

    for database in settings.DATABASES.values():
        test = database.setdefault("TEST", {})
        if not database["ENGINE"].endswith("sqlite3"):
            test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{os.getpid()}"
        elif test.get("NAME"):  # a file; without a name, SQLite tests run in memory
            path = Path(test["NAME"])
            test["NAME"] = str(path.with_name(f"{path.stem}_{os.getpid()}{path.suffix}"))
            template = path.with_name(MUTATION_TEMPLATE)
            if template.exists():
                shutil.copyfile(template, test["NAME"])


# A database migrated once by `make mutate` (bench/mutate.py), next to the test database.
MUTATION_TEMPLATE = "mutation_template.sqlite3"


@pytest.fixture(scope="session")
def django_db_keepdb(request: pytest.FixtureRequest) -> bool:
    """Keep the test database (pytest-django's --reuse-db), and under `make mutate` start
    each mutant's process from its copy of the migrated template rather than running every
    migration again: seconds per mutant, on hundreds of mutants."""
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        from django.conf import settings

        name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
        if name and Path(name).with_name(MUTATION_TEMPLATE).exists():
            return True
    return bool(request.config.getvalue("reuse_db"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `make mutate`, run the tests in the order mutmut gives them, the quickest first,
    and for a mutant the permission matrices last.

    pytest-django moves every test that uses no database to the end; a mutant that a
    millisecond test kills would otherwise wait for each database test that covers it. The
    matrices' several hundred cells reach almost every function through the views, at a
    fraction of a second each: among the quickest, they would hold back by a minute a mutant
    that a direct test kills. (Only for a mutant: mutmut runs the whole suite, then the clean
    run, in its own process; with the matrices ending the first, the second's first test found
    no permissions in its new database.)"""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    order = {arg: index for index, arg in enumerate(config.args)}
    mutant = "__mutmut_" in os.environ["MUTANT_UNDER_TEST"]
    items.sort(
        key=lambda item: (
            mutant and item.path.name == "test_permission_matrix.py",
            order.get(item.nodeid, len(order)),
        )
    )


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """A Kestra emulator (2.0 dialect) serving the example flows, over real HTTP on loopback."""
    from kestra_emulator.server import create_app, start_in_thread

    emulator = create_app(flows_dir=EXAMPLES / "flows", dialect="2.0")
    server, base_url = start_in_thread(emulator)
    yield base_url
    server.shutdown()
    emulator.shutdown()


@pytest.fixture(scope="session")
def own_emulator(tmp_path_factory) -> Iterator[str]:
    """An emulator with flows the examples lack (tests/kestra_http.FLOWS), for the guard tests."""
    from tests import kestra_http

    with kestra_http.emulator_with_flows(tmp_path_factory.mktemp("flows")) as url:
        yield url


@pytest.fixture
def own_kestra(settings, own_emulator: str) -> str:
    """Point the portal at that emulator for this test."""
    settings.KESTRA_URL = own_emulator
    return own_emulator


@pytest.fixture
def kestra_calls(monkeypatch) -> Counter[str]:
    """Every request the portal makes to Kestra while the test runs, by method and path
    (`GET /executions/{id}`)."""
    calls: Counter[str] = Counter()
    original = requests.Session.request

    def counting(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[f"{method} {url.split('/api/v1/main', 1)[-1].split('?', 1)[0]}"] += 1
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counting)
    return calls


@pytest.fixture
def kestra(settings, emulator_url: str) -> str:
    """Point the portal at the emulator for this test."""
    from executions.kestra import client

    settings.KESTRA_URL = emulator_url
    client._versions.clear()
    return emulator_url


class Worker:
    """A `celery worker --beat` process on the test database and the configured broker."""

    def __init__(self, kestra_url: str) -> None:
        self.env = {
            **product_environ(),
            "DATABASE_URL": database_url(),
            "KESTRA_URL": kestra_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        from kestra_apps.celery import app

        app.control.purge()
        self.lines.clear()
        self.process = subprocess.Popen(  # noqa: S603
            celery_worker_command(beat=True, mingle_and_gossip=False),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + 60
        while not any(" ready." in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + "".join(self.lines[-40:]))
            time.sleep(0.1)

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker(kestra: str) -> Iterator[Worker]:
    worker = Worker(kestra)
    worker.start()
    yield worker
    worker.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AsgiSite:
    """The portal as the README says to run it in production (gunicorn, one uvicorn
    worker) on the test database, with `env` on top of this process's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**product_environ(), "DATABASE_URL": database_url(), "SECURE_COOKIES": "false"}
        self.env.update(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        command = [
            sys.executable, "-m", "gunicorn", "kestra_apps.asgi:application",
            "-k", "uvicorn_worker.UvicornWorker", "-w", "1", "-b", f"127.0.0.1:{self.port}",
            "--graceful-timeout", "1",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.url}/accounts/login/", timeout=5)
                return self.url
            except requests.RequestException:
                alive = self.process.poll() is None
                assert alive and time.monotonic() < deadline, "the site did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def asgi_site() -> Iterator[Callable[..., str]]:
    """Starts the portal under ASGI: `asgi_site(API_STREAMS_MAX="0", ...)` → its URL."""
    started: list[AsgiSite] = []

    def start(**env: str) -> str:
        site = AsgiSite(env)
        started.append(site)
        return site.start()

    yield start
    for site in started:
        site.stop()


@pytest.fixture
def data_request_app():
    return import_example("data_request")


def import_example(name: str):
    """Create the example app `name` (a file in examples/apps) as an admin would."""
    from apps_catalog.services import app_save_source

    app, _ = app_save_source(source=(EXAMPLES / "apps" / f"{name}.yml").read_text())
    return app


# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# live server fixture are still synchronous and safe here.
os.environ.setdefault(TEST_PROCESS_ONLY, "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
