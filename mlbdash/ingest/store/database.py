"""Store: one aiosqlite connection, its pragmas, migrations, and one transaction per update."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.store import feeds, games, requests, schedule
from mlbdash.ingest.store import findings as findings_store
from mlbdash.ingest.store.codec import gunzip_json
from mlbdash.ingest.store.errors import BadDatabaseFile, StoreError, describe_sqlite_error
from mlbdash.ingest.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from mlbdash.mlb.clock import Clock

T = TypeVar("T")


class Store:
    """The mlbdash database. Open it with ``async with Store.open(path, clock=...) as store``.

    Every public method is one transaction (writes) or one consistent read. Other modules may
    run their own statements through ``transaction()`` and ``read()``; both hold a lock so the
    statements of concurrent tasks never interleave on the shared connection.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        clock: Clock,
        *,
        checkpoint_every: int,
        compress_level: int,
        busy_timeout_s: float,
    ) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self.clock = clock
        self.checkpoint_every = checkpoint_every
        self.compress_level = compress_level
        self.busy_timeout_s = busy_timeout_s

    # -- opening -------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        path: Path,
        *,
        clock: Clock,
        checkpoint_every: int = feeds.CHECKPOINT_EVERY,
        compress_level: int = 3,
        busy_timeout_s: float = 5.0,
        read_only: bool = False,
    ) -> AsyncIterator[Store]:
        """Open (creating folder and file if needed) and migrate to the current schema.

        Raises StoreError, without changing the file, for a database from a newer mlbdash, a
        file that is not an mlbdash database, a read-only or locked database.

        ``read_only`` opens an existing database for reading alone (SQLite ``mode=ro``), so an
        archive on read-only media or in a read-only folder can be read; nothing is created,
        migrated or written, and a write through it fails.
        """
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        if not 0 <= compress_level <= 9:
            raise ValueError("compress_level must be 0..9")
        path = _check_existing(path) if read_only else _check_location(path)
        try:
            if read_only:
                conn = await _connect_read_only(_file_uri(path), empty_wal=wal_is_empty(path))
            else:
                conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise describe_sqlite_error(path, exc, busy_timeout_s=busy_timeout_s) from None
        try:
            conn.row_factory = aiosqlite.Row
            store = cls(
                conn,
                path,
                clock,
                checkpoint_every=checkpoint_every,
                compress_level=compress_level,
                busy_timeout_s=busy_timeout_s,
            )
            try:
                await store._prepare(read_only=read_only)
            except sqlite3.Error as exc:
                raise describe_sqlite_error(path, exc, busy_timeout_s=busy_timeout_s) from None
            yield store
        finally:
            await conn.close()

    async def _prepare(self, *, read_only: bool) -> None:
        conn = self._conn
        await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        # Reading the header first: a file that is not a database fails here, before any write.
        tables = await self._scalar("SELECT COUNT(*) FROM sqlite_schema")
        version = int(await self._scalar("PRAGMA user_version"))
        app_id = int(await self._scalar("PRAGMA application_id"))
        if version > SCHEMA_VERSION:
            raise BadDatabaseFile(
                f"database {self.path} was written by a newer mlbdash (schema {version}, "
                f"this version knows {SCHEMA_VERSION}); upgrade mlbdash"
            )
        if app_id != APPLICATION_ID and (version > 0 or tables):
            raise BadDatabaseFile(
                f"{self.path} is an SQLite database but not an mlbdash one; use another --db"
            )
        if read_only:
            if version < SCHEMA_VERSION:
                raise BadDatabaseFile(
                    f"database {self.path} has schema {version}, older than this mlbdash "
                    f"({SCHEMA_VERSION}), and is opened read-only; open it once where it can be "
                    "written (mlbdash db check --vacuum migrates nothing: run mlbdash ingest)"
                )
            return
        mode = await self._scalar("PRAGMA journal_mode = WAL")
        if str(mode).lower() != "wal":
            raise StoreError(
                f"database {self.path}: cannot use write-ahead logging (journal mode {mode})"
            )
        # NORMAL in WAL mode: a commit survives a killed process; only power loss can drop
        # the last commits, never corrupt the file.
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        for step in range(version, SCHEMA_VERSION):
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[step]:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {step + 1}")
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise

    async def _scalar(self, sql: str) -> Any:
        cursor = await self._conn.execute(sql)
        row = await cursor.fetchone()
        await cursor.close()
        return None if row is None else row[0]

    # -- transactions ----------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back if the body raises."""
        async with self._lock, self._wrapped("BEGIN IMMEDIATE") as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction: every statement inside sees the same committed state."""
        async with self._lock, self._wrapped("BEGIN") as conn:
            yield conn

    @asynccontextmanager
    async def _wrapped(self, begin: str) -> AsyncIterator[aiosqlite.Connection]:
        conn = self._conn
        try:
            if conn.in_transaction:
                # Left open by a task cancelled during its rollback.
                await conn.execute("ROLLBACK")
            await conn.execute(begin)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            yield conn
        except BaseException as exc:
            await self._rollback()
            if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
                raise self._error(exc) from None
            raise
        try:
            await conn.execute("COMMIT")
        except sqlite3.Error as exc:
            await self._rollback()
            raise self._error(exc) from None

    async def _write_at_once(self, write: Callable[[sqlite3.Connection], T]) -> T:
        """One write transaction run whole on the connection's own thread: BEGIN IMMEDIATE,
        ``write``, COMMIT (ROLLBACK if it raises), in a single hand-off.

        For the hot path (a version per live game every few seconds): aiosqlite hands every
        statement, fetch and cursor close to its thread and back, and those hand-offs cost
        more CPU than the statements. If the caller is cancelled meanwhile, the lock is held
        until the thread is done, so no other transaction can begin inside this one.
        """

        def run() -> T:
            conn = self._conn._conn  # the sqlite3 connection, used on its own thread
            conn.execute("BEGIN IMMEDIATE")
            try:
                out = write(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            return out

        async with self._lock:
            if self._conn.in_transaction:
                await self._rollback()  # left open by a task cancelled during its rollback
            # aiosqlite has no public "run this on the connection's thread"; its own queue
            # (``_execute``, what ``execute`` itself uses) is. Pinned below 1.0; the store
            # tests run every write through here.
            queued: Callable[[Callable[[], T]], Awaitable[T]] = self._conn._execute
            job = asyncio.ensure_future(queued(run))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                if not job.done():
                    await asyncio.wait([job])
                raise
            except sqlite3.OperationalError as exc:
                raise self._error(exc) from None
            except sqlite3.DatabaseError as exc:
                if type(exc) is sqlite3.DatabaseError:
                    raise self._error(exc) from None
                raise

    async def _rollback(self) -> None:
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                await asyncio.shield(self._conn.execute("ROLLBACK"))

    def _error(self, exc: sqlite3.Error) -> StoreError:
        return describe_sqlite_error(self.path, exc, busy_timeout_s=self.busy_timeout_s)

    # -- games -----------------------------------------------------------------------------

    async def upsert_game(self, game_pk: int, fields: Mapping[str, object]) -> None:
        """Insert or update a game's descriptive columns (names in ``games.GAME_FIELDS``)."""
        async with self.transaction() as conn:
            await games.upsert_game(conn, game_pk, fields, now=self.clock.now())

    async def record_poll(self, game_pk: int, *, success: bool) -> None:
        async with self.transaction() as conn:
            await games.record_poll(conn, game_pk, at=self.clock.now(), success=success)

    async def record_state(
        self,
        game_pk: int,
        *,
        state: str,
        detailed_state: str | None,
        status_code: str | None,
        source: str,
    ) -> bool:
        """Log a state transition; returns False (nothing written) when the status is unchanged."""
        async with self.transaction() as conn:
            return await games.record_state(
                conn,
                game_pk,
                at=self.clock.now(),
                state=state,
                detailed_state=detailed_state,
                status_code=status_code,
                source=source,
            )

    async def record_states(self, changes: Sequence[games.StateRecord]) -> None:
        """Log status changes and set the game columns each one changes, in one transaction
        (a schedule read can change a thousand games at once: a transaction each kept the
        first feed requests waiting for seconds)."""
        if not changes:
            return
        async with self.transaction() as conn:
            now = self.clock.now()
            for change in changes:
                await games.record_state(
                    conn,
                    change.game_pk,
                    at=now,
                    state=change.state,
                    detailed_state=change.detailed_state,
                    status_code=change.status_code,
                    source=change.source,
                )
                await games.upsert_game(conn, change.game_pk, change.fields, now=now)

    async def meet_games(
        self, fields: Mapping[int, Mapping[str, object]]
    ) -> dict[int, games.GameRecord]:
        """Set the descriptive columns of games met for the first time this run and return
        what the store holds of them (by gamePk), in one transaction for a whole schedule."""
        if not fields:
            return {}
        async with self.transaction() as conn:
            now = self.clock.now()
            for game_pk, values in fields.items():
                await games.upsert_game(conn, game_pk, values, now=now)
            return {r.game_pk: r for r in await games.list_games(conn) if r.game_pk in fields}

    async def state_history(self, game_pk: int) -> list[games.StateChange]:
        async with self.read() as conn:
            return await games.state_history(conn, game_pk)

    async def get_game(self, game_pk: int) -> games.GameRecord | None:
        async with self.read() as conn:
            return await games.get_game(conn, game_pk)

    async def list_games(self) -> list[games.GameRecord]:
        async with self.read() as conn:
            return await games.list_games(conn)

    # -- feeds -----------------------------------------------------------------------------

    async def store_version(
        self,
        game_pk: int,
        timecode: str,
        kind: feeds.VersionKind,
        feed: dict[str, Any],
        ops: Sequence[Any] | None,
        game_fields: Mapping[str, object],
    ) -> feeds.AppendResult:
        """Append a version, checkpoint when due, and update the games row: one transaction.

        ``feed`` is the whole feed after this version; ``ops`` the diff blocks applied to get
        there (for kind 'diff'). A (game_pk, timecode) already stored changes nothing and
        returns ``version_id=None``.
        """
        now = self.clock.now()
        final = feeds.abstract_final(feed)

        def write(conn: sqlite3.Connection) -> feeds.AppendResult:
            result = feeds.append_version(
                conn,
                game_pk=game_pk,
                timecode=timecode,
                kind=kind,
                feed=feed,
                ops=ops,
                now=now,
                checkpoint_every=self.checkpoint_every,
                level=self.compress_level,
            )
            if result.version_id is not None:
                games.record_version(
                    conn, game_pk, game_fields, timecode=timecode, kind=kind, final=final, now=now
                )
            return result

        return await self._write_at_once(write)

    async def replace_version(
        self,
        game_pk: int,
        timecode: str,
        feed: dict[str, Any],
        game_fields: Mapping[str, object],
    ) -> bool:
        """Replace a stored version's content with ``feed`` (the server's own copy of a
        version first stored from a bad answer): one transaction; False when not stored."""
        now = self.clock.now()
        async with self.transaction() as conn:
            was = await feeds.replace_version(
                conn,
                game_pk=game_pk,
                timecode=timecode,
                feed=feed,
                now=now,
                level=self.compress_level,
            )
            if was is None:
                return False
            await games.record_replaced(
                conn, game_pk, game_fields, timecode=timecode, was=was, now=now
            )
        return True

    async def load_latest_feed(self, game_pk: int) -> tuple[str, dict[str, Any]] | None:
        """The newest stored version of a game as (timecode, feed), or None if none is stored."""
        async with self.read() as conn:
            plan = await feeds.plan_rebuild(conn, game_pk, None)
        if plan is None:
            return None
        return plan.timecode, feeds.rebuild(game_pk, plan)

    async def load_version(self, game_pk: int, timecode: str) -> dict[str, Any] | None:
        async with self.read() as conn:
            plan = await feeds.plan_rebuild(conn, game_pk, timecode)
        return None if plan is None else feeds.rebuild(game_pk, plan)

    async def list_versions(self, game_pk: int) -> list[feeds.VersionInfo]:
        async with self.read() as conn:
            return await feeds.list_versions(conn, game_pk)

    async def version_payloads(self, game_pk: int) -> list[feeds.VersionPayload]:
        """Every stored version of a game in log order, each with the whole feed it was stored
        as ('full') or the diff blocks that led to it ('diff'): the game as the archive holds
        it, ready to be replayed or exported. One consistent read."""
        async with self.read() as conn:
            rows = await feeds.version_payload_rows(conn, game_pk)
        return await asyncio.to_thread(feeds.decode_payloads, game_pk, rows)

    async def version_blocks(self, game_pk: int, timecode: str) -> list[Any] | None:
        """The diff blocks the version stored under ``timecode`` was made with; None for a
        version stored whole (or not stored)."""
        async with self.read() as conn:
            blob = await feeds.version_blocks(conn, game_pk, timecode)
        if blob is None:
            return None
        blocks = gunzip_json(blob)
        if not isinstance(blocks, list):
            raise StoreError(f"game {game_pk} version {timecode}: stored ops are not a list")
        return blocks

    async def findings_first_seen(
        self, game_pk: int, timecode: str
    ) -> list[findings_store.FindingRecord]:
        """The game's findings first seen on the version stored under ``timecode``."""
        async with self.read() as conn:
            return await findings_store.first_seen_on(conn, game_pk, timecode)

    async def version_log(self, game_pk: int) -> list[feeds.LoggedVersion]:
        """Every stored version of a game rebuilt in log order, each with what is wrong with
        it (for the audit). Read in one transaction, rebuilt off the event loop."""
        async with self.read() as conn:
            rows = await feeds.read_version_log(conn, game_pk)
        return await asyncio.to_thread(feeds.walk_version_log, rows)

    async def games_with_versions(self) -> list[int]:
        """The gamePks that have at least one stored version."""
        async with self.read() as conn:
            cursor = await conn.execute("SELECT DISTINCT game_pk FROM feed_versions ORDER BY 1")
            rows = await cursor.fetchall()
            await cursor.close()
        return [int(r[0]) for r in rows]

    # -- schedule --------------------------------------------------------------------------

    async def upsert_schedule_games(self, entries: Sequence[schedule.ScheduleEntry]) -> int:
        async with self.transaction() as conn:
            return await schedule.upsert_schedule_games(conn, entries, seen_at=self.clock.now())

    async def schedule_for_date(self, official_date: date) -> list[schedule.ScheduleEntry]:
        async with self.read() as conn:
            return await schedule.schedule_for_date(conn, official_date)

    async def dates_of_game(self, game_pk: int) -> list[date]:
        async with self.read() as conn:
            return await schedule.dates_of_game(conn, game_pk)

    async def store_schedule_snapshot(self, query: str, body: bytes) -> bool:
        """Keep a raw schedule body; returns False when it equals the last one for this query."""
        async with self.transaction() as conn:
            return await schedule.store_snapshot(
                conn, query=query, body=body, fetched_at=self.clock.now(), level=self.compress_level
            )

    async def schedule_snapshot(self, official_date: date) -> dict[str, Any] | None:
        """The newest stored schedule answer that lists ``official_date``, as it was sent
        (parsed), or None when no stored schedule lists that date."""
        async with self.read() as conn:
            bodies = await schedule.latest_snapshot_bodies(conn, official_date)
        wanted = official_date.isoformat()
        for blob in bodies:
            doc = gunzip_json(blob)
            days = doc.get("dates") if isinstance(doc, dict) else None
            if isinstance(days, list) and any(
                isinstance(day, dict) and day.get("date") == wanted for day in days
            ):
                return doc  # type: ignore[no-any-return]
        return None

    async def coverage(self, official_date: date) -> schedule.Coverage:
        async with self.read() as conn:
            return await schedule.coverage(conn, official_date)

    # -- requests --------------------------------------------------------------------------

    async def log_requests(self, events: Sequence[RequestFinished]) -> int:
        """Insert a batch of finished requests in one transaction."""
        async with self.transaction() as conn:
            return await requests.insert_requests(conn, events)

    async def log_requests_and_polls(
        self,
        events: Sequence[RequestFinished],
        polls: Mapping[int, tuple[int, datetime, datetime | None]],
    ) -> None:
        """The request log and the games' poll counters ((polls, last poll, last success) per
        game) in one transaction: ingest writes them in batches."""
        if not events and not polls:
            return
        async with self.transaction() as conn:
            if events:
                await requests.insert_requests(conn, events)
            if polls:
                await games.add_polls(conn, polls)

    async def flush_requests(self, buffer: requests.RequestBuffer) -> int:
        return await self.log_requests(buffer.take())

    async def prune_requests(self, before: datetime) -> int:
        """Delete request rows older than ``before``; returns how many went."""
        async with self.transaction() as conn:
            return await requests.prune_requests(conn, before)

    # -- meta and upkeep -------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self.read() as conn:
            cursor = await conn.execute("SELECT value FROM meta WHERE key = ?", (key,))
            row = await cursor.fetchone()
            await cursor.close()
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def integrity_check(self) -> list[str]:
        """SQLite's own check; ``["ok"]`` when the file is sound."""
        async with self.read() as conn:
            cursor = await conn.execute("PRAGMA integrity_check")
            rows = await cursor.fetchall()
            await cursor.close()
        return [str(r[0]) for r in rows]

    async def table_counts(self) -> dict[str, int]:
        async with self.read() as conn:
            cursor = await conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
            names = [str(r[0]) for r in await cursor.fetchall()]
            await cursor.close()
            counts: dict[str, int] = {}
            for name in names:
                cursor = await conn.execute(f'SELECT COUNT(*) FROM "{name}"')
                row = await cursor.fetchone()
                await cursor.close()
                counts[name] = int(row[0]) if row is not None else 0
        return counts


