"""CSV export of findings, for `mlbdash export validation` and the dashboard.

UTF-8 (no byte-order mark, so ``csv`` and pandas read the header as written), a header row,
RFC 4180 quoting from the ``csv`` module (CRLF row ends, quotes doubled).

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, tab
or carriage return as a formula, and messages and paths come from a remote API. Such cells get
a leading single quote. A cell that is a plain number ("-1", "+2.5") is left alone: it is data
(expected/actual runs, for example), a spreadsheet reads it as that number, and it cannot run.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from mlbdash.errors import MlbdashError
from mlbdash.ingest.store.findings import FindingRecord

COLUMNS: tuple[str, ...] = (
    "game_pk",
    "official_date",
    "matchup",
    "severity",
    "category",
    "rule",
    "path",
    "expected",
    "actual",
    "message",
    "status",
    "first_seen",
    "last_seen",
    "occurrences",
    "correction",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class ExportError(MlbdashError):
    """The export file cannot be written (exists without --force, or an unwritable path)."""

    exit_code = 2


def neutralise(cell: str) -> str:
    """The cell, prefixed with ' when a spreadsheet would read it as a formula."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise(str(value))


def finding_row(record: FindingRecord) -> list[str]:
    return [_cell(getattr(record, column)) for column in COLUMNS]


def export_findings_csv(rows: Iterable[FindingRecord], path: Path, *, force: bool = False) -> int:
    """Write the findings to ``path``; returns the number of data rows written.

    Never overwrites an existing file unless ``force``; the file appears whole or not at all
    (written next to it, then renamed). Raises ExportError (exit 2) with a one-line reason.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name for the CSV")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; use --force to overwrite it")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot write {path}: {folder} is not a folder")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)  # excel dialect: RFC 4180 quoting and CRLF
            writer.writerow(COLUMNS)
            for record in rows:
                writer.writerow(finding_row(record))
                count += 1
        if not force and path.exists():
            raise ExportError(f"{path} already exists; use --force to overwrite it")
        # mkstemp makes the file private (0600); a report is an ordinary file, so give it the
        # permissions the user's umask gives any new file.
        Path(tmp_name).chmod(0o666 & ~_umask())
        Path(tmp_name).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise
    return count


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
