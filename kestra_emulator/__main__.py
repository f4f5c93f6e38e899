"""``python -m kestra_emulator --host 127.0.0.1 --port 8080 --flows DIR``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .engine import DEFAULT_PORTAL_URL
from .server import DIALECTS, create_app, serve


def _basic_auth(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected user:password")
    return user, password


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("expected a number between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kestra_emulator", description="Emulate a Kestra OSS server's REST API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--flows", type=Path, required=True, help="folder of flow YAML files")
    parser.add_argument("--dialect", choices=DIALECTS, default="2.0")
    parser.add_argument("--basic-auth", type=_basic_auth, metavar="USER:PASSWORD")
    parser.add_argument("--storage", type=Path, help="folder for kestra:// files (default: temp)")
    parser.add_argument(
        "--namespace-files",
        type=Path,
        help="folder of namespace files, <namespace>/<path> (default: FLOWS/_files)",
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--fail-rate", type=_rate, default=0.0)
    parser.add_argument("--fail-after-create-rate", type=_rate, default=0.0)
    parser.add_argument(
        "--portal-url",
        default=DEFAULT_PORTAL_URL,
        help="where the portal serves apps: what appLink() points at",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not args.flows.is_dir():
        raise SystemExit(f"--flows {args.flows}: not a folder")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    emulator = create_app(
        flows_dir=args.flows,
        dialect=args.dialect,
        basic_auth=args.basic_auth,
        storage_dir=args.storage,
        portal_url=args.portal_url,
        namespace_files_dir=args.namespace_files,
    )
    emulator.faults.update(
        {
            "latency_ms": args.latency_ms,
            "fail_rate": args.fail_rate,
            "fail_after_create_rate": args.fail_after_create_rate,
        }
    )
    serve(emulator, args.host, args.port)


if __name__ == "__main__":
    main()
