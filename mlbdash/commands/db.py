"""``mlbdash db``: back up and check the database (safe while ``mlbdash ingest`` runs).

``db backup FILE`` takes a consistent copy with SQLite's online backup; ``db check`` runs the
integrity check and reports the schema version, sizes and counts, with ``--vacuum`` to
compact the file and ``--verify`` to rebuild every stored feed version; ``db audit`` compares
each game's stored versions with the server's list of versions. Exit 0 when all is well, 1
when the check found a problem (an audit gap) or the backup failed, 2 for usage errors and for
a file that is not a database this mlbdash can use (as from every command). ``db check`` opens
the file read-only; ``--vacuum`` refuses a database written by a newer mlbdash and leaves it
untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlbdash.config import Settings, load_settings, settings_flags
from mlbdash.errors import UsageError
from mlbdash.ingest.store.maintenance import CheckReport, backup_database, check_database
from mlbdash.mlb.dates import parse_api_date

if TYPE_CHECKING:
    from mlbdash.ingest.audit import AuditReport


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "db",
        help="back up and check the database",
        description="Database upkeep: online backup, integrity check, sizes, vacuum, audit.",
    )
    sub = parser.add_subparsers(dest="db_command", metavar="COMMAND")
    backup = sub.add_parser(
        "backup",
        help="copy the database to FILE (safe while ingest runs)",
        description="Copy the database to FILE with SQLite's online backup: one consistent "
        "snapshot, safe while 'mlbdash ingest' writes. The copy is a single self-contained "
        "file, checked before it replaces FILE.",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    backup.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    backup.set_defaults(run=run_backup)
    check = sub.add_parser(
        "check",
        help="integrity check, schema version, sizes and counts",
        description="Run SQLite's integrity check and report the schema version, file and "
        "table sizes and row counts. Exit 1 if a problem was found.",
    )
    check.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    check.add_argument(
        "--vacuum",
        action="store_true",
        help="rewrite the file compactly first (needs the database to itself: stop ingest)",
    )
    check.add_argument(
        "--verify",
        action="store_true",
        help="also rebuild every stored feed version (slower, read-only)",
    )
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")
    check.set_defaults(run=run_check)
    audit = sub.add_parser(
        "audit",
        help="compare each game's stored versions with the server's list of versions",
        description="Ask the server for each game's list of versions (feed/live/timestamps)\n"
        "and compare it with the stored versions: missing, extra, out-of-order and unreadable\n"
        "versions, and a game marked final whose Final is not stored. A game ingest met\n"
        "mid-game is archived from the present first and its earlier versions after: until\n"
        "they are all stored they are a gap ('history: N earlier versions not yet archived').\n"
        "Other versions before a game's first stored one (a game met already over keeps its\n"
        "final only) are counted as not archived, not as gaps. Read-only.",
        epilog=AUDIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    audit.add_argument("--api-url", dest="api_url", help="MLB Stats API base URL (or a replay's)")
    audit.add_argument("--config", type=Path, help="settings file (TOML)")
    which = audit.add_mutually_exclusive_group()
    which.add_argument("--date", help="the games of this league date, YYYY-MM-DD")
    which.add_argument("--game", type=int, metavar="PK", help="this game only")
    audit.add_argument("--json", action="store_true", help="print the audit as one JSON object")
    audit.set_defaults(run=run_audit)
    parser.set_defaults(run=lambda args: _help(parser))


AUDIT_EPILOG = """\
default: every game with a stored version.

exit codes:
  0  every audited game holds every version the server lists (from its first stored one)
  1  a gap: a version missing, extra, out of order or unreadable, a Final not stored, or a
     game the server could not be asked about
  2  usage error: no database at the path, bad --date
