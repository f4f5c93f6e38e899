"""How many ``GET execution`` requests per second the Kestra emulator answers under load.

Run: ``.venv/bin/python bench/emulator.py [--duration 10] [--clients 20] [--executions 200]``

The emulator runs as the demo runs it (``python -m kestra_emulator`` in its own process) with
``--executions`` executions kept RUNNING by a long Sleep. ``--clients`` concurrent clients
then ask for those executions in turn for ``--duration`` seconds, each with a new connection
per request (the emulator's server closes every connection anyway; ``--keep-alive`` reuses
connections where the server allows it).

The same load generator is first pointed at a trivial server (the standard library's
threaded HTTP server answering a fixed JSON body of the same size): its number is what the
generator and this machine can do at all, so the ratio shows whether the emulator or the
generator is the limit. Everything stays on loopback and every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: this script never talks to another machine
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import Figure, add_json_argument, emit  # noqa: E402

MAX_DURATION_S = 60.0
STARTUP_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 10.0

# Long enough to outlast any measurement, so every execution stays RUNNING throughout.
FLOW = """\
id: hold
namespace: bench
tasks:
  - id: started
    type: io.kestra.plugin.core.log.Log
    message: started
  - id: hold
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10M
"""


@dataclass
class Result:
    """What one load generator process measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    connects: int = 0


@dataclass
class Summary:
    name: str
    requests: int
    errors: int
    connects_per_request: float
    rps: float
    p50_ms: float
    p95_ms: float


# --- helpers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_json(method: str, port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request(method, path, headers={"Content-Length": "0"} if method == "POST" else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_up(port: int, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if http_json("GET", port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on {HOST}:{port}{path}")


# --- the emulator ----------------------------------------------------------------------------


def start_emulator(flows_dir: Path, port: int) -> subprocess.Popen[bytes]:
    # Its per-request log goes nowhere, but is still written, as in the demo.
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "kestra_emulator",
            "--host",
            HOST,
            "--port",
            str(port),
            "--flows",
            str(flows_dir),
            "--dialect",
            "2.0",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port, "/_emulator/health")
    except RuntimeError:
        process.kill()
        raise
    return process


