"""Read-only archives are readable: report, validate --db, export and db check open the database
read-only (issue 13 point 8); db check --vacuum leaves a newer mlbdash's file alone.

Read-only media are made with a read-only bind mount in a private mount namespace (``unshare
-m``, which needs root), since root ignores file permissions; other users get chmod instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import game_day_db

from mlbdash.cli import main
from mlbdash.ingest.store import SCHEMA_VERSION, Store, StoreError
from mlbdash.mlb.clock import ManualClock

ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "mlbdash.sqlite3"
    asyncio.run(game_day_db(path))
    return path


def _can_bind_mount() -> bool:
    if not ROOT or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def run_read_only(target: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``mlbdash ARGV`` with ``target`` (the file or its folder) read-only."""
    command = [sys.executable, "-m", "mlbdash", *argv]
    env = {"PATH": "/usr/bin:/bin", "MLBDASH_CONFIG": str(target.parent / "none.toml")}
    if ROOT:
        if not _can_bind_mount():
            pytest.skip("running as root without a private mount namespace to make media read-only")
        script = f'mount --bind -o ro "{target}" "{target}" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, "sh", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False, env=env
        )
    modes = {p: p.stat().st_mode for p in (target, target.parent)}
    target.chmod(0o555 if target.is_dir() else 0o444)
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False, env=env
        )
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@pytest.mark.parametrize("what", ["file", "folder"])
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "--date", "2024-07-01"], "HOU @ TOR"),
        (["validate"], "game 744914 (HOU @ TOR, 20240701_214404): no findings"),
        (["export", "validation", "--force", "--out", "OUT"], "wrote 3 findings"),
        (["db", "check"], "integrity  ok"),
    ],
)
def test_a_read_only_archive_is_readable(
    archive: Path, tmp_path: Path, what: str, argv: list[str], says: str
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "mlbdash.sqlite3"
    shutil.copyfile(archive, db)
    before = db.read_bytes()
    argv = [str(tmp_path / "out.csv") if a == "OUT" else a for a in argv]
    result = run_read_only(db if what == "file" else folder, [*argv, "--db", str(db)])
    assert result.returncode == 0, result.stderr
    assert says in result.stdout
    assert db.read_bytes() == before
    # A read-only file in a writable folder: SQLite may leave an empty log and its index.
    left = {p.name: p.stat().st_size for p in folder.iterdir() if p != db}
    assert set(left) <= {"mlbdash.sqlite3-wal", "mlbdash.sqlite3-shm"}
    assert left.get("mlbdash.sqlite3-wal", 0) == 0
    if what == "folder":
        assert left == {}


async def test_a_read_only_store_refuses_writes(archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.sqlite3"
    shutil.copyfile(archive, db)
    async with Store.open(db, clock=ManualClock(), read_only=True) as store:
        assert await store.get_game(744914) is not None
        with pytest.raises(StoreError, match="read-only"):
            await store.set_meta("x", "y")


def test_read_only_never_creates_a_database(tmp_path: Path) -> None:
    async def open_typo() -> None:
        async with Store.open(tmp_path / "typo.sqlite3", clock=ManualClock(), read_only=True):
            pass

    with pytest.raises(StoreError, match="does not exist") as caught:
        asyncio.run(open_typo())
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_vacuum_leaves_a_newer_schema_file_untouched(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "newer.sqlite3"
    shutil.copyfile(archive, db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.execute("PRAGMA journal_mode = DELETE")
    before = db.read_bytes()
    assert main(["db", "check", "--vacuum", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "newer mlbdash" in err and "not vacuuming" in err and err.count("\n") == 1
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.sqlite3"]


KILLED_WRITER = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("UPDATE alerts SET state = 'resolved'")  # the archive has one firing
os._exit(0)  # as a killed ingest: the commit stays in the -wal, the -shm beside it
"""


def _with_uncheckpointed_commit(archive: Path, folder: Path) -> Path:
    folder.mkdir()
    db = folder / "mlbdash.sqlite3"
    shutil.copyfile(archive, db)
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db)], check=True, timeout=60)
    assert (folder / "mlbdash.sqlite3-wal").stat().st_size > 0
    return db


def test_a_read_only_folder_with_a_live_log_shows_its_commits(
    archive: Path, tmp_path: Path
) -> None:
    """-wal and -shm beside the file (a copy of a running archive): the log's commits count."""
    db = _with_uncheckpointed_commit(archive, tmp_path / "media")
    result = run_read_only(db.parent, ["db", "check", "--json", "--db", str(db)])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["integrity"] == ["ok"]
    assert report["counts"]["alerts_firing"] == 0, "the commit in the log was not read"
    shown = run_read_only(db.parent, ["report", "--db", str(db), "--date", "2024-07-01"])
    assert shown.returncode == 0, shown.stderr


def test_a_log_that_cannot_be_read_is_refused_not_skipped(archive: Path, tmp_path: Path) -> None:
    """A non-empty -wal but no -shm in a read-only folder: reading the file alone would miss
    commits (a false picture), so each reading command says why instead, exit 2."""
    db = _with_uncheckpointed_commit(archive, tmp_path / "media")
    (db.parent / "mlbdash.sqlite3-shm").unlink()
    for argv in (["report", "--date", "2024-07-01"], ["validate"], ["db", "check"]):
        result = run_read_only(db.parent, [*argv, "--db", str(db)])
        assert result.returncode == 2, (argv, result.stderr)
        assert "write-ahead log (-wal) holds commits" in result.stderr
        assert result.stderr.count("\n") == 1
