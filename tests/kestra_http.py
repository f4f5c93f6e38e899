"""An execution in the emulator, read and started over HTTP only, as Kestra's own clients
would: what the guard tests look at to say "Kestra moved on once" or "not at all"."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from kestra_emulator.server import create_app, start_in_thread

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


def resume(kestra: str, kestra_id: str, values: dict[str, str]) -> None:
    """Resume the paused execution in Kestra (2.x's path) with these onResume values."""
    response = requests.post(
        f"{kestra}/api/v1/main/executions/{kestra_id}/actions/resume",
        files={key: (None, value) for key, value in values.items()},
        timeout=5,
    )
    response.raise_for_status()


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


# Flows the example set lacks, for an emulator of the guard tests' own.
PASSPHRASE = "tangerine-walrus-4711"  # noqa: S105 - the value the tests look for
SIGNED_FLOW = f"""id: signed_approval
namespace: test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
        defaults: true
      - id: passphrase
        type: SECRET
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ outputs.wait.onResume.passphrase == '{PASSPHRASE}' }}}}"
    then:
      - id: signed
        type: io.kestra.plugin.core.log.Log
        message: "signed"
    else:
      - id: unsigned
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: "wrong passphrase"
"""
TWO_STEP_FLOW = """id: two_step
namespace: test
tasks:
  - id: first
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
        defaults: true
  - id: second
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
        defaults: true
"""
TIMED_FLOW = """id: timed_approval
namespace: test
inputs:
  - id: item
    type: STRING
    defaults: laptop
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1H
    behavior: CANCEL
    onResume:
      - id: approved
        type: BOOL
        defaults: true
"""
QUICK_FLOW = """id: quick_timeout
namespace: test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1S
    behavior: CANCEL
"""
LINK_FLOW = """id: link
namespace: test
tasks:
  - id: tell
    type: io.kestra.plugin.core.log.Log
    message: >-
      Decide here: {{ appLink() }} or start over at
      {{ appLink(appId='other', baseUrl=true) }}
"""
SEALED_FLOW = f"""id: sealed_order
namespace: test
inputs:
  - id: item
    type: STRING
  - id: passphrase
    type: SECRET
tasks:
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ inputs.passphrase == '{PASSPHRASE}' }}}}"
    then:
      - id: signed
        type: io.kestra.plugin.core.log.Log
        message: "signed"
    else:
      - id: unsigned
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: "wrong passphrase"
"""
GROUPED_FLOW = """id: grouped_approval
namespace: test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: decision
        type: FORM
        displayName: Your decision
        inputs:
          - id: approved
            displayName: Approve the purchase
            type: BOOL
            defaults: true
          - id: budget
            displayName: Budget code
            type: STRING
      - id: followup
        type: FORM
        displayName: Follow-up
        inputs:
          - id: note
            displayName: Note for the requester
            type: STRING
            required: false
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: >-
      budget {{ outputs.wait.onResume.decision.budget }},
      note {{ outputs.wait.onResume.followup.note ?? 'none' }}
"""
# A secret decided on at the pause, echoed by a task that ends after a second of work.
RELAY_FLOW = """id: relay
namespace: test
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: passphrase
        type: SECRET
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: two
  - id: work
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "said {{ outputs.wait.onResume.passphrase }}"
"""
FLOWS = {
    "test.relay.yml": RELAY_FLOW,
    "test.grouped_approval.yml": GROUPED_FLOW,
    "test.sealed_order.yml": SEALED_FLOW,
    "test.link.yml": LINK_FLOW,
    "test.signed_approval.yml": SIGNED_FLOW,
    "test.two_step.yml": TWO_STEP_FLOW,
    "test.timed_approval.yml": TIMED_FLOW,
    "test.quick_timeout.yml": QUICK_FLOW,
}


def app_on(flow_id: str, button: str = "Resume", extra: str = "") -> str:
    """A public app on one of FLOWS, whose pause shows its form and a resume button;
    `extra` is more YAML at the top level (an approval policy)."""
    return extra + (
        f"id: {flow_id}\n"
        "type: io.kestra.plugin.ee.apps.Execution\n"
        f"displayName: {flow_id}\n"
        "namespace: test\n"
        f"flowId: {flow_id}\n"
        "access: PUBLIC\n"
        "layout:\n"
        "  - on: PAUSE\n"
        "    blocks:\n"
        "      - type: ResumeExecutionForm\n"
        "      - type: ResumeExecutionButton\n"
        f"        text: {button}\n"
    )


@contextmanager
def emulator_with_flows(folder: Path) -> Iterator[str]:
    """An emulator over HTTP serving FLOWS (written to `folder`); yields its URL."""
    for name, text in FLOWS.items():
        (folder / name).write_text(text)
    emulator = create_app(flows_dir=folder, dialect="2.0")
    server, base_url = start_in_thread(emulator)
    try:
        yield base_url
    finally:
        server.shutdown()
        emulator.shutdown()
