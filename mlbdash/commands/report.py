"""``mlbdash report``: the daily report of a league date for the morning review, from the database.

Headless and offline: reads only the database, never the API.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from mlbdash.commands.validate import parse_date
from mlbdash.config import load_settings, settings_flags
from mlbdash.errors import MlbdashError, UsageError
from mlbdash.mlb.clock import Clock, SystemClock

FORMATS = ("text", "markdown", "json")

EPILOG = """\
what it shows:
  games by how they ended on the date (final, postponed, cancelled, suspended, unfinished)
  with matchup and score; coverage (final games stored over games played to a final);
  the SLA (poll success >= 99%, live freshness >= 99%: share of live game time in which the
  stored version was within two wait intervals of the server's, coverage = 100%) with pass
  or miss; findings by rule and review status; alerts fired during the league day; requests
  and bytes of the league day (06:00 ET to 06:00 ET). Times are on the [display] clock
  (Eastern by default, or this computer's zone with clock = "local"); JSON gives UTC instants.

default date:
  the most recent league date, not after today's, with a game that got under way (else the
  most recent date with games listed, else today's league date).

exit codes:
  0  report written (also for an off day the stored schedule confirms: it says so)
  1  nothing tracked for the date: the database has no schedule or games for it
  2  usage error: no database at the path, not an mlbdash database, bad --date
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="daily report of a league date from the database (text, markdown or JSON)",
        description=(
            "Summarise one league date from the database alone (no network): games, coverage,\n"
            "SLA, findings, alerts, requests and bytes. For the morning review: text for a\n"
            "terminal, markdown to paste into a team channel, JSON as one object."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--date", type=parse_date, metavar="YYYY-MM-DD", help="league date (default: see below)"
    )
    parser.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(settings_flags(args, "db_path"))
    return write_report(
        settings.resolved_db_path(), args.date, args.format, display=settings.display.clock
    )


def write_report(
    db_path: Path,
    official_date: date | None,
    fmt: str,
    *,
    clock: Clock | None = None,
    out: TextIO | None = None,
    display: str = "league",
) -> int:
    """Print the report of ``official_date`` (None: the default date); returns the exit code.
    Times are on the ``display`` clock (``[display] clock``).

    Raises UsageError (exit 2) when there is no database at ``db_path`` or it cannot be read
    as one, MlbdashError (exit 1) when the database holds nothing for the date.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if not db_path.is_file():
        # Checked first: opening would create an empty database at a mistyped path.
        raise UsageError(f"no database at {db_path}; give --db")
    text, day = asyncio.run(_report(db_path, official_date, fmt, clock or SystemClock(), display))
    if text is None:
        raise MlbdashError(f"nothing tracked for {day} in {db_path}: no schedule or games stored")
    (out or sys.stdout).write(text)
    return 0


async def _report(
    db_path: Path, official_date: date | None, fmt: str, clock: Clock, display: str
) -> tuple[str | None, date]:
    from mlbdash.ingest.report import build_report, default_date, render
    from mlbdash.ingest.store import Store, StoreError

    try:
        async with Store.open(db_path, clock=clock, read_only=True) as store:
            day = official_date or await default_date(store, clock.now())
            report = await build_report(store, day)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    if not report.tracked and not report.off_day:
        return None, day
    return render(report, fmt, display), day