def _check_existing(path: Path) -> Path:
    """A database to read must exist: a typo must not look like an empty archive."""
    path = path.expanduser()
    if not path.exists():
        raise BadDatabaseFile(f"database {path} does not exist")
    if not path.is_file():
        raise BadDatabaseFile(f"database {path} is not a regular file")
    return path


def _file_uri(path: Path) -> str:
    return path.resolve().as_uri()


async def _connect_read_only(file_uri: str, *, empty_wal: bool) -> aiosqlite.Connection:
    """``mode=ro``; on read-only media, where SQLite cannot make the WAL index beside the file,
    ``immutable=1`` when no write-ahead log holds commits the file lacks (so none is missed)."""
    uri = f"{file_uri}?mode=ro"
    conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    try:
        # The first read opens the WAL index; this is where read-only media fail.
        await (await conn.execute("SELECT COUNT(*) FROM sqlite_schema")).close()
        return conn
    except sqlite3.Error as exc:
        # Closed on every failure: an open connection's thread would keep the process alive.
        await conn.close()
        if not isinstance(exc, sqlite3.OperationalError):
            raise
        if not empty_wal:
            raise unreadable_log(file_uri) from None
    return await aiosqlite.connect(f"{uri}&immutable=1", uri=True, isolation_level=None)


