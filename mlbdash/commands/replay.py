"""``mlbdash replay serve``: recorded MLB data over HTTP in virtual time, with faults."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbdash import flags
from mlbdash.commands.validate import parse_date
from mlbdash.errors import UsageError
from mlbdash.mlb.dates import parse_iso
from mlbdash.replay import faults as faults_module
from mlbdash.replay.faults import FaultSpecError, parse_fault_spec
from mlbdash.replay.world import ReplayOptions

if TYPE_CHECKING:
    from mlbdash.replay.data import RecordedData

SERVE_DESCRIPTION = """\
Serve recorded MLB API responses as the real API would: a directory of recordings (--data),
the bundled demo (--demo), or a league date of an mlbdash archive (--db, or --data on a folder
written by 'mlbdash archive export'). An archive's versions are served exactly as stored, at
their stored timecodes: feed/live, timestamps, and diffPatch as each version came (its stored
blocks, or its whole feed when it was stored whole; --diffpatch-window does not apply)."""

# The fault syntax is written once, in the faults module's docstring; the help shows it as
# plain text (its reStructuredText double backticks would read as stray quotes).
_FAULT_SYNTAX = (faults_module.__doc__ or "").split("Spec syntax (``--faults``): ", 1)[1]
EPILOG = f"""\
The first line on stdout is the base URL to give mlbdash as --api-url. The server runs until
SIGINT or SIGTERM. Virtual time: GET <root>/replay/clock answers {{"now", "speed", "start"}}.
With --demo and no --faults, the demo's scripted trouble is served (see the README).

Fault spec (--faults):
{_FAULT_SYNTAX.split("Which fault", 1)[0].replace("``", "")}"""


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
        description=SERVE_DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--data", type=Path, help="recordings directory (schedule/, feed/, ...)")
    serve.add_argument(
        "--demo", action="store_true", help="serve the bundled demo slate, laid out for today"
    )
    serve.add_argument(
        "--db",
        dest="db_path",
        type=Path,
        metavar="PATH",
        help="serve a league date of this archive exactly as stored (see --date)",
    )
    serve.add_argument(
        "--date",
        type=parse_date,
        metavar="YYYY-MM-DD",
        help="with --db: the league date (default: the latest with a game under way)",
    )
    serve.add_argument(
        "--host", type=flags.host, default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=flags.port, default=0, help="port (default 0: any free port)")
    serve.add_argument(
        "--speed",
        type=flags.positive_seconds,
        default=1.0,
        help="virtual seconds per real second",
    )
    serve.add_argument(
        "--start",
        help="virtual start, ISO-8601 (default 30 min before 1st pitch; an archive: its "
        "first stored version)",
    )
    serve.add_argument(
        "--rebase-date",
        type=flags.league_date,
        help="move every game onto this date (YYYY-MM-DD)",
    )
    serve.add_argument("--faults", default="", help="fault spec, see below")
    serve.add_argument("--seed", type=int, default=0, help="fault seed (same seed, same faults)")
    serve.add_argument(
        "--clone", type=flags.count, default=0, metavar="N", help="add N cloned games"
    )
    serve.add_argument(
        "--clone-stagger",
        type=flags.seconds,
        default=15.0,
        help="virtual seconds between clone starts (a clone a day or more after its base is "
        "listed on that later date)",
    )
    serve.add_argument(
        "--diffpatch-window",
        type=flags.seconds,
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
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise UsageError("--speed must be a finite number above 0")
    try:
        spec = parse_fault_spec(args.faults)
    except FaultSpecError as exc:
        raise UsageError(f"--faults: {exc}") from None
    start: datetime | None = None
    if args.start:
        try:
            start = parse_iso(args.start)
            flags.check_date(start.date())
        except ValueError:
            raise UsageError(f"--start {args.start!r}: not an ISO-8601 instant") from None
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"--start {args.start!r}: {exc}") from None
    rebase: date | None = args.rebase_date
    fields: dict[str, Any] = {
        "speed": args.speed,
        "faults": spec,
        "seed": args.seed,
        "clones": args.clone,
        "clone_stagger": args.clone_stagger,
        "diffpatch_window": args.diffpatch_window,
    }
    given = (("--data", args.data), ("--demo", args.demo), ("--db", args.db_path))
    sources = [flag for flag, value in given if value]
    if len(sources) > 1:
        raise UsageError(f"give one of --data, --demo and --db, not {' and '.join(sources)}")
    if args.date is not None and args.db_path is None:
        raise UsageError("--date selects a league date of an archive: it goes with --db")
    if args.db_path is not None:
        if rebase is not None:
            raise UsageError(
                "--rebase-date: an archive is served at its stored timecodes; it cannot move"
            )
        if args.clone > 0:
            raise UsageError("--clone copies recorded final feeds; an archive is served as stored")
        if not args.db_path.is_file():
            raise UsageError(f"--db {args.db_path}: no database there")
        return ReplayOptions(data=args.db_path, start=start, **fields)
    if args.demo:
        from mlbdash.replay.demo import demo_server_options, demo_today

        options = demo_server_options(rebase or demo_today())
        fields.update(start=start or options.start)
        if not args.faults:
            # The demo's plan of trouble, unless other faults are asked for.
            del fields["faults"]
            fields["seed"] = options.seed if args.seed == 0 else args.seed
        return ReplayOptions(**{**options.__dict__, **fields})
    if args.data is None:
        raise UsageError("replay serve needs --data DIR, --demo or --db PATH")
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
    archive = (args.db_path, args.date) if args.db_path is not None else None
    return asyncio.run(_serve(options, args.host, args.port, archive))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _archived(db_path: Path, official_date: date | None) -> RecordedData:
    """A league date of the archive as replay data (the same that ``archive export`` writes)."""
    from mlbdash.commands.archive import read_day
    from mlbdash.ingest.store import Store, StoreError
    from mlbdash.mlb.clock import SystemClock
    from mlbdash.replay.data import archived_data

    try:
        async with Store.open(db_path, clock=SystemClock(), read_only=True) as store:
            day = await read_day(store, official_date)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"mlbdash: serving {day.official_date} of {db_path}: {len(day.games)} games, "
        f"{day.versions} stored versions",
        file=sys.stderr,
    )
    return archived_data(day.schedule, day.games)


async def _serve(
    options: ReplayOptions, host: str, port: int, archive: tuple[Path, date | None] | None
) -> int:
    from mlbdash.replay.server import start_replay_server

    recorded = await _archived(*archive) if archive is not None else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with start_replay_server(
            options=options, recorded=recorded, host=host, port=port
        ) as server:
            print(server.base_url, flush=True)
            await stop.wait()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
