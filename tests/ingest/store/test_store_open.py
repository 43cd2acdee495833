"""Opening the database: pragmas, migrations, and one-line errors that leave the file alone."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import load_fixture
from store_helpers import START, file_digest, sqlite_rows

from mlbdash.ingest.store import SCHEMA_VERSION, Store, StoreError
from mlbdash.ingest.store.schema import APPLICATION_ID
from mlbdash.mlb.clock import ManualClock

TABLES = {
    "alert_events",
    "alerts",
    "feed_checkpoints",
    "feed_versions",
    "findings",
    "game_states",
    "games",
    "meta",
    "metric_rollups",
    "requests",
    "schedule_games",
    "schedule_snapshots",
}


def one_line(exc: pytest.ExceptionInfo[StoreError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


async def make_db(path: Path) -> None:
    async with Store.open(path, clock=ManualClock(START)) as store:
        await store.set_meta("made_by", "test")


async def test_new_database_folder_pragmas_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "mlbdash.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        counts = await store.table_counts()
        assert await store.integrity_check() == ["ok"]
        async with store.read() as conn:
            cursor = await conn.execute("PRAGMA foreign_keys")
            foreign_keys = await cursor.fetchone()
            await cursor.close()
        assert foreign_keys is not None and foreign_keys[0] == 1
    assert set(counts) >= TABLES
    assert sqlite_rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert sqlite_rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sqlite_rows(path, "PRAGMA application_id") == [(APPLICATION_ID,)]


async def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await make_db(path)
    async with Store.open(path, clock=ManualClock(START)) as store:
        assert await store.get_meta("made_by") == "test"
        assert await store.get_meta("missing") is None


async def test_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await make_db(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    before = file_digest(path)
    with pytest.raises(StoreError) as exc:
        async with Store.open(path, clock=ManualClock(START)):
            pass
    assert one_line(exc) == (
        f"database {path} was written by a newer mlbdash (schema {SCHEMA_VERSION + 3}, "
        f"this version knows {SCHEMA_VERSION}); upgrade mlbdash"
    )
    assert file_digest(path) == before


async def test_random_bytes_are_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(random.Random(7).randbytes(16384))
    before = file_digest(path)
    with pytest.raises(StoreError) as exc:
        async with Store.open(path, clock=ManualClock(START)):
            pass
    assert one_line(exc).startswith(f"database {path} is corrupt or not an SQLite file")
    assert file_digest(path) == before


async def test_json_file_given_as_database_is_refused(tmp_path: Path) -> None:
    """Pointing --db at the wrong file (here a real schedule response) must not overwrite it."""
    path = tmp_path / "schedule.json"
    path.write_text(str(load_fixture("schedule/schedule_2024-07-01_3games.json")))
    before = file_digest(path)
    with pytest.raises(StoreError, match="corrupt or not an SQLite file"):
        async with Store.open(path, clock=ManualClock(START)):
            pass
    assert file_digest(path) == before


async def test_someone_elses_sqlite_database_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = file_digest(path)
    with pytest.raises(StoreError) as exc:
        async with Store.open(path, clock=ManualClock(START)):
            pass
    assert one_line(exc) == f"{path} is an SQLite database but not an mlbdash one; use another --db"
    assert file_digest(path) == before


async def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(StoreError) as exc:
        async with Store.open(blocker / "db.sqlite3", clock=ManualClock(START)):
            pass
    assert one_line(exc).startswith(f"cannot create folder {blocker} for the database:")


async def test_locked_while_opening(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as exc:
            async with Store.open(path, clock=ManualClock(START), busy_timeout_s=0.05):
                pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert one_line(exc) == (
        f"database {path} is locked by another program (waited 0.05 s); "
        "stop the other mlbdash or use another --db"
    )


async def test_locked_during_a_write_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START), busy_timeout_s=0.05) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="is locked by another program"):
                await store.set_meta("k", "v")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await store.set_meta("k", "v2")
        assert await store.get_meta("k") == "v2"


# -- read-only: run as an unprivileged user ---------------------------------------------------
#
# Tests often run as root, for whom file modes do not apply (root writes to a 0444 file), so a
# chmod alone would prove nothing. The child imports everything as the current user and then,
# if it is root, drops to uid/gid 65534 ("nobody") before opening the store, so the kernel
# really refuses the writes, as it would for a normal user.

CHILD = """
import asyncio, os, sys
from pathlib import Path
from mlbdash.ingest.store import Store, StoreError
from mlbdash.mlb.clock import ManualClock

if os.geteuid() == 0:
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        print("NOSETUID", exc)
        sys.exit(0)

async def main() -> None:
    try:
        async with Store.open(Path(sys.argv[1]), clock=ManualClock()) as store:
            await store.set_meta("k", "v")
            print("OPENED")
    except StoreError as exc:
        print("ERROR", exc)

asyncio.run(main())
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged child can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="mlbdash-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def open_unprivileged(path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    if result.stdout.startswith("NOSETUID"):
        pytest.skip(f"running as root and cannot drop privileges: {result.stdout.strip()}")
    return result.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
async def test_read_only_file_is_refused_and_left_alone(shared_dir: Path) -> None:
    path = shared_dir / "db.sqlite3"
    await make_db(path)
    path.chmod(0o444)
    before = file_digest(path)
    assert open_unprivileged(path) == (
        f"ERROR database {path} is read-only; fix its permissions or use another --db"
    )
    assert file_digest(path) == before


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
async def test_read_only_folder_is_refused_and_left_alone(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    path = folder / "db.sqlite3"
    await make_db(path)
    path.chmod(0o666)  # only the folder is read-only here
    folder.chmod(0o555)
    before = file_digest(path)
    message = (
        f"ERROR database folder {folder} is read-only; fix its permissions or use another --db"
    )
    assert open_unprivileged(path) == message
    assert open_unprivileged(folder / "new.sqlite3") == message
    assert file_digest(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["db.sqlite3"]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_unprivileged_child_can_open_a_writable_database(shared_dir: Path) -> None:
    """The control for the two tests above: the same child succeeds where it may write."""
    folder = shared_dir / "rw"
    folder.mkdir()
    folder.chmod(0o777)
    assert open_unprivileged(folder / "db.sqlite3") == "OPENED"
