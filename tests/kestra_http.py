"""An execution in the emulator, read and started over HTTP only, as Kestra's own clients
would: what the guard tests look at to say "Kestra moved on once" or "not at all"."""

from __future__ import annotations

import time
from typing import Any

import requests

VACATION = {
    "request.name": "Zebulon Quist",
    "request.start_date": "2027-01-04",
    "request.end_date": "2027-01-08",
}


def start(kestra: str, namespace: str, flow_id: str, inputs: dict[str, str]) -> str:
    response = requests.post(
        f"{kestra}/api/v1/main/executions/{namespace}/{flow_id}",
        files={key: (None, value) for key, value in inputs.items()},
        timeout=5,
    )
    response.raise_for_status()
    return str(response.json()["id"])


def execution(kestra: str, kestra_id: str) -> dict[str, Any]:
    response = requests.get(f"{kestra}/api/v1/main/executions/{kestra_id}", timeout=5)
    response.raise_for_status()
    return dict(response.json())


def history(kestra: str, kestra_id: str) -> list[str]:
    """The states the execution went through, in order."""
    return [h["state"] for h in execution(kestra, kestra_id)["state"]["histories"]]


def wait_for(kestra: str, kestra_id: str, states: set[str]) -> str:
    deadline = time.monotonic() + 15
    while (current := execution(kestra, kestra_id)["state"]["current"]) not in states:
        assert time.monotonic() < deadline, f"{kestra_id} never reached {states}: {current}"
        time.sleep(0.05)
    return str(current)


def start_paused(kestra: str, namespace: str, flow_id: str, inputs: dict[str, str]) -> str:
    kestra_id = start(kestra, namespace, flow_id, inputs)
    wait_for(kestra, kestra_id, {"PAUSED"})
    return kestra_id


def moved_on_once(kestra: str, kestra_id: str) -> bool:
    """Resumed exactly once: one pause, then one restart after it."""
    states = history(kestra, kestra_id)
    return (
        states.count("PAUSED") == 1
        and states.count("RESTARTED") == 1
        and (states.index("RESTARTED") > states.index("PAUSED"))
    )
