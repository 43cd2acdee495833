"""``mlbdash replay serve``: recorded MLB data over HTTP in virtual time, with faults."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mlbdash.errors import UsageError
from mlbdash.replay import faults as faults_module
from mlbdash.replay.faults import FaultSpecError, parse_fault_spec
from mlbdash.replay.timeutil import parse_iso
from mlbdash.replay.world import ReplayOptions

EPILOG = f"""\
The first line on stdout is the base URL to give mlbdash as --api-url. The server runs until
SIGINT or SIGTERM. Virtual time: GET <root>/replay/clock answers {{"now", "speed", "start"}}.

Fault spec (--faults):
{faults_module.__doc__.split("Spec syntax (``--faults``): ", 1)[1].split("Which fault", 1)[0]}"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="serve recorded MLB data over HTTP (virtual time, faults)",
        description="Serve recorded MLB Stats API data over HTTP on loopback.",
    )
    sub = parser.add_subparsers(dest="replay_command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="run the replay server",
        description="Serve a directory of recorded MLB API responses as the real API would.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--data", type=Path, help="recordings directory (schedule/, feed/, ...)")
    serve.add_argument(
        "--demo", action="store_true", help="serve the bundled demo slate, laid out for today"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second")
    serve.add_argument("--start", help="virtual start, ISO-8601 (default 30 min before 1st pitch)")
    serve.add_argument("--rebase-date", help="move every game onto this date (YYYY-MM-DD)")
    serve.add_argument("--faults", default="", help="fault spec, see below")
    serve.add_argument("--seed", type=int, default=0, help="fault seed (same seed, same faults)")
    serve.add_argument("--clone", type=int, default=0, metavar="N", help="add N cloned games")
    serve.add_argument(
        "--clone-stagger", type=float, default=15.0, help="virtual seconds between clone starts"
    )
    serve.add_argument(
        "--diffpatch-window",
        type=float,
        default=300.0,
        help="virtual seconds after which diffPatch sends the whole feed (default 300)",
    )
    serve.set_defaults(run=run_serve)
    parser.set_defaults(run=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def options_from_args(args: argparse.Namespace) -> ReplayOptions:
    """ReplayOptions from parsed flags; bad values raise UsageError with one line."""
    if args.speed <= 0:
        raise UsageError("--speed must be positive")
    try:
        spec = parse_fault_spec(args.faults)
    except FaultSpecError as exc:
        raise UsageError(f"--faults: {exc}") from None
    start: datetime | None = None
    if args.start:
        try:
            start = parse_iso(args.start)
        except ValueError:
            raise UsageError(f"--start {args.start!r}: not an ISO-8601 instant") from None
    rebase: date | None = None
    if args.rebase_date:
        try:
            rebase = date.fromisoformat(args.rebase_date)
        except ValueError:
            raise UsageError(f"--rebase-date {args.rebase_date!r}: use YYYY-MM-DD") from None
    fields: dict[str, Any] = {
        "speed": args.speed,
        "faults": spec,
        "seed": args.seed,
        "clones": max(0, args.clone),
        "clone_stagger": args.clone_stagger,
        "diffpatch_window": args.diffpatch_window,
    }
    if args.demo:
        from mlbdash.replay.demo import demo_server_options, demo_today

        options = demo_server_options(rebase or demo_today())
        fields.update(start=start or options.start)
        return ReplayOptions(**{**options.__dict__, **fields})
    if args.data is None:
        raise UsageError("replay serve needs --data DIR (or --demo)")
    if not args.data.is_dir():
        raise UsageError(f"--data {args.data}: not a directory")
    return ReplayOptions(data=args.data, start=start, rebase_date=rebase, **fields)


def run_serve(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    if not _is_loopback(args.host):
        print(
            f"mlbdash: warning: binding {args.host}, not loopback: the replay server is "
            "reachable from other machines",
            file=sys.stderr,
        )
    return asyncio.run(_serve(options, args.host, args.port))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(options: ReplayOptions, host: str, port: int) -> int:
    from mlbdash.replay.server import start_replay_server

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with start_replay_server(options=options, host=host, port=port) as server:
            print(server.base_url, flush=True)
            await stop.wait()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
