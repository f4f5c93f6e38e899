"""One row of the `make bench` table, and how each benchmark hands its rows over.

Every benchmark script takes `--json PATH`: it then writes its figures there (a list of
`Figure` as JSON) for bench/run.py to gather into one table, besides printing them.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """A measured figure next to the baseline measured in the same run."""

    name: str
    measured: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, the figure is for information

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**not met**", None: ""}[self.met]


HEADER = (
    "| figure | measured | baseline (same run) | ratio | target | |\n"
    "| --- | ---: | ---: | ---: | --- | --- |"
)


def table(figures: Iterable[Figure]) -> str:
    rows = [
        f"| {f.name} | {f.measured} | {f.baseline} | {f.ratio} | {f.target} | {f.verdict} |"
        for f in figures
    ]
    return "\n".join([HEADER, *rows])


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="also write the figures there, as JSON")


def emit(figures: Sequence[Figure], path: Path | None) -> None:
    """Print the figures as a table; write them as JSON when run by bench/run.py."""
    print(table(figures), flush=True)
    if path is not None:
        path.write_text(json.dumps([asdict(f) for f in figures]))


def load(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text())]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
