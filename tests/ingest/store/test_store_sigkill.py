"""A writer killed with SIGKILL mid-write leaves the last committed state readable and whole."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import feed_digest, sqlite_rows

from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock

WRITER = Path(__file__).with_name("sigkill_writer.py")
ROOT = Path(__file__).parents[3]


def run_until(db: Path, lines_before_kill: int) -> list[tuple[int, str, str, str]]:
    """Start the writer, SIGKILL it after it reports this many commits; every reported commit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    try:
        while len(lines) < lines_before_kill:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer ended early: {proc.stderr.read()}")
            lines.append(line)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        lines.extend(proc.stdout.readlines())  # commits reported before the signal landed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    out = []
    for line in lines:
        game_pk, timecode, kind, digest = line.split()
        out.append((int(game_pk), timecode, kind, digest))
    return out


@pytest.mark.parametrize("lines_before_kill", [1, 2, 9, 26])
async def test_sigkill_mid_write_leaves_a_consistent_database(
    tmp_path: Path, lines_before_kill: int
) -> None:
    db = tmp_path / "db.sqlite3"
    reported = run_until(db, lines_before_kill)
    assert len(reported) >= lines_before_kill

    # SQLite's own check first, through the plain driver (it also recovers the WAL).
    assert sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert sqlite_rows(db, "PRAGMA foreign_key_check") == []

    async with Store.open(db, clock=ManualClock()) as store:
        stored: dict[tuple[int, str], str] = {}
        for game_pk in (746139, 999001):
            versions = await store.list_versions(game_pk)
            game = await store.get_game(game_pk)
            if not versions:
                assert game is None
                continue
            assert game is not None
            assert game.versions == len(versions)
            assert game.full_updates == sum(v.kind == "full" for v in versions)
            assert game.diff_updates == sum(v.kind == "diff" for v in versions)
            assert game.last_timecode == versions[-1].timecode
            for version in versions:
                feed = await store.load_version(game_pk, version.timecode)
                assert feed is not None
                assert feed["metaData"]["timeStamp"] == version.timecode
                stored[(game_pk, version.timecode)] = feed_digest(feed)
            latest = await store.load_latest_feed(game_pk)
            assert latest is not None and latest[0] == versions[-1].timecode
        counts = await store.table_counts()

    # Every reported commit is there, byte for byte; at most one more (committed, then killed
    # before it could print) follows them.
    for game_pk, timecode, _kind, digest in reported:
        assert stored[(game_pk, timecode)] == digest
    assert len(reported) <= len(stored) <= len(reported) + 1
    # The request batch of each version is its own committed transaction, never half of one.
    assert counts["requests"] % 20 == 0
    assert counts["requests"] >= 20 * len(reported)


def test_writer_exercises_fulls_diffs_and_checkpoints(tmp_path: Path) -> None:
    """The control: the kill points above fall among full, diff and checkpoint writes."""
    reported = run_until(tmp_path / "db.sqlite3", 40)
    assert len({(g, t) for g, t, _, _ in reported}) == len(reported) >= 40
    assert {kind for _, _, kind, _ in reported[:26]} == {"full", "diff"}
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        assert conn.execute("SELECT COUNT(*) FROM feed_checkpoints").fetchone()[0] >= 8
    finally:
        conn.close()
