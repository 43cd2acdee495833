"""``mlbdash db backup`` and ``mlbdash db check`` on databases written by the real Store.

The stored versions are real: feed 746139 at 04:12:48 and the recorded diffPatch to 04:13:02.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import load_fixture

from mlbdash.cli import main
from mlbdash.ingest.store import SCHEMA_VERSION, Store
from mlbdash.ingest.store.maintenance import check_database, verify_versions
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.patch import apply_diff_blocks, copy_json

FEED = "feed/feed_746139_live_t7_20240612_041248.json.gz"
DIFF = "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"


async def make_db(path: Path, *, checkpoint_every: int = 25) -> dict[str, object]:
    """A database with one game: a full version and a diff version; returns the last feed."""
    feed = load_fixture(FEED)
    blocks = load_fixture(DIFF)
    async with Store.open(path, clock=ManualClock(), checkpoint_every=checkpoint_every) as store:
        await store.store_version(746139, "20240612_041248", "full", feed, None, {})
        after = apply_diff_blocks(copy_json(feed), blocks)
        timecode = after["metaData"]["timeStamp"]
        await store.store_version(746139, timecode, "diff", after, blocks, {})
    return after


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_backup_is_a_consistent_self_contained_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.sqlite3"
    last = await make_db(db)
    copy = tmp_path / "copy.sqlite3"
    code, out, err = run_cli(capsys, "db", "backup", str(copy), "--db", str(db))
    assert (code, err) == (0, "")
    assert "integrity ok" in out
    # One file: no -wal beside the copy to forget.
    assert not copy.with_name(copy.name + "-wal").exists()
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
    async with Store.open(copy, clock=ManualClock()) as store:
        stored = await store.load_latest_feed(746139)
    assert stored is not None
    assert stored[1] == last
    assert verify_versions(copy).problems == []


async def test_backup_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.sqlite3"
    await make_db(db)
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(b"an older backup")
    code, _, err = run_cli(capsys, "db", "backup", str(copy), "--db", str(db))
    assert code == 1
    assert err == f"mlbdash: {copy} already exists; use --force to overwrite it\n"
    assert copy.read_bytes() == b"an older backup"
    code, _, err = run_cli(capsys, "db", "backup", str(copy), "--db", str(db), "--force")
    assert (code, err) == (0, "")
    assert check_database(copy).ok


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "does not exist"),
        ("text", "corrupt or not an SQLite file"),
        ("foreign", "not an mlbdash one"),
    ],
)
def test_backup_and_check_of_a_bad_source_say_why_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, expected: str
) -> None:
    db = tmp_path / "source.sqlite3"
    if setup == "text":
        db.write_text("hello, not a database\n" * 200)
    elif setup == "foreign":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
    copy = tmp_path / "copy.sqlite3"
    for argv in (("db", "backup", str(copy), "--db", str(db)), ("db", "check", "--db", str(db))):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2  # bad input: the same code from every command (issue 13)
        assert out == ""
        assert expected in err
        assert err.count("\n") == 1
    assert not copy.exists()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


async def test_check_reports_sizes_counts_and_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.sqlite3"
    await make_db(db)
    code, out, err = run_cli(capsys, "db", "check", "--db", str(db), "--json", "--verify")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["ok"] is True
    assert report["integrity"] == ["ok"]
    assert report["schema_version"] == report["schema_current"] == SCHEMA_VERSION
    assert report["counts"]["feed_versions"] == 2
    assert report["counts"]["games"] == 1
    assert report["versions_checked"] == 2
    tables = {t["name"]: t for t in report["tables"]}
    assert tables["feed_checkpoints"]["rows"] == 1
    # The checkpoint holds a whole feed: the biggest table by far.
    assert tables["feed_checkpoints"]["bytes"] > 50_000
    code, out, _ = run_cli(capsys, "db", "check", "--db", str(db))
    assert code == 0
    assert "integrity  ok" in out
    assert "feed_versions" in out


async def test_check_finds_a_corrupt_page_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.sqlite3"
    await make_db(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    root = conn.execute(
        "SELECT rootpage FROM sqlite_schema WHERE name = 'feed_versions_by_game'"
    ).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    # Scribble over an index page: the table data still reads, the index no longer matches.
    with db.open("r+b") as fh:
        fh.seek((root - 1) * page_size + 8)
        fh.write(b"\xff" * 64)
    code, out, err = run_cli(capsys, "db", "check", "--db", str(db), "--json")
    assert code == 1, err
    report = json.loads(out)
    assert report["ok"] is False
    assert report["integrity"] != ["ok"]


async def test_verify_finds_a_checkpoint_that_disagrees_with_its_diffs(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    # checkpoint_every=1: the diff version gets a checkpoint too, which we then spoil.
    await make_db(db, checkpoint_every=1)
    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT c.rowid, c.feed FROM feed_checkpoints c JOIN feed_versions v "
        "ON v.id = c.version_id WHERE v.kind = 'diff'"
    ).fetchone()
    doc = json.loads(gzip.decompress(row[1]))
    doc["liveData"]["linescore"]["outs"] = 7
    conn.execute(
        "UPDATE feed_checkpoints SET feed = ? WHERE rowid = ?",
        (gzip.compress(json.dumps(doc).encode()), row[0]),
    )
    conn.commit()
    conn.close()
    report = check_database(db, verify=True)
    assert report.integrity == ["ok"]
    assert not report.ok
    assert report.problems == [
        "game 746139 version 20240612_041302: checkpoint differs from the rebuilt feed"
    ]


def _tick(feed: dict[str, object], timecode: str, outs: int) -> list[dict[str, object]]:
    """A diff block derived from the real shape (first op sets the timestamp), not recorded."""
    blocks: list[dict[str, object]] = [
        {
            "diff": [
                {"op": "replace", "path": "/metaData/timeStamp", "value": timecode},
                {"op": "replace", "path": "/liveData/linescore/outs", "value": outs},
            ]
        }
    ]
    apply_diff_blocks(feed, copy_json(blocks))
    return blocks


async def test_verify_holds_a_backfilled_history_to_its_own_base(tmp_path: Path) -> None:
    # A game met mid-game: its present is stored first, then its history is backfilled in
    # order (the first piece whole, the next as a diff on it), and a live diff lands amid
    # the backfill. Each diff rebuilds from the version before it in time, so nothing is
    # wrong; verify once applied the history's diff to the present and called it corrupt.
    db = tmp_path / "late.sqlite3"
    first = load_fixture(FEED)
    blocks = load_fixture(DIFF)
    second = apply_diff_blocks(copy_json(first), copy_json(blocks))
    present = copy_json(second)
    _tick(present, "20240612_041320", 1)
    live = copy_json(present)
    live_blocks = _tick(live, "20240612_041335", 2)
    async with Store.open(db, clock=ManualClock()) as store:
        await store.store_version(746139, "20240612_041320", "full", present, None, {})
        await store.store_version(746139, "20240612_041248", "full", first, None, {})
        await store.store_version(746139, "20240612_041302", "diff", second, blocks, {})
        await store.store_version(746139, "20240612_041335", "diff", live, live_blocks, {})
        for timecode, feed in [
            ("20240612_041248", first),
            ("20240612_041302", second),
            ("20240612_041320", present),
            ("20240612_041335", live),
        ]:
            assert await store.load_version(746139, timecode) == feed
    checked = verify_versions(db)
    assert (checked.versions, checked.problems) == (4, [])


async def test_vacuum_compacts_and_refuses_while_the_database_is_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "live.sqlite3"
    await make_db(db)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM feed_checkpoints")
    conn.execute("DELETE FROM feed_versions")
    conn.commit()
    conn.close()
    before = db.stat().st_size
    code, out, _ = run_cli(capsys, "db", "check", "--db", str(db), "--vacuum", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["vacuumed"] is True
    assert report["file_bytes"] < before
    assert report["free_pages"] == 0

    # Another program in the middle of a write: vacuum says so instead of hanging or crashing.
    # It waits SQLite's busy timeout first (5 s, twice); a quarter second shows the same refusal.
    monkeypatch.setattr("mlbdash.ingest.store.maintenance.BUSY_TIMEOUT_S", 0.25)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    try:
        code, out, err = run_cli(capsys, "db", "check", "--db", str(db), "--vacuum")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert "while another program (an ingest?) uses it" in err
