"""Apps for the catalog and admin tests (the personas are tests/personas.py's)."""

from __future__ import annotations

import textwrap

APP_TYPE = "io.kestra.plugin.ee.apps.Execution"


def app_yaml(app_id: str, **extra: str) -> str:
    """A valid app on the emulator's demo.data_request flow; `extra` adds top-level YAML."""
    lines = [
        f"id: {app_id}",
        f"type: {APP_TYPE}",
        f"displayName: {extra.pop('displayName', app_id.replace('_', ' ').title())}",
        f"namespace: {extra.pop('namespace', 'demo')}",
        f"flowId: {extra.pop('flowId', 'data_request')}",
    ]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
