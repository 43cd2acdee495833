"""StoreError: what a user sees when the database cannot be used, as one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mlbdash.errors import MlbdashError


class StoreError(MlbdashError):
    """The database cannot be opened or written. The message names the file and the reason."""


class BadDatabaseFile(StoreError):
    """The file given is not a database this mlbdash can use: not SQLite, corrupt, not
    mlbdash's, from a newer mlbdash, not a regular file. Bad input: exit 2 from every command."""

    exit_code = 2


def describe_sqlite_error(path: Path, exc: sqlite3.Error, *, busy_timeout_s: float) -> StoreError:
    """Turn an sqlite3 error into a one-line StoreError naming the file and what to do."""
    text = str(exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if "locked" in text or name.startswith("SQLITE_BUSY"):
        return StoreError(
            f"database {path} is locked by another program (waited {busy_timeout_s:g} s); "
            "stop the other mlbdash or use another --db"
        )
    if "readonly" in text or name.startswith("SQLITE_READONLY"):
        return StoreError(
            f"database {path} is read-only ({text}); fix its permissions or use another --db"
        )
    if (
        "not a database" in text
        or "malformed" in text
        or name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
    ):
        return BadDatabaseFile(
            f"database {path} is corrupt or not an SQLite file ({text}); "
            "move it aside to start a new one"
        )
    if "unable to open" in text or name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"cannot open database {path} ({text})")
    if "full" in text or name.startswith("SQLITE_FULL"):
        return StoreError(f"cannot write database {path}: disk full")
    return StoreError(f"database {path}: {text}")
