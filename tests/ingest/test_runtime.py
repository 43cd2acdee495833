"""The runtime end to end in one process: replay server and ingest on one ManualClock.

One recorded game (CWS @ HOU 2022-06-19, gamePk 662751, moved onto 2026-05-01) is met live and
followed to Final; the test steps virtual time while the runtime polls over loopback HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import load_fixture
from runtime_harness import DAY, GAME, Harness, drive, replay_harness

from mlbdash.errors import UsageError
from mlbdash.ingest.events import Event, GameStateChanged, GameUpdated, RequestFinished
from mlbdash.ingest.follower import HISTORY_CHUNK, HISTORY_MAX_VERSIONS
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.store import Store
from mlbdash.ingest.validator.export import ExportError
from mlbdash.mlb.clock import ManualClock


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with replay_harness(tmp_path) as built:
        yield built


async def test_a_game_followed_to_final_is_stored_validated_and_reported(
    harness: Harness, tmp_path: Path
) -> None:
    clock = harness.clock
    await clock.advance(75 * 60)  # first pitch is 30 min after the start: an hour into the game
    events: list[Event] = []
    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        unsubscribe = rt.subscribe(events.append)
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        summary = await run
        unsubscribe()

        assert summary.complete and summary.exit_code == 0
        assert summary.stop_reason == "done"
        assert summary.coverage == 1.0
        (game,) = summary.games
        recorded = load_fixture("feed/feed_662751_final.json.gz")["liveData"]["linescore"]
        assert (game.away_score, game.home_score) == (
            recorded["teams"]["away"]["runs"],
            recorded["teams"]["home"]["runs"],
        )
        assert (game.away, game.home, game.state) == ("CWS", "HOU", "final")
        # Met an hour in: archived from the present first (the first version logged), its
        # history fetched in the background after: every version the server lists is stored.
        timestamps = await rt.client.timestamps(GAME)
        versions = await rt.store.list_versions(GAME)  # in time order
        stored = [v.timecode for v in versions]
        assert stored == timestamps
        logged = [v.timecode for v in sorted(versions, key=lambda v: v.id)]
        met = timestamps.index(logged[0])
        assert met > HISTORY_MAX_VERSIONS
        record = await rt.store.get_game(GAME)
        assert record is not None and record.history_before == logged[0]
        # Until it was all stored the game said so, and was not complete.
        owed = [
            e.row.archive_gaps
            for e in events
            if isinstance(e, GameUpdated) and e.game_pk == GAME and e.row.archive_gaps
        ]
        assert owed and owed[0].startswith("history: ")
        assert f"{met - HISTORY_CHUNK} earlier versions not yet archived" in owed[0]
        assert game.versions == len(stored)
        assert summary.updates["full"] + summary.updates["diff"] == game.versions

        # Events for the dashboard: state changes with their source, rows with scores.
        changes = [e for e in events if isinstance(e, GameStateChanged)]
        first = changes[0]
        assert (first.old, first.new, first.source) == (None, "live", "schedule")
        assert changes[-1].new == "final"
        updates = [e for e in events if isinstance(e, GameUpdated) and e.game_pk == GAME]
        assert updates[-1].row.state == "final" and updates[-1].row.versions == game.versions
        assert updates[-1].row.archive_gaps is None
        requests = [e for e in events if isinstance(e, RequestFinished)]
        assert len(requests) == summary.requests["total"]

        # What the store keeps: transitions with source, the request log, final stored.
        history = await rt.store.state_history(GAME)
        assert [h.state for h in history][-1] == "final"
        assert {h.source for h in history} <= {"schedule", "feed"}
        record = await rt.store.get_game(GAME)
        assert record is not None and record.final_stored and record.done
        assert record.versions == game.versions
        counts = await rt.store.table_counts()
        assert counts["requests"] == summary.requests["total"]

        # The dashboard's calls.
        snap = rt.snapshot()
        assert snap.league_dates == ("2026-05-01",)
        (row,) = snap.games
        assert row.final_stored and row.state == "final" and row.versions == game.versions
        detail = await rt.game_detail(GAME)
        assert detail.linescore is not None
        assert len(detail.linescore.innings) == len(recorded["innings"])
        assert detail.timeline[-1].state == "final"
        assert detail.polls and detail.feed is not None
        # The version strip's marks: every stored version, in order, with how it came.
        assert len(detail.versions) == game.versions
        assert detail.versions[0].kind == "full"
        assert [v.timecode for v in detail.versions] == sorted(v.timecode for v in detail.versions)
        out = tmp_path / "findings.csv"
        assert await rt.export_validation_csv(out) == 0, out.read_text()  # header only
        assert out.read_text(encoding="utf-8").startswith("game_pk,")
        with pytest.raises(ExportError):
            await rt.export_validation_csv(out)
        with pytest.raises(UsageError):
            await rt.set_finding_status(999_999, "acknowledged")
        with pytest.raises(UsageError):
            await rt.acknowledge_alert(999_999)
        with pytest.raises(UsageError):
            await rt.game_detail(1)


async def test_restart_takes_over_a_finished_game_without_polling_it(harness: Harness) -> None:
    clock = harness.clock
    await clock.advance(6 * 3600)  # long after the game ended
    settings = harness.settings
    async with Runtime(
        settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        first = await run
    assert first.complete
    assert first.games[0].versions == 1  # met already over: its final feed only
    async with Runtime(
        settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        second = await run
    assert second.complete and second.coverage == 1.0
    assert second.requests["by_kind"] == {"schedule": 1}  # done games cost nothing
    assert second.games[0].versions == 1


async def test_refresh_now_and_stop(harness: Harness) -> None:
    clock = harness.clock
    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run())
        await _drive_until(rt, clock, lambda: rt.ledger.by_kind.get("schedule", 0) >= 1)
        before = rt.ledger.by_kind["schedule"]
        await rt.refresh_now()
        await _drive_until(rt, clock, lambda: rt.ledger.by_kind["schedule"] > before, step=0)
        rt.stop()
        summary = await run
    assert summary.stop_reason == "stopped"
    assert not summary.complete and summary.exit_code == 1  # the game is still to come


async def _drive_until(rt: Runtime, clock: ManualClock, done: object, step: float = 1.0) -> None:
    assert callable(done)
    for _ in range(200):
        await rt.wait_idle()
        if done():
            return
        await clock.advance(step)
    raise AssertionError("condition not reached")


async def test_follow_picks_up_the_next_league_date(harness: Harness) -> None:
    clock = harness.clock
    await clock.advance(6 * 3600)  # the evening's game is over: 04:40 UTC, still May 1 in ET
    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(follow=True))
        await _drive_until(rt, clock, lambda: rt.ledger.by_kind.get("schedule", 0) >= 1)
        assert rt.league_dates == ("2026-05-01",)
        assert rt.league_dates == ("2026-05-01",)
        await _drive_until(rt, clock, lambda: rt.scheduler.all_stored())
        # The league's day turns over at 06:00 Eastern (10:00 UTC): a new date is tracked
        # and its schedule read; the first date, all its games over and stored, is let go
        # of (a season of finished dates must not pile up in memory).
        await _drive_until(rt, clock, lambda: "2026-05-02" in rt.league_dates, step=600)
        assert rt.league_dates == ("2026-05-02",)
        assert clock.now().hour >= 10
        rt.stop()
        summary = await run
    assert summary.dates == ("2026-05-02",)
    assert summary.extra["retired_dates"] == {"2026-05-01": 1}
    async with Store.open(harness.db, clock=clock) as store:
        game = await store.get_game(GAME)
    assert game is not None and game.final_stored and game.done


async def test_a_restart_resumes_the_history_of_a_game_met_mid_game(harness: Harness) -> None:
    """Stopped while the history of a game met mid-game is being fetched: the summary names
    what is owed and is not complete; the next run takes the history up where it was left."""
    clock = harness.clock
    await clock.advance(75 * 60)  # an hour into the game
    tracked = TrackedDates.single(DAY)

    def polls(rt: Runtime) -> int:
        track = rt.scheduler.tracks.get(GAME)
        return track.polls if track is not None else 0

    def owed(rt: Runtime) -> str | None:
        rows = rt.snapshot().games
        return rows[0].archive_gaps if rows else None

    async with Runtime(harness.settings, clock=clock, tracked=tracked, db_path=harness.db) as rt:
        run = asyncio.create_task(rt.run())
        await _drive_until(rt, clock, lambda: (owed(rt) or "").startswith("history: "))
        server = await rt.client.timestamps(GAME)
        rt.stop()
        first = await run
    assert not first.complete
    (gap,) = first.gaps
    assert "archive audit: history: " in gap["reason"]
    assert "earlier versions not yet archived" in first.games[0].archive_gaps
    async with Store.open(harness.db, clock=clock) as store:
        record = await store.get_game(GAME)
        stored = [v.timecode for v in await store.list_versions(GAME)]
    assert record is not None and record.history_before is not None
    met = server.index(record.history_before)
    assert 0 < len([t for t in stored if t < record.history_before]) < met

    async with Runtime(harness.settings, clock=clock, tracked=tracked, db_path=harness.db) as rt:
        run = asyncio.create_task(rt.run())
        await _drive_until(rt, clock, lambda: owed(rt) is None and polls(rt) > 1)
        rt.stop()
        await run
        stored = [v.timecode for v in await rt.store.list_versions(GAME)]
    assert stored[: met + 1] == server[: met + 1]  # every version up to the one met at
