"""Database upkeep: online backup, integrity and size report, vacuum, archive verification.

These run on plain ``sqlite3`` connections of their own (not the ingest's aiosqlite one), so
they work while ``mlbdash ingest`` writes the same file: the database is in WAL mode, where a
reader never blocks the writer. Every failure is a ``StoreError`` with a one-line message.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlbdash.ingest.store.codec import gunzip_json
from mlbdash.ingest.store.database import unreadable_log, wal_is_empty
from mlbdash.ingest.store.errors import BadDatabaseFile, StoreError, describe_sqlite_error
from mlbdash.ingest.store.schema import APPLICATION_ID, SCHEMA_VERSION

BUSY_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class BackupResult:
    source: str
    target: str
    bytes: int
    schema_version: int
    integrity: str


@dataclass(frozen=True, slots=True)
class TableSize:
    name: str
    rows: int
    bytes: int | None
    """Bytes of the table and its indexes (None where SQLite lacks the dbstat table)."""


@dataclass(slots=True)
class CheckReport:
    path: str
    integrity: list[str]
    schema_version: int
    schema_current: int
    file_bytes: int
    wal_bytes: int
    page_size: int
    pages: int
    free_pages: int
    tables: list[TableSize]
    counts: dict[str, int]
    vacuumed: bool = False
    bytes_before_vacuum: int | None = None
    versions_checked: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.problems

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


@dataclass(frozen=True, slots=True)
class VersionCheck:
    versions: int
    games: int
    problems: list[str]


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
    """Open an existing database; never creates one (a typo must not make an empty file)."""
    if not path.exists():
        raise BadDatabaseFile(f"database {path} does not exist")
    if not path.is_file():
        raise BadDatabaseFile(f"database {path} is not a regular file")
    uri = f"{path.resolve().as_uri()}?mode={'rw' if write else 'ro'}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        if write:
            return conn
        try:
            # The first read opens the WAL index: this is where read-only media fail.
            conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchall()
            return conn
        except sqlite3.Error as exc:
            conn.close()
            if not isinstance(exc, sqlite3.OperationalError):
                raise
            if not wal_is_empty(path):
                raise unreadable_log(path.resolve().as_uri()) from None
        # No -shm can be made beside the file and no write-ahead log holds commits the file
        # lacks: the file alone is the database, readable as immutable.
        return sqlite3.connect(
            f"{uri}&immutable=1", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
    except sqlite3.Error as exc:
        raise describe_sqlite_error(path, exc, busy_timeout_s=BUSY_TIMEOUT_S) from None


@contextlib.contextmanager
def _errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise describe_sqlite_error(path, exc, busy_timeout_s=BUSY_TIMEOUT_S) from None


def _scalar(conn: sqlite3.Connection, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return None if row is None else row[0]


def _require_mlbdash(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version; refuses files that are not mlbdash databases."""
    version = int(_scalar(conn, "PRAGMA user_version"))
    app_id = int(_scalar(conn, "PRAGMA application_id"))
    if app_id != APPLICATION_ID:
        raise BadDatabaseFile(f"{path} is an SQLite database but not an mlbdash one")
    return version


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Copy ``source`` to ``target`` with SQLite's online backup; safe while ingest writes.

    The copy is one consistent snapshot (a single-step backup inside one read transaction,
    which in WAL mode does not hold up the writer), written to a temporary file beside
    ``target``, checked, switched to a self-contained rollback journal and then renamed into
    place, so a failed backup never leaves a half file or spoils an older backup.
    """
    source, target = source.expanduser(), target.expanduser()
    if target.exists() and not force:
        raise StoreError(f"{target} already exists; use --force to overwrite it")
    if target.exists() and not target.is_file():
        raise StoreError(f"{target} is not a regular file")
    with contextlib.suppress(OSError):
        if target.exists() and source.exists() and target.samefile(source):
            raise StoreError("the backup file is the database itself; choose another FILE")
    folder = target.parent
    if not folder.is_dir():
        raise StoreError(f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"folder {folder} is not writable")
    partial = folder / f".{target.name}.partial-{os.getpid()}"
    src = _connect(source, write=False)
    try:
        with _errors(source):
            version = _require_mlbdash(src, source)
            partial.unlink(missing_ok=True)
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                with _errors(target):
                    # pages=-1: the whole file in one step, i.e. one consistent snapshot. A
                    # step-wise backup would restart each time the ingest commits.
                    src.backup(dst, pages=-1)
                    # A backup is one file: no -wal beside it to forget when copying it away.
                    dst.execute("PRAGMA journal_mode = DELETE")
                    integrity = [str(r[0]) for r in dst.execute("PRAGMA quick_check")]
            finally:
                dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    if integrity != ["ok"]:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} failed its integrity check: {integrity[0]}")
    try:
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None
    return BackupResult(str(source), str(target), target.stat().st_size, version, "ok")


_COUNTS = {
    "games": "SELECT COUNT(*) FROM games",
    "games_final_stored": "SELECT COUNT(*) FROM games WHERE final_stored = 1",
    "feed_versions": "SELECT COUNT(*) FROM feed_versions",
    "feed_checkpoints": "SELECT COUNT(*) FROM feed_checkpoints",
    "schedule_snapshots": "SELECT COUNT(*) FROM schedule_snapshots",
    "requests": "SELECT COUNT(*) FROM requests",
    "findings_open": "SELECT COUNT(*) FROM findings WHERE status = 'open'",
    "alerts_firing": "SELECT COUNT(*) FROM alerts WHERE state = 'firing'",
}


def _table_sizes(conn: sqlite3.Connection) -> list[TableSize]:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    sizes: dict[str, int] | None = None
    try:
        # dbstat names each index separately; fold an index into its table.
        owner = {
            str(r[0]): str(r[1])
            for r in conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE name IS NOT NULL")
        }
        sizes = {}
        for name, used in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(str(name), str(name))
            sizes[table] = sizes.get(table, 0) + int(used)
    except sqlite3.OperationalError:
        sizes = None  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
    out = []
    for name in names:
        rows = int(_scalar(conn, f'SELECT COUNT(*) FROM "{name}"'))
        out.append(TableSize(name, rows, None if sizes is None else sizes.get(name, 0)))
    return out


def check_database(path: Path, *, vacuum: bool = False, verify: bool = False) -> CheckReport:
    """Integrity check, schema version, sizes and counts; ``vacuum`` rewrites the file compactly
    (needs the database to itself); ``verify`` rebuilds every stored feed version."""
    path = path.expanduser()
    if vacuum:
        # Read the schema version before opening for writing: a newer mlbdash's file is left
        # exactly as it is.
        probe = _connect(path, write=False)
        try:
            with _errors(path):
                found = _require_mlbdash(probe, path)
        finally:
            probe.close()
        if found > SCHEMA_VERSION:
            raise BadDatabaseFile(
                f"database {path} was written by a newer mlbdash (schema {found}, this version "
                f"knows {SCHEMA_VERSION}); not vacuuming it: use that mlbdash"
            )
    conn = _connect(path, write=vacuum)
    try:
        with _errors(path):
            version = _require_mlbdash(conn, path)
            problems: list[str] = []
            if version > SCHEMA_VERSION:
                problems.append(
                    f"schema {version} is newer than this mlbdash ({SCHEMA_VERSION}); upgrade"
                )
            elif version < SCHEMA_VERSION:
                problems.append(
                    f"schema {version} is older than this mlbdash ({SCHEMA_VERSION}); the next "
                    "ingest migrates it"
                )
            before = None
            if vacuum:
                before = path.stat().st_size + _size(path.with_name(path.name + "-wal"))
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("VACUUM")
                    # In WAL mode VACUUM writes to the log; move it into the file itself.
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        raise StoreError(
                            f"cannot vacuum {path} while another program (an ingest?) uses it; "
                            "stop it and try again"
                        ) from None
                    raise
            try:
                integrity = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
            except sqlite3.DatabaseError as exc:
                integrity = [f"integrity check stopped: {exc}"]
            counts: dict[str, int] = {}
            tables: list[TableSize] = []
            try:
                if version >= 1:
                    counts = {name: int(_scalar(conn, sql)) for name, sql in _COUNTS.items()}
                tables = _table_sizes(conn)
            except sqlite3.DatabaseError as exc:
                # A damaged file: report what the integrity check found rather than stop.
                problems.append(f"cannot count rows: {exc}")
            report = CheckReport(
                path=str(path),
                integrity=integrity,
                schema_version=version,
                schema_current=SCHEMA_VERSION,
                file_bytes=path.stat().st_size,
                wal_bytes=_size(path.with_name(path.name + "-wal")),
                page_size=int(_scalar(conn, "PRAGMA page_size")),
                pages=int(_scalar(conn, "PRAGMA page_count")),
                free_pages=int(_scalar(conn, "PRAGMA freelist_count")),
                tables=tables,
                counts=counts,
                vacuumed=vacuum,
                bytes_before_vacuum=before,
                problems=problems,
            )
            if verify and version >= 1 and report.ok:
                checked = _verify_versions(conn)
                report.versions_checked = checked.versions
                report.problems.extend(checked.problems)
    finally:
        conn.close()
    return report


def verify_versions(path: Path) -> VersionCheck:
    """Rebuild every stored version of every game, in log order, and compare each checkpoint
    with the feed rebuilt from the versions before it. Read-only."""
    path = path.expanduser()
    conn = _connect(path, write=False)
    try:
        with _errors(path):
            _require_mlbdash(conn, path)
            return _verify_versions(conn)
    finally:
        conn.close()


def _verify_versions(conn: sqlite3.Connection) -> VersionCheck:
    from mlbdash.mlb.patch import PatchError, apply_diff_blocks

    problems: list[str] = []
    versions = 0
    games = [int(r[0]) for r in conn.execute("SELECT DISTINCT game_pk FROM feed_versions")]
    conn.execute("BEGIN")
    try:
        for game_pk in games:
            rows = conn.execute(
                "SELECT v.id, v.timecode, v.kind, v.ops, c.feed FROM feed_versions v "
                "LEFT JOIN feed_checkpoints c ON c.version_id = v.id "
                "WHERE v.game_pk = ? ORDER BY v.id",
                (game_pk,),
            )
            # The rule the store rebuilds by: a diff applies to the version logged just before
            # it, and one whose ops were made for another base (a live diff logged amid a
            # backfilled history, the first piece of a backfill) carries its own checkpoint.
            # Such a checkpoint is held to its ops only when its base is at hand: the newest
            # version for a live diff. (Applying a backfilled piece to the newest version
            # reported sound history as a checkpoint that differs.)
            doc: dict[str, Any] | None = None  # the version logged just before, rebuilt
            newest: tuple[str, dict[str, Any]] | None = None
            previous: str | None = None
            logged: list[str] = []  # timecodes logged so far, sorted
            for _id, timecode, kind, ops, checkpoint in rows:
                versions += 1
                where = f"game {game_pk} version {timecode}"
                at = bisect.bisect_left(logged, timecode)
                base = logged[at - 1] if at else None
                in_order = previous is not None and previous == base
                try:
                    if kind == "diff" and checkpoint is None:
                        if doc is None:
                            problems.append(f"{where}: diff with no feed before it")
                            break
                        if not in_order:
                            problems.append(
                                f"{where}: diff logged after {previous}, not after the version "
                                f"before it in time ({base}), and without a checkpoint"
                            )
                            break
                        doc = apply_diff_blocks(doc, gunzip_json(ops))
                    elif checkpoint is not None:
                        stored = gunzip_json(checkpoint)
                        source = doc if in_order else None
                        if not in_order and newest is not None and newest[0] == base:
                            source = newest[1]
                        # Patched in place: the source is the base of no later version.
                        if (
                            kind == "diff"
                            and source is not None
                            and apply_diff_blocks(source, gunzip_json(ops)) != stored
                        ):
                            problems.append(f"{where}: checkpoint differs from the rebuilt feed")
                        doc = stored
                    else:
                        problems.append(f"{where}: full version without its checkpoint")
                        break
                except (PatchError, OSError, ValueError) as exc:
                    problems.append(f"{where}: does not rebuild ({exc})")
                    break
                if not isinstance(doc, dict):
                    problems.append(f"{where}: rebuilt feed is not an object")
                    break
                stamp = doc.get("metaData", {}).get("timeStamp")
                if stamp is not None and stamp != timecode:
                    problems.append(f"{where}: rebuilt feed says timeStamp {stamp}")
                if newest is None or timecode > newest[0]:
                    newest = (timecode, doc)
                logged.insert(at, timecode)
                previous = timecode
    finally:
        conn.execute("ROLLBACK")
    return VersionCheck(versions, len(games), problems)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
