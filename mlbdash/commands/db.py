"""``mlbdash db``: back up and check the database (safe while ``mlbdash ingest`` runs).

``db backup FILE`` takes a consistent copy with SQLite's online backup; ``db check`` runs the
integrity check and reports the schema version, sizes and counts, with ``--vacuum`` to
compact the file and ``--verify`` to rebuild every stored feed version. Exit 0 when all is
well, 1 when the check found a problem or the backup failed, 2 for usage errors and for a file
that is not a database this mlbdash can use (as from every command). ``db check`` opens the file
read-only; ``--vacuum`` refuses a database written by a newer mlbdash and leaves it untouched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from mlbdash.config import load_settings, settings_flags
from mlbdash.ingest.store.maintenance import CheckReport, backup_database, check_database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "db",
        help="back up and check the database",
        description="Database upkeep: online backup, integrity check, sizes, vacuum.",
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
    parser.set_defaults(run=lambda args: _help(parser))


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
