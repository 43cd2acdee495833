"""`mlbdash export validation`: the findings of the review queue as a CSV file."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbdash.commands.validate import parse_date
from mlbdash.config import load_settings, settings_flags
from mlbdash.errors import UsageError
from mlbdash.ingest.findings import SEVERITIES
from mlbdash.mlb.clock import SystemClock

if TYPE_CHECKING:
    from mlbdash.ingest.store.findings import FindingRecord

STATUSES = ("open", "acknowledged", "resolved", "ignored")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write stored data to a file (validation findings as CSV)",
        description="Export what mlbdash stored. 'validation' writes the findings (review "
        "queue) as CSV: UTF-8, a header row, RFC 4180 quoting, spreadsheet formulas "
        "neutralised.",
    )
    parser.add_argument("what", choices=("validation",), help="what to export")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="CSV file")
    parser.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    parser.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="one league date")
    parser.add_argument("--start", type=parse_date, metavar="YYYY-MM-DD", help="first date")
    parser.add_argument("--end", type=parse_date, metavar="YYYY-MM-DD", help="last date")
    parser.add_argument(
        "--severity",
        choices=SEVERITIES,
        help="this level and worse (warning: errors and warnings)",
    )
    parser.add_argument("--status", choices=STATUSES, help="only findings with this status")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.date is not None and (args.start is not None or args.end is not None):
        raise UsageError("give --date or --start/--end, not both")
    start: date | None = args.date if args.date is not None else args.start
    end: date | None = args.date if args.date is not None else args.end
    if start is not None and end is not None and start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    from mlbdash.ingest.validator.export import ExportError, export_findings_csv

    out: Path = args.out
    if out.exists() and not out.is_dir() and not args.force:
        # Checked before reading the database, so a refused export does no work.
        raise ExportError(f"{out} already exists; use --force to overwrite it")
    settings = load_settings(settings_flags(args, "db_path"))
    db_path = settings.resolved_db_path()
    if not db_path.is_file():
        raise UsageError(f"no database at {db_path}; give --db")
    rows = asyncio.run(
        _rows(db_path, start=start, end=end, severity=args.severity, status=args.status)
    )
    count = export_findings_csv(rows, out, force=args.force)
    print(f"wrote {count} finding{'' if count == 1 else 's'} to {args.out}")
    return 0


async def _rows(
    db_path: Path,
    *,
    start: date | None,
    end: date | None,
    severity: str | None,
    status: str | None,
) -> list[FindingRecord]:
    from mlbdash.ingest.store import Store, StoreError
    from mlbdash.ingest.store import findings as repo

    try:
        async with (
            Store.open(db_path, clock=SystemClock(), read_only=True) as store,
            store.read() as conn,
        ):
            return await repo.list_findings(
                conn, start=start, end=end, severity=severity, status=status
            )
    except StoreError as exc:
        raise UsageError(str(exc)) from None
