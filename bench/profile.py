"""Where a page's time goes: py-spy samples a gunicorn worker while 20 clients load it.

    .venv/bin/pip install py-spy   # for the run only; not a dependency of the project
    .venv/bin/python bench/profile.py [--page app|execution|live] [--seconds 15]

The set-up of bench/pages.py (emulator, data request app, a running execution with 40 log
lines) under gunicorn with ONE worker, so that every sample is a request of that page.
Prints the functions holding the most samples (inclusive: the function or anything it
called), and keeps the collapsed stacks in var/bench-profile/<page>.txt for a flame graph
(e.g. speedscope.app or flamegraph.pl).
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
    command += ["-f", "raw", "-o", str(out), "--nonblocking"]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603


def summary(stacks: Path, top: int = 30) -> str:
    """The frames present in the most samples (each counted once per sample)."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(frames.split(";")):
            inclusive[frame] += samples
    lines = [f"{total} samples; share of samples in each function or what it called:"]
    for frame, samples in inclusive.most_common(top):
        lines.append(f"{samples / total:6.1%}  {frame}")
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
            uid = _prepare(env)
            server, base = harness.start_gunicorn(env, workers=1)
            url = _urls(base, uid)[PAGES[args.page]]
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
