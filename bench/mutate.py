"""Mutation testing of the modules that hold the rules: `make mutate [MODULE=path/to/module.py]`.

Runs mutmut 3 (configured in pyproject.toml, [tool.mutmut]) once over every module listed in
its `only_mutate`, or over the one given: one collection of which tests cover which function,
one clean run of those tests, then every mutant. Then prints per module the mutants killed out
of the total (by a test, or refused by mypy before any test ran), the score and the time its
mutants took, and names every mutant that was not killed (`.venv/bin/mutmut show NAME` prints
its diff). docs/testing.md keeps the scores and says why each remaining survivor is equivalent.

mutmut keeps its work in mutants/: the collection of which tests cover which function is made
once and reused; every run tests every mutant of the chosen modules again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"
TARGET = 90.0

# mutmut's exit codes of a mutant's test run, as its `results` command reads them.
_KILLED = {1, 3}
_TYPE_CHECK = {37}  # the mutated code fails mypy ([tool.mutmut] type_check_command): no test ran
_SURVIVED = {0}
_NO_TESTS = {5, 33}


@dataclass
class Score:
    module: str
    seconds: float
    killed: int = 0
    refused_by_mypy: int = 0
    total: int = 0
    survivors: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        caught = self.killed + self.refused_by_mypy
        return 100.0 * caught / self.total if self.total else 100.0


def modules() -> list[str]:
    """The modules that hold the rules: [tool.mutmut] only_mutate, the one list of them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(config["only_mutate"])


def mutant_pattern(module: str) -> str:
    """executions/throttle.py → executions.throttle.*, how mutmut names its mutants."""
    return module.removesuffix(".py").replace("/", ".") + ".*"


def not_killed(module: str) -> list[str]:
    """The module's mutants that the last run did not kill, by a test or by mypy."""
    meta = json.loads((ROOT / "mutants" / f"{module}.meta").read_text())
    caught = _KILLED | _TYPE_CHECK
    return sorted(name for name, code in meta["exit_code_by_key"].items() if code not in caught)


def run(names: list[str], children: int) -> float:
    """One mutmut run over the named mutants (patterns such as `executions.throttle.*`); its
    wall time in seconds. Naming them makes mutmut test each again rather than keep an
    earlier result."""
    started = time.monotonic()
    command = [str(MUTMUT), "run", "--max-children", str(children)]
    try:
        subprocess.run(command + names, cwd=ROOT, check=True)  # noqa: S603
    finally:
        remove_test_databases()
    return time.monotonic() - started


def migrate_template() -> None:
    """The SQLite database every mutant's test process starts from (tests/conftest.py,
    MUTATION_TEMPLATE), migrated once here rather than once per mutant."""
    data = os.environ.get("PORTAL_DATA_DIR")
    if not data or "DATABASE_URL" in os.environ:
        return
    template = Path(data) / "mutation_template.sqlite3"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
    for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603


def remove_test_databases() -> None:
    """Each mutant's process leaves its SQLite test database's -wal and -shm files behind."""
    data = os.environ.get("PORTAL_DATA_DIR")
    if data:
        for path in Path(data).glob("test_db_*.sqlite3*"):
            path.unlink(missing_ok=True)


def read_score(module: str) -> Score:
    """The module's results as mutmut recorded them; its time is the sum of its mutants' runs."""
    meta = json.loads((ROOT / "mutants" / f"{module}.meta").read_text())
    score = Score(module=module, seconds=sum(meta["durations_by_key"].values()))
    for name, exit_code in sorted(meta["exit_code_by_key"].items()):
        score.total += 1
        if exit_code in _KILLED:
            score.killed += 1
        elif exit_code in _TYPE_CHECK:
            score.refused_by_mypy += 1
        elif exit_code in _SURVIVED:
            score.survivors.append(name)
        elif exit_code in _NO_TESTS:
            score.untested.append(name)
        else:  # a timeout, a crash, or not run: not a kill either
            score.other.append(f"{name} (exit {exit_code})")
    return score


def report(scores: list[Score], wall: float) -> str:
    width = max(len(s.module) for s in scores)
    lines = [
        f"{'module':<{width}}  by tests + by mypy / total      %   mutant runs",
        "",
    ]
    for s in scores:
        mark = "" if s.percent >= TARGET else f"  below {TARGET:.0f}%"
        lines.append(
            f"{s.module:<{width}}  {s.killed:>8} + {s.refused_by_mypy:<7} / {s.total:<5} "
            f"{s.percent:5.1f}  {s.seconds / 60:5.1f} min{mark}"
        )
    lines.append(f"{'whole run (wall clock)':<{width}}  {'':>27} {'':5}  {wall / 60:5.1f} min")
    for s in scores:
        for title, names in (
            ("survived", s.survivors),
            ("no test covers it", s.untested),
            ("neither killed nor survived", s.other),
        ):
            if names:
                lines += ["", f"{s.module}: {title}", *(f"  {name}" for name in names)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", nargs="?", help="one of [tool.mutmut] only_mutate")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--again",
        action="store_true",
        help="test again only the mutants the last run left alive (once tests are written)",
    )
    args = parser.parse_args()
    listed = modules()
    if args.module and args.module not in listed:
        parser.error(f"{args.module} is not in [tool.mutmut] only_mutate: {', '.join(listed)}")
    migrate_template()
    chosen = [args.module] if args.module else listed
    if args.again:
        names = [name for module in chosen for name in not_killed(module)]
    else:
        names = [mutant_pattern(module) for module in chosen]
    wall = run(names, args.children) if names else 0.0
    scores = [read_score(module) for module in chosen]
    print()
    print(report(scores, wall))
    return 0 if all(s.percent >= TARGET for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
