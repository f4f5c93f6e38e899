"""`manage.py worker_health` against a real worker on Redis: a control ping needs a broker
that broadcasts, which the file broker of `make run` does not (there it always says no)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kestra_apps.processes import celery_worker_command
from tests.conftest import ROOT
from tests.integration.test_tracking_crash import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_broker(tmp_path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(str(tmp_path))
    server.start()
    yield server.url
    server.stop()


def _health(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "worker_health", "--timeout", "1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_says_yes_while_a_worker_answers_and_no_once_it_stopped(redis_broker, tmp_path):
    env = {**os.environ, "CELERY_BROKER_URL": redis_broker, "PORTAL_DATA_DIR": str(tmp_path)}
    assert _health(env).returncode == 1  # nobody yet

    worker = subprocess.Popen(  # noqa: S603
        celery_worker_command(beat=False, hostname="probe@test", mingle_and_gossip=False),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if " ready." in line:
                break
        answered = _health(env, "--name", "probe@test")
        assert answered.returncode == 0, answered.stderr
        assert "probe@test" in answered.stdout
        assert _health(env, "--name", "other@test").returncode == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    stopped = _health(env)
    assert stopped.returncode == 1 and "no worker answered" in stopped.stderr
