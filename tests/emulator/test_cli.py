"""``python -m kestra_emulator``: starts, says where it listens, serves the chosen dialect."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serves_the_flows_folder(flows_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "kestra_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--flows",
        str(flows_dir),
        "--dialect",
        "1.3",
        "--basic-auth",
        "admin:pw",
        "--latency-ms",
        "1",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line == f"Kestra emulator (dialect 1.3) listening on http://127.0.0.1:{port}"
        base = f"http://127.0.0.1:{port}"
        configs = requests.get(f"{base}/api/v1/configs", auth=("admin", "pw"), timeout=5)
        assert configs.json()["version"] == "1.3.14"
        faults = requests.get(f"{base}/_emulator/faults", timeout=5).json()
        assert faults["latency_ms"] == 1
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_cli_rejects_a_missing_flows_folder(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "kestra_emulator", "--flows", str(tmp_path / "nope")],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode != 0 and "not a folder" in result.stderr
