"""Where a page's time goes: py-spy samples a gunicorn worker while 20 clients load it.

    .venv/bin/pip install py-spy   # for the run only; not a dependency of the project
    .venv/bin/python bench/profile.py [--page app|execution|live] [--seconds 15]

The set-up of bench/pages.py (emulator, data request app, a running execution with 40 log
lines) under gunicorn with ONE worker, so that every sample is a request of that page.
Prints, of the samples taken inside requests, the share in the project's functions and in
Django's main phases (each with what it called) and in each package's own code; keeps the
collapsed stacks in var/bench-profile/<page>.txt for a flame graph (speedscope.app,
flamegraph.pl).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.loadgen import hammer  # noqa: E402
from bench.pages import _prepare, _urls, bench_env  # noqa: E402

OUT = ROOT / "var" / "bench-profile"
PAGES = {
    "app": "app page (form), 20 clients",
    "execution": "execution page, 20 clients",
    "live": "live part, changed",
}


def record(pid: int, seconds: float, out: Path) -> None:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    command = [py_spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200"]
    command += ["-f", "raw", "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603


REQUEST = "WSGIHandler.__call__"
PROJECT = ("executions/", "accounts/", "apps_catalog/", "kestra_apps/", "api/")
# Django's phases worth naming next to the project's own functions.
PHASES = (
    "QuerySet._fetch_all",
    "SQLCompiler.as_sql",
    "CursorWrapper.execute",
    "Template.render",
    "SessionStore.load",
    "from_db_value",
)


def _package(frame: str) -> str:
    """`name (path/to/file.py:12)` -> its first two path parts, e.g. django/db."""
    path = frame[frame.find("(") + 1 : frame.rfind(":")]
    return "/".join(path.split("/")[:2]) or frame


def summary(stacks: Path, top: int = 30) -> str:
    """Of the samples taken inside a request: the share in each of the project's functions
    and Django's main phases (with what they called), and the share spent in each package's
    own code (the innermost frame)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        text, _, count = line.rpartition(" ")
        frames = text.split(";")
        if not any(REQUEST in frame for frame in frames):
            continue  # waiting for a connection, writing the answer
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[_package(frames[-1])] += samples
    named = [
        (frame, n)
        for frame, n in inclusive.most_common()
        if any(p in frame for p in PROJECT) or any(p in frame for p in PHASES)
    ]
    lines = [f"{total} samples inside requests. In each function and what it called:"]
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in named[:top]]
    lines.append("In each package's own code:")
    lines += [f"{n / total:6.1%}  {package}" for package, n in own.most_common(12)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", choices=sorted(PAGES), default="execution")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{args.page}.txt"
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as data_dir:
        emulator, kestra_url = harness.start_emulator(ROOT / "examples" / "flows")
        server = None
        try:
            env = bench_env(data_dir, kestra_url)
            uid, link = _prepare(env)
            server, base = harness.start_gunicorn(env, workers=1)
            url = _urls(base, uid, link)[PAGES[args.page]]
            hammer(url, clients=20, seconds=1)  # warm up
            worker = harness.children(server.pid)[0]
            load = threading.Thread(
                target=hammer, args=(url,), kwargs={"clients": 20, "seconds": args.seconds + 2}
            )
            load.start()
            record(worker, args.seconds, out)
            load.join()
        finally:
            if server is not None:
                harness.stop(server)
            harness.stop(emulator)
    print(summary(out, args.top))
    print(f"\ncollapsed stacks: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