"""


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _db_path(args: argparse.Namespace) -> Path:
    return load_settings(settings_flags(args, "db_path")).resolved_db_path()


def run_backup(args: argparse.Namespace) -> int:
    result = backup_database(_db_path(args), args.file, force=args.force)
    print(
        f"backed up {result.source} to {result.target} "
        f"({result.bytes / 1e6:.1f} MB, schema {result.schema_version}, integrity ok)"
    )
    return 0


def run_check(args: argparse.Namespace) -> int:
    report = check_database(_db_path(args), vacuum=args.vacuum, verify=args.verify)
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), separators=(",", ":")) + "\n")
    else:
        write_report(report, sys.stdout)
    return 0 if report.ok else 1


def run_audit(args: argparse.Namespace) -> int:

    settings = load_settings(
        settings_flags(args, "db_path", "api_url"), config_file=getattr(args, "config", None)
    )
    db_path = settings.resolved_db_path()
    if not db_path.is_file():
        raise UsageError(f"no database at {db_path}")
    day = None
    if args.date is not None:
        try:
            day = parse_api_date(args.date)
        except ValueError as exc:
            raise UsageError(f"--date: {exc}") from None
    report: AuditReport = asyncio.run(_audit(settings, db_path, day, args.game))
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), separators=(",", ":")) + "\n")
    else:
        write_audit(report, sys.stdout)
    return 0 if report.gaps == 0 else 1


async def _audit(
    settings: Settings, db_path: Path, day: date | None, game_pk: int | None
) -> AuditReport:
    from mlbdash.ingest.audit import AuditReport, audit_game
    from mlbdash.ingest.client import MlbApiClient
    from mlbdash.ingest.store import Store
    from mlbdash.mlb.clock import SystemClock

    clock = SystemClock()
    async with (
        Store.open(db_path, clock=clock, read_only=True) as store,
        MlbApiClient.from_settings(settings, clock=clock) as client,
    ):
        if game_pk is not None:
            games = [game_pk]
        elif day is not None:
            games = sorted({e.game_pk for e in await store.schedule_for_date(day)})
        else:
            games = await store.games_with_versions()
        audits = [await audit_game(store, client, pk) for pk in games]
    return AuditReport(tuple(audits))


def write_audit(report: AuditReport, out: TextIO) -> None:
    if not report.games:
        out.write("no games to audit\n")
        return
    out.write(f"{'GAME':>8}  {'SERVER':>6}  {'STORED':>6}  {'EARLIER':>7}  AUDIT\n")
    for game in report.games:
        out.write(
            f"{game.game_pk:>8}  {game.server:>6}  {game.stored:>6}  {game.not_archived:>7}  "
            f"{game.describe()}\n"
        )
    clean = sum(1 for g in report.games if g.clean)
    out.write(f"\n{clean} of {len(report.games)} games complete; {report.gaps} gaps\n")
    met = sum(1 for g in report.games if g.not_archived)
    if met:
        # Not gaps, but a user asking for the whole game should know they are not there.
        out.write(
            f"{report.not_archived} earlier versions of {met} game{'s' * (met > 1)} not archived: "
            "met mid-game, archived from then on (EARLIER column)\n"
        )


def write_report(report: CheckReport, out: TextIO) -> None:
    integrity = "ok" if report.integrity == ["ok"] else f"{len(report.integrity)} problem(s)"
    out.write(f"database   {report.path}\n")
    out.write(f"integrity  {integrity}\n")
    for line in report.integrity if report.integrity != ["ok"] else []:
        out.write(f"  {line}\n")
    out.write(f"schema     {report.schema_version} (this mlbdash writes {report.schema_current})\n")
    out.write(
        f"size       {report.file_bytes / 1e6:.2f} MB file + {report.wal_bytes / 1e6:.2f} MB WAL; "
        f"{report.pages} pages of {report.page_size} B, {report.free_pages} free\n"
    )
    if report.vacuumed and report.bytes_before_vacuum is not None:
        out.write(
            f"vacuum     {report.bytes_before_vacuum / 1e6:.2f} MB -> "
            f"{report.file_bytes / 1e6:.2f} MB\n"
        )
    if report.versions_checked is not None:
        out.write(f"verified   {report.versions_checked} feed versions rebuilt\n")
    out.write(f"\n{'TABLE':20} {'ROWS':>10} {'SIZE':>12}\n")
    for table in report.tables:
        size = "-" if table.bytes is None else f"{table.bytes / 1e6:.2f} MB"
        out.write(f"{table.name:20} {table.rows:>10,} {size:>12}\n")
    if report.counts:
        out.write("\n" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts.items()))
        out.write("\n")
    for problem in report.problems:
        out.write(f"problem: {problem}\n")
