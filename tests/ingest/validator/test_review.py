"""Findings in the store: dedup across versions, resolution, rechecks and the review queue."""

from __future__ import annotations

import copy
import functools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import load_fixture

from mlbdash.errors import UsageError
from mlbdash.ingest.store import Store
from mlbdash.ingest.store import findings as repo
from mlbdash.ingest.validator.corrections import CORRECTED_BY_RECHECK
from mlbdash.ingest.validator.crossref import summarize_feed
from mlbdash.ingest.validator.review import issue_events, set_review_status, validate_and_record
from mlbdash.ingest.validator.service import FeedContext
from mlbdash.mlb.clock import ManualClock

FINAL = "feed/feed_744914_final.json.gz"
START = datetime(2024, 7, 1, 21, 45, tzinfo=UTC)


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def broken_final(timecode: str, hits_off: int = 1) -> Any:
    """The real Final feed with the home 3rd-inning hits off by ``hits_off`` (derived)."""
    f = copy.deepcopy(_cached(FINAL))
    f["metaData"]["timeStamp"] = timecode
    f["liveData"]["linescore"]["innings"][2]["home"]["hits"] += hits_off
    return f


async def all_findings(store: Store) -> list[repo.FindingRecord]:
    async with store.read() as conn:
        return await repo.list_findings(conn)


async def test_same_finding_on_the_next_version_updates_one_row(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        await store.upsert_game(744914, {"away_abbrev": "HOU", "home_abbrev": "TOR"})
        first = await validate_and_record(store, broken_final("20240701_214404"))
        assert len(first.recorded.new) == 1 and first.recorded.seen_again == ()
        await clock.advance(60)
        second = await validate_and_record(store, broken_final("20240701_214504", hits_off=2))
        assert second.recorded.new == () and len(second.recorded.seen_again) == 1
        # The same version validated again is not another occurrence.
        await validate_and_record(store, broken_final("20240701_214504", hits_off=2))
        (row,) = await all_findings(store)
    assert row.rule == "LINESCORE_HITS_SUM" and row.severity == "error"
    assert row.occurrences == 2
    assert row.first_seen == START and row.last_seen == START + timedelta(seconds=60)
    assert row.timecode == "20240701_214504"
    assert (row.expected, row.actual) == ("6", "4")  # values of the latest version
    assert row.matchup == "HOU @ TOR"
    assert row.official_date == "2024-07-01"
    assert row.status == "open"


async def test_final_game_failing_a_rule_gets_a_recheck_then_clears(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        outcome = await validate_and_record(
            store, broken_final("20240701_214404"), recheck_delay_s=900
        )
        (correction,) = outcome.corrections
        assert correction.action == "recheck"
        assert correction.recheck_at == START + timedelta(minutes=15)
        async with store.read() as conn:
            assert await repo.due_rechecks(conn, START) == []
            assert await repo.due_rechecks(conn, START + timedelta(minutes=15)) == [744914]
            assert await repo.open_counts(conn) == {744914: 1}
        await clock.advance(900)
        # MLB fixed it: the re-check fetch is the real, consistent feed.
        fixed = copy.deepcopy(_cached(FINAL))
        fixed["metaData"]["timeStamp"] = "20240701_220000"
        after = await validate_and_record(store, fixed, cleared_by=CORRECTED_BY_RECHECK)
        assert after.findings == () and after.corrections == ()
        assert len(after.recorded.resolved) == 1
        (row,) = await all_findings(store)
        async with store.read() as conn:
            assert await repo.due_rechecks(conn, START + timedelta(days=1)) == []
            assert await repo.open_counts(conn) == {}
    assert row.status == "resolved"
    assert row.correction == "cleared by MLB scoring change"
    assert row.recheck_at is None


async def test_cleared_by_default_names_the_version(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        await validate_and_record(store, broken_final("20240701_214404"))
        fixed = copy.deepcopy(_cached(FINAL))
        fixed["metaData"]["timeStamp"] = "20240701_214505"
        await validate_and_record(store, fixed)
        (row,) = await all_findings(store)
    assert row.correction == "cleared on version 20240701_214505"


async def test_a_run_that_did_not_check_a_rule_does_not_resolve_it(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        earlier = copy.deepcopy(_cached(FINAL))
        earlier["metaData"]["timeStamp"] = "20240701_214500"
        # An out-of-order version: TIMECODE_INCREASES is raised only when previous is known.
        ctx = FeedContext(previous=summarize_feed(earlier))
        await validate_and_record(store, _cached(FINAL), context=ctx)
        await validate_and_record(store, _cached(FINAL))  # no previous: rule not checked
        (row,) = await all_findings(store)
    assert (row.rule, row.status) == ("TIMECODE_INCREASES", "open")


async def test_review_queue_statuses(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        await validate_and_record(store, broken_final("20240701_214404"))
        (row,) = await all_findings(store)
        assert await set_review_status(store, row.id, "acknowledged")
        await clock.advance(30)
        await validate_and_record(store, broken_final("20240701_214434"))
        (row,) = await all_findings(store)
        assert row.status == "acknowledged"  # seen again: a person's decision stands
        assert await set_review_status(store, row.id, "ignored", correction="known MLB quirk")
        assert not await set_review_status(store, 999, "resolved")
        async with store.read() as conn:
            ignored = await repo.list_findings(conn, status="ignored")
            assert await repo.list_findings(conn, status="open") == []
            assert await repo.list_findings(conn, severity="error") == ignored
            assert await repo.list_findings(conn, start=date(2024, 7, 2)) == []
        assert ignored[0].correction == "known MLB quirk"
        with pytest.raises(UsageError, match="open, acknowledged, resolved, ignored"):
            await set_review_status(store, row.id, "closed")


async def test_resolved_finding_that_returns_is_reopened(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        await validate_and_record(store, broken_final("20240701_214404"))
        fixed = copy.deepcopy(_cached(FINAL))
        fixed["metaData"]["timeStamp"] = "20240701_214405"
        await validate_and_record(store, fixed)
        await validate_and_record(store, broken_final("20240701_214406"))
        (row,) = await all_findings(store)
    assert (row.status, row.correction, row.occurrences) == ("open", None, 2)


async def test_issue_events_say_new_and_how_often(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        first = await validate_and_record(store, broken_final("20240701_214404"))
        (event,) = issue_events(first, clock.now())
        assert (event.rule, event.new, event.occurrences) == ("LINESCORE_HITS_SUM", True, 1)
        assert (event.game_pk, event.severity, event.category) == (744914, "error", "consistency")
        second = await validate_and_record(store, broken_final("20240701_214414"))
        (event,) = issue_events(second, clock.now())
        assert (event.new, event.occurrences) == (False, 2)
        # The count the store holds, not "seen before": a third version says 3.
        third = await validate_and_record(store, broken_final("20240701_214424"))
        (event,) = issue_events(third, clock.now())
        assert (event.new, event.occurrences) == (False, 3)
