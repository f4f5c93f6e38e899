"""How long one render of a typical expression takes with `kestra_pebble`, against Jinja2
rendering the same template in the same run.

Run: ``.venv/bin/python bench/expressions.py [--rounds 2000]``

The templates are what apps' blocks and flows hold: a greeting, a task output's map key,
an input condition, a branch, a loop with a filter, arithmetic, a Markdown block. Each is
parsed once (kestra_pebble's cache, Jinja2's compiled template) and then rendered
`--rounds` times; the figure is the best of five runs' time per render, summed over the
templates. Jinja2 renders in the sandbox the portal and the emulator used before, with
each template written in Jinja's syntax where the two differ. The target: no slower than
2x Jinja2 per render.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jinja2.sandbox import SandboxedEnvironment  # noqa: E402

import kestra_pebble  # noqa: E402
from bench.report import Figure, add_json_argument, emit, ratio  # noqa: E402

TARGET = 2.0
CONTEXT: dict[str, Any] = {
    "inputs": {
        "name": "Ada",
        "n": 7,
        "resource_type": "Cloud VM",
        "datasets": ["stores", "sales", "staff"],
    },
    "outputs": {"reg": {"vals": {"ticket": "IT-42"}}},
    "execution": {"id": "7nXqSampleExecution1", "state": "SUCCESS", "startDate": "2025-06-02"},
    "trigger": None,
}
# (what it stands for, kestra_pebble's template, the same in Jinja2's syntax)
TEMPLATES = [
    ("greeting", "Hello {{ inputs.name }}!", "Hello {{ inputs.name }}!"),
    ("task output", "Ticket {{ outputs.reg.vals.ticket }}", "Ticket {{ outputs.reg.vals.ticket }}"),
    (
        "input condition",
        "{{ inputs.resource_type == 'Cloud VM' }}",
        "{{ (inputs.resource_type == 'Cloud VM') | lower }}",
    ),
    (
        "branch",
        "{% if inputs.n > 3 %}big{% else %}small{% endif %} run {{ execution.id }}",
        "{% if inputs.n > 3 %}big{% else %}small{% endif %} run {{ execution.id }}",
    ),
    (
        "loop with a filter",
        "{% for d in inputs.datasets %}- {{ d | upper }}\n{% endfor %}",
        "{% for d in inputs.datasets %}- {{ d | upper }}\n{% endfor %}",
    ),
    ("arithmetic", "{{ inputs.n * 2 + 1 }}", "{{ inputs.n * 2 + 1 }}"),
    (
        "coalescing default",
        "{{ trigger.date ?? execution.startDate }}",
        "{{ (trigger.date if trigger else none) or execution.startDate }}",
    ),
    (
        "markdown block",
        "## Request {{ execution.id }}\nStatus: **{{ execution.state | lower }}** "
        "for {{ inputs.name | upper }} ({{ inputs.datasets | length }} datasets)",
        "## Request {{ execution.id }}\nStatus: **{{ execution.state | lower }}** "
        "for {{ inputs.name | upper }} ({{ inputs.datasets | length }} datasets)",
    ),
]


def _best(call: Any, rounds: int) -> float:
    """Seconds per call, the best of five runs."""
    return min(timeit.repeat(call, number=rounds, repeat=5)) / rounds


def measure(rounds: int) -> tuple[float, float]:
    jinja = SandboxedEnvironment()
    pebble_total = jinja_total = 0.0
    for name, pebble_source, jinja_source in TEMPLATES:
        compiled = jinja.from_string(jinja_source)
        pebble_text = kestra_pebble.render(pebble_source, CONTEXT)
        jinja_text = compiled.render(CONTEXT)
        if pebble_text != jinja_text:
            raise SystemExit(f"{name}: the two engines disagree: {pebble_text!r} {jinja_text!r}")
        pebble = _best(lambda s=pebble_source: kestra_pebble.render(s, CONTEXT), rounds)
        other = _best(lambda t=compiled: t.render(CONTEXT), rounds)
        print(f"{name:20} {pebble * 1e6:8.1f} µs {other * 1e6:8.1f} µs  {pebble / other:.2f}x")
        pebble_total += pebble
        jinja_total += other
    return pebble_total, jinja_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    add_json_argument(parser)
    args = parser.parse_args()
    pebble, jinja = measure(args.rounds)
    figure = Figure(
        name=f"expressions: one render of {len(TEMPLATES)} typical templates (parsed once)",
        measured=f"{pebble * 1e6:.0f} µs",
        baseline=f"{jinja * 1e6:.0f} µs (Jinja2 sandbox)",
        ratio=ratio(pebble, jinja),
        target=f"≤ {TARGET:.0f}x Jinja2",
        met=pebble <= TARGET * jinja,
    )
    emit([figure], args.json)


if __name__ == "__main__":
    main()