def create_executions(port: int, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        status, body = http_json("POST", port, "/api/v1/main/executions/bench/hold")
        if status != 200:
            raise RuntimeError(f"creating an execution answered {status}: {body[:200]!r}")
        ids.append(json.loads(body)["id"])
    return ids


def states_of(port: int, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for execution_id in ids:
        _status, body = http_json("GET", port, f"/api/v1/main/executions/{execution_id}")
        state = json.loads(body)["state"]["current"]
        counts[state] = counts.get(state, 0) + 1
    return counts


# --- the baseline server ---------------------------------------------------------------------


def serve_baseline(port: int, body: bytes) -> None:
    """A fixed JSON answer from the standard library's threaded server (HTTP/1.1 keep-alive)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return None

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# --- the load generator ----------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    port: int
    paths: list[str]
    start: float  # wall clock, shared by every process
    end: float
    keep_alive: bool


def _client(load: Load, offset: int, out: Result) -> None:
    """One client asking for the paths in turn until ``load.end``.

    By default it connects for each request, like the portal's ``get_client()`` called per
    operation. With keep-alive it reuses its connection for as long as the server keeps it
    open (Werkzeug's development server, which the emulator runs on, closes every one).
    """
    conn = http.client.HTTPConnection(HOST, load.port, timeout=REQUEST_TIMEOUT_S)
    headers = {} if load.keep_alive else {"Connection": "close"}
    time.sleep(max(0.0, load.start - time.time()))
    i = offset
    end = load.end
    while (now := time.time()) < end:
        out.connects += conn.sock is None  # http.client reconnects on its own when closed
        try:
            conn.request("GET", load.paths[i % len(load.paths)], headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        if not ok or not load.keep_alive:
            conn.close()
        done = time.time()
        if done <= end:
            if ok:
                out.latencies.append(done - now)
            else:
                out.errors += 1
        i += 1
    conn.close()


def _generator_process(job: tuple[Load, list[int]]) -> Result:
    """A process of client threads (several processes, so the generator's GIL is no limit)."""
    load, offsets = job
    results = [Result() for _ in offsets]
    threads = [
        threading.Thread(target=_client, args=(load, o, r), daemon=True)
        for o, r in zip(offsets, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, load.end - time.time()) + REQUEST_TIMEOUT_S + 5)
    merged = Result()
    for result in results:
        merged.latencies += result.latencies
        merged.errors += result.errors
        merged.connects += result.connects
    return merged


def hammer(name: str, port: int, paths: list[str], args: argparse.Namespace) -> Summary:
    """``args.clients`` clients spread over ``args.processes`` processes, for a fixed time."""
    duration = args.duration
    start = time.time() + 1.0  # every process started and waiting before the clock starts
    load = Load(port, paths, start, start + duration, keep_alive=args.keep_alive)
    offsets = [list(range(args.clients))[p :: args.processes] for p in range(args.processes)]
    jobs = [(load, o) for o in offsets if o]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(_generator_process, jobs)
    latencies = sorted(x for r in results for x in r.latencies)
    errors = sum(r.errors for r in results)
    if not latencies:
        return Summary(name, 0, errors, 0.0, 0.0, 0.0, 0.0)
    return Summary(
        name=name,
        requests=len(latencies),
        errors=errors,
        connects_per_request=sum(r.connects for r in results) / (len(latencies) + errors),
        rps=len(latencies) / duration,
        p50_ms=statistics.median(latencies) * 1000,
        p95_ms=latencies[int(len(latencies) * 0.95) - 1] * 1000,
    )


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=20, help="concurrent connections")
    parser.add_argument("--executions", type=int, default=200, help="executions kept running")
    parser.add_argument(
        "--processes", type=int, default=max(2, os.cpu_count() or 1), help="generator processes"
    )
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse connections the server keeps open (default: one connection per request)",
    )
    parser.add_argument("--min-rps", type=float, default=500.0, help="exit 1 below this")
    add_json_argument(parser)
    args = parser.parse_args(argv)
    args.duration = min(max(args.duration, 1.0), MAX_DURATION_S)
    args.processes = max(1, min(args.processes, args.clients))
    return args


def print_summary(summaries: list[Summary], args: argparse.Namespace, states: str) -> None:
    print(
        f"{dt.date.today().isoformat()}  nproc={os.cpu_count()}  clients={args.clients}  "
        f"connections={'keep-alive' if args.keep_alive else 'one per request'}  "
        f"generator processes={args.processes}  duration={args.duration:g}s  "
        f"executions={args.executions} ({states})"
    )
    print(
        f"{'server':<10} {'requests':>9} {'errors':>7} {'conn/req':>8} "
        f"{'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for s in summaries:
        print(
            f"{s.name:<10} {s.requests:>9} {s.errors:>7} {s.connects_per_request:>8.2f} "
            f"{s.rps:>8.0f} {s.p50_ms:>8.1f} {s.p95_ms:>8.1f}"
        )
    emulator, baseline = summaries
    ratio = emulator.rps / baseline.rps if baseline.rps else 0.0
    print(f"emulator / baseline: {ratio:.2f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as tmp:
        flows_dir = Path(tmp)
        (flows_dir / "bench.hold.yml").write_text(FLOW)
        port = free_port()
        emulator = start_emulator(flows_dir, port)
        try:
            ids = create_executions(port, args.executions)
            paths = [f"/api/v1/main/executions/{i}" for i in ids]
            time.sleep(0.5)  # past the start delay: every execution is RUNNING, in its Sleep
            sample = http_json("GET", port, paths[0])[1]
            emulated = hammer("emulator", port, paths, args)
            states = ", ".join(f"{n} {s}" for s, n in sorted(states_of(port, ids).items()))
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    baseline = measure_baseline(sample, paths, args)
    print_summary([emulated, baseline], args, states)
    if args.json:
        emit([figure(emulated, baseline, args)], args.json)
    return 0 if emulated.rps >= args.min_rps and not emulated.errors else 1


def figure(emulated: Summary, baseline: Summary, args: argparse.Namespace) -> Figure:
    errors = f", {emulated.errors} errors" if emulated.errors else ""
    return Figure(
        f"emulator: GET execution, {args.clients} clients, {args.executions} running:"
        " req/s (p50, p95)",
        f"{emulated.rps:,.0f} ({emulated.p50_ms:.1f} ms, {emulated.p95_ms:.1f} ms){errors}",
        f"stdlib HTTP server, fixed JSON: {baseline.rps:,.0f}",
        f"{emulated.rps / baseline.rps:.2f}x" if baseline.rps else "n/a",
        f"at least {args.min_rps:g} req/s",
        emulated.rps >= args.min_rps and not emulated.errors,
    )


def measure_baseline(body: bytes, paths: list[str], args: argparse.Namespace) -> Summary:
    port = free_port()
    server = multiprocessing.get_context("fork").Process(
        target=serve_baseline, args=(port, body), daemon=True
    )
    server.start()
    try:
        wait_until_up(port, "/")
        return hammer("baseline", port, paths, args)
    finally:
        server.terminate()
        server.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
