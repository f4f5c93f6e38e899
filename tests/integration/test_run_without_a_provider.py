"""`make run` with no identity provider configured: the demo starts, and its admin logs in
with the password it printed, through the login form. Real processes, as `make run` starts
them (migrate, then `manage.py demo` with SECURE_COOKIES=false), on their own data folder
and ports."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_demo_runs_with_the_password_login_alone(tmp_path: Path) -> None:
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OIDC_", "LOCAL_LOGIN", "DATABASE_URL", "CELERY_BROKER_URL"))
    }
    web = f"127.0.0.1:{_free_port()}"
    env = {
        **kept,
        "PORTAL_DATA_DIR": str(tmp_path),
        "KESTRA_URL": f"http://127.0.0.1:{_free_port()}",
        "SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, timeout=120)
    demo = subprocess.Popen(  # noqa: S603
        [*manage, "demo", "--web", web],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    assert demo.stdout is not None
    threading.Thread(target=lambda: lines.extend(demo.stdout or ()), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not any("Ready in" in line for line in lines):
            assert demo.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        created = re.search(r"Demo admin created: admin / (\S+)", "".join(lines))
        assert created, "".join(lines)

        browser = requests.Session()
        page = browser.get(f"http://{web}/accounts/login/", timeout=10)
        assert 'name="password"' in page.text and "Sign in with" not in page.text
        answer = browser.post(
            f"http://{web}/accounts/login/",
            data={
                "username": "admin",
                "password": created.group(1),
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            timeout=10,
        )
        assert answer.url == f"http://{web}/apps/" and answer.status_code == 200
        assert '<span class="who">admin</span>' in answer.text
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
