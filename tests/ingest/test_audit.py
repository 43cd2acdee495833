"""The archive audit: stored versions against the server's list, on a real game's versions.

Versions come from the replay timeline of a real recorded final feed (feed_744914), stored
through the Store as ingest stores them; the server's list is that timeline's timecodes.
"""

from __future__ import annotations

import dataclasses
import io
import sqlite3
from pathlib import Path
from typing import Any

from conftest import fixture_path

from mlbdash.commands.db import write_audit
from mlbdash.ingest.audit import AuditReport, compare_versions
from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.data import read_json
from mlbdash.replay.timeline import FinalTimeline

GAME = 744914


def _timeline() -> FinalTimeline:
    return FinalTimeline(read_json(fixture_path("feed/feed_744914_final.json.gz")))


async def _store_versions(
    db: Path, timeline: FinalTimeline, indexes: list[int], *, full: set[int] = frozenset()
) -> None:
    """Store these versions in this order: the first whole, then diffs from the one before."""
    async with Store.open(db, clock=ManualClock(), checkpoint_every=10) as store:
        previous: int | None = None
        for index in indexes:
            feed = timeline.build(index)
            if previous is None or index in full or index != previous + 1:
                ops: list[Any] | None = None
            else:
                ops = [{"diff": timeline.diff_ops(previous)}]
            await store.store_version(
                GAME,
                timeline.timecode(index),
                "full" if ops is None else "diff",
                feed,
                ops,
                {},
            )
            previous = index


async def _audit(db: Path, server: list[str], *, final_stored: bool = False) -> Any:
    async with Store.open(db, clock=ManualClock()) as store:
        log = await store.version_log(GAME)
    return compare_versions(GAME, server, log, final_stored=final_stored)


async def test_a_complete_game_has_no_gaps(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(40)]
    await _store_versions(tmp_path / "a.sqlite3", timeline, list(range(40)))
    audit = await _audit(tmp_path / "a.sqlite3", server)
    assert audit.clean, audit.describe()
    assert (audit.server, audit.stored, audit.not_archived) == (40, 40, 0)


async def test_a_deleted_version_is_missing(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(40)]
    db = tmp_path / "a.sqlite3"
    await _store_versions(db, timeline, list(range(40)))
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "DELETE FROM feed_versions WHERE game_pk = ? AND timecode = ?",
            (GAME, timeline.timecode(13)),
        )
    conn.close()
    audit = await _audit(db, server)
    assert audit.missing == (timeline.timecode(13),)
    assert not audit.clean and f"1 missing ({timeline.timecode(13)})" in audit.describe()


async def test_extra_late_filled_and_earlier_versions(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(23)]
    db = tmp_path / "a.sqlite3"
    # Met at version 5; 12 and 13 filled in late (whole), after 14..20; 21 is not listed.
    await _store_versions(db, timeline, [*range(5, 12), *range(14, 22), 12, 13, 22], full={12, 13})
    audit = await _audit(db, server[:21] + server[22:])
    assert audit.not_archived == 5  # before the first stored version: not a gap
    assert audit.archived_from == timeline.timecode(5)
    # Said, not only counted: the row a user reads and the JSON both name them.
    assert audit.describe() == (
        f"1 extra ({timeline.timecode(21)}); 5 earlier versions not archived (met mid-game)"
    )
    assert audit.as_dict()["archived_from"] == timeline.timecode(5)
    report = AuditReport((audit,))
    assert (report.as_dict()["not_archived"], report.as_dict()["games_met_mid_game"]) == (5, 1)
    text = io.StringIO()
    write_audit(report, text)
    assert "5 earlier versions of 1 game not archived: met mid-game" in text.getvalue()
    clean = dataclasses.replace(audit, extra=())
    assert clean.describe().startswith(f"complete from {timeline.timecode(5)} on; 5 earlier")
    assert audit.extra == (timeline.timecode(21),)
    assert audit.missing == ()
    assert audit.out_of_order == ()  # the late ones are whole versions: they rebuild
    assert audit.unreadable == ()  # and the diff after them has its own checkpoint
    async with Store.open(db, clock=ManualClock()) as store:
        latest = await store.load_latest_feed(GAME)
    assert latest is not None and latest[0] == timeline.timecode(22)


async def _store_in_order(
    db: Path, timeline: FinalTimeline, log: list[tuple[int, int | None]]
) -> None:
    """Store (version, base) pairs in this order: whole when base is None, else a diff made
    on the version ``base``."""
    async with Store.open(db, clock=ManualClock(), checkpoint_every=10) as store:
        for index, base in log:
            ops = None if base is None else [{"diff": timeline.diff_ops(base)}]
            await store.store_version(
                GAME,
                timeline.timecode(index),
                "full" if ops is None else "diff",
                timeline.build(index),
                ops,
                {},
            )


