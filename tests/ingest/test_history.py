"""Time travel's source: any stored version of a game, rebuilt from the archive, with how it
came and the findings first seen on it (the archive of ``archive_helpers``: 40 versions of a
real recorded game, whole feeds at 0 and 20)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from archive_helpers import COUNT, FULL_AT, GAME, STORED_AT, fill_archive

from mlbdash.errors import UsageError
from mlbdash.ingest.findings import Finding
from mlbdash.ingest.history import version_view
from mlbdash.ingest.store import Store
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.facts import version_facts
from mlbdash.replay.exact import compact


def _finding(timecode: str, actual: str) -> Finding:
    return Finding(
        rule="LINESCORE_RUNS",
        severity="error",
        category="consistency",
        game_pk=GAME,
        timecode=timecode,
        path="/liveData/linescore/teams/home/runs",
        expected="1",
        actual=actual,
        message="runs do not add up",
    )


async def test_any_version_with_how_it_came_its_moment_and_its_first_findings(
    tmp_path: Path,
) -> None:
    archived = await fill_archive(tmp_path)
    codes = [v.timecode for v in archived.versions]
    async with Store.open(archived.db, clock=ManualClock(STORED_AT)) as store:
        for code, actual in ((codes[30], "2"), (codes[33], "3")):  # seen first on 30, then 33
            async with store.transaction() as conn:
                await finding_rows.record_findings(conn, [_finding(code, actual)], now=STORED_AT)
        diff = await version_view(store, GAME, codes[30])
        whole = await version_view(store, GAME, codes[FULL_AT])
        later = await version_view(store, GAME, codes[33])
        with pytest.raises(UsageError, match="no stored version 20000101_000000"):
            await version_view(store, GAME, "20000101_000000")
    feed = archived.feeds[30]
    assert (diff.number, diff.count, diff.timecode, diff.kind) == (31, COUNT, codes[30], "diff")
    assert diff.feed is not None and compact(diff.feed) == compact(feed)
    block = (archived.versions[30].blocks or [])[0]
    assert [(op.op, op.path) for op in diff.ops] == [(o["op"], o["path"]) for o in block["diff"]]
    assert diff.ops[0].path == "/metaData/timeStamp" and diff.ops[0].value == repr(codes[30])
    assert diff.linescore == version_facts(feed).linescore
    assert diff.current_play == version_facts(feed).current_play
    assert [f.rule for f in diff.findings] == ["LINESCORE_RUNS"]
    assert later.findings == (), "seen again on 33, but first seen on 30"
    assert (whole.number, whole.kind, whole.ops) == (FULL_AT + 1, "full", ())
    assert whole.feed is not None and compact(whole.feed) == compact(archived.feeds[FULL_AT])


async def test_findings_from_before_the_upgrade_keep_their_version_when_seen_once(
    tmp_path: Path,
) -> None:
    """Schema 2 adds the version a finding was first seen on; a finding stored by schema 1
    and seen on one version only was first seen there, one seen on several is not known."""
    db = tmp_path / "old.sqlite3"
    once, twice = _finding("20260501_190000", "2"), _finding("20260501_190000", "2")
    twice = Finding(**{**_fields(twice), "path": "/liveData/linescore/teams/away/runs"})
    async with Store.open(db, clock=ManualClock(STORED_AT)) as store:
        async with store.transaction() as conn:
            await finding_rows.record_findings(conn, [once, twice], now=STORED_AT)
        again = Finding(**{**_fields(twice), "timecode": "20260501_190010"})
        async with store.transaction() as conn:
            await finding_rows.record_findings(conn, [again], now=STORED_AT)
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX findings_by_first_version")
    conn.execute("ALTER TABLE findings DROP COLUMN first_timecode")
    conn.execute("ALTER TABLE games DROP COLUMN history_before")  # schema 3's
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    async with Store.open(db, clock=ManualClock(STORED_AT)) as store:
        first = await store.findings_first_seen(GAME, "20260501_190000")
        moved = await store.findings_first_seen(GAME, "20260501_190010")
    assert [f.path for f in first] == [once.path]
    assert moved == []


def _fields(finding: Finding) -> dict[str, object]:
    return {name: getattr(finding, name) for name in Finding.__slots__}