def unreadable_log(where: str) -> StoreError:
    """A -wal with commits the file lacks, which SQLite cannot read here (no -shm can be made):
    reading the file alone would show an older state, so it is refused."""
    return StoreError(
        f"database {where.removeprefix('file://')}: its write-ahead log (-wal) holds commits "
        "that cannot be read where the folder is read-only and no -shm file is beside it; "
        "copy the database with its -wal file to a writable folder to read it",
        exit_code=2,
    )


def wal_is_empty(path: Path) -> bool:
    """No -wal file beside ``path``, or an empty one: the file alone is the whole database."""
    try:
        return path.with_name(path.name + "-wal").stat().st_size == 0
    except FileNotFoundError:
        return True


def _check_location(path: Path) -> Path:
    """Create the parent folder and refuse up front what SQLite would fail on half-way."""
    path = path.expanduser()
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create folder {folder} for the database: {exc.strerror or exc}"
        ) from None
    if path.exists():
        if not path.is_file():
            raise BadDatabaseFile(f"database {path} is not a regular file")
        if not os.access(path, os.R_OK):
            raise StoreError(
                f"database {path} is not readable; fix its permissions or use another --db"
            )
        if not os.access(path, os.W_OK):
            raise StoreError(
                f"database {path} is read-only; fix its permissions or use another --db"
            )
    # SQLite creates the file and, in WAL mode, its -wal and -shm files next to it.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"database folder {folder} is read-only; fix its permissions or use another --db"
        )
    return path