async def test_a_history_backfilled_after_newer_versions_rebuilds_and_is_in_order(
    tmp_path: Path,
) -> None:
    """A game met at version 8: 8..11 live, then its history 0..7 (the first whole, each next
    a diff on the one before), with live version 12 stored amid the backfill."""
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(13)]
    db = tmp_path / "a.sqlite3"
    live = [(8, None), (9, 8), (10, 9), (11, 10)]
    history = [(0, None), (1, 0), (2, 1), (3, 2), (12, 11), (4, 3), (5, 4), (6, 5), (7, 6)]
    await _store_in_order(db, timeline, live + history)
    audit = await _audit(db, server)
    assert audit.clean, audit.describe()
    async with Store.open(db, clock=ManualClock()) as store:
        versions = {v.timecode: v for v in await store.list_versions(GAME)}
        # Diffs stay diffs; the one logged right after live 12 has its own checkpoint.
        assert versions[timeline.timecode(2)].kind == "diff"
        assert not versions[timeline.timecode(2)].checkpoint
        assert versions[timeline.timecode(4)].checkpoint
        for index in range(13):
            feed = await store.load_version(GAME, timeline.timecode(index))
            assert feed == timeline.build(index), index
        latest = await store.load_latest_feed(GAME)
        payloads = await store.version_payloads(GAME)
    assert latest is not None and latest[0] == timeline.timecode(12)
    assert [p.timecode for p in payloads] == server  # read back in time order


async def test_a_diff_logged_after_a_newer_version_is_out_of_order(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(12)]
    db = tmp_path / "a.sqlite3"
    # 10 as a diff on 9, logged after 11: the store gives it a checkpoint, so it rebuilds.
    await _store_in_order(
        db,
        timeline,
        [(0, None), *((i, i - 1) for i in (1, 2, 3, 4, 5, 6, 7, 8, 9)), (11, None), (10, 9)],
    )
    assert (await _audit(db, server)).clean
    # Without it (a database an older mlbdash wrote) its ops meet version 11 in a rebuild.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "DELETE FROM feed_checkpoints WHERE game_pk = ? AND timecode = ?",
            (GAME, timeline.timecode(10)),
        )
    conn.close()
    audit = await _audit(db, server)
    assert audit.out_of_order == (timeline.timecode(10),)
    assert not audit.clean


async def test_final_marked_but_not_stored(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(10)]
    db = tmp_path / "a.sqlite3"
    await _store_versions(db, timeline, list(range(10)))
    audit = await _audit(db, server, final_stored=True)
    assert audit.final is not None and not audit.clean
    last = len(timeline.times) - 1
    await _store_versions(db, timeline, [last], full={last})
    audit = await _audit(db, [*server, timeline.timecode(last)], final_stored=True)
    assert audit.final is None and audit.clean, audit.describe()


def test_a_final_game_with_gaps_is_incomplete_tried_again_then_left_named() -> None:
    from datetime import UTC, date, datetime

    from mlbdash.config import PollSettings
    from mlbdash.ingest.scheduler import FeedFacts, Phase, PollPolicy, Scheduler
    from mlbdash.ingest.scheduler.states import ScheduleEntry
    from mlbdash.mlb.status import classify_status

    day = date(2024, 6, 11)
    now = datetime(2024, 6, 12, 2, 0, tzinfo=UTC)
    final = classify_status("Final", "F", "F", "Final")
    sched = Scheduler(PollPolicy(PollSettings()), [day])
    entry = ScheduleEntry(
        game_pk=GAME,
        schedule_date=day,
        official_date=day,
        game_time=datetime(2024, 6, 11, 23, 5, tzinfo=UTC),
        status=final,
        away="Away",
        home="Home",
    )
    sched.apply_schedule(day, [entry], now)
    facts = FeedFacts(status=final, wait_s=10, timecode="20240612_020000", update="full")
    sched.feed_polled(GAME, facts, now)
    track = sched.tracks[GAME]
    assert track.final_stored and track.phase is Phase.RECHECK
    assert sched.coverage() == 1.0
    for attempt in range(1, sched.policy.audit_tries):
        sched.archive_audited(GAME, ("2 missing (a, b)",), now)
        assert track.phase is Phase.FINISHING and track.next_poll_at is not None, attempt
        assert sched.coverage() == 0.0 and not sched.all_stored()
        assert sched.coverage_by_date()[0].gaps[0].reason == "archive audit: 2 missing (a, b)"
    sched.archive_audited(GAME, ("2 missing (a, b)",), now)
    # Given up on for now: settled like any stored Final, still named, still a gap.
    assert track.phase is not Phase.FINISHING
    assert sched.coverage() == 0.0 and not sched.all_stored()
    sched.archive_audited(GAME, (), now, not_archived=5)
    assert sched.coverage() == 1.0
    assert track.not_archived == 5  # said in the game's row, not a gap


def test_the_audit_rule_is_a_registered_rule() -> None:
    from mlbdash.ingest.audit import AUDIT_RULE
    from mlbdash.ingest.validator.rules import RULES

    assert RULES[AUDIT_RULE].severity == "error"


async def test_the_history_of_a_game_met_mid_game_is_a_gap_until_stored(tmp_path: Path) -> None:
    timeline = _timeline()
    server = [timeline.timecode(i) for i in range(13)]
    db = tmp_path / "a.sqlite3"
    await _store_in_order(db, timeline, [(8, None), (9, 8), (10, 9), (11, 10), (12, 11)])
    async with Store.open(db, clock=ManualClock()) as store:
        log = await store.version_log(GAME)
    met = timeline.timecode(8)
    by_design = compare_versions(GAME, server, log, final_stored=False)
    assert by_design.clean and by_design.not_archived == 8  # no history owed: by design
    audit = compare_versions(GAME, server, log, final_stored=False, history_before=met)
    assert audit.history == tuple(server[:8]) and audit.not_archived == 0
    assert not audit.clean and audit.missing == ()
    assert audit.describe().startswith(
        f"history: 8 earlier versions not yet archived ({server[0]} to {server[7]})"
    )
    assert audit.as_dict()["history"] == server[:8]
