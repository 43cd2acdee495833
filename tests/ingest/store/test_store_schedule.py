"""Schedule rows (a gamePk on several dates), raw snapshots, coverage; games and the state log."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import fixture_bytes, load_fixture
from store_helpers import START, sqlite_rows

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.store import RequestBuffer, ScheduleEntry, Store
from mlbdash.mlb.clock import ManualClock

PIRATES = "schedule/schedule_team_pirates_2025_season.json.gz"


def entries_of(schedule: dict[str, Any]) -> list[ScheduleEntry]:
    """What the scheduler stores for each game of a real schedule response."""
    out = []
    for day in schedule["dates"]:
        for game in day["games"]:
            status = game["status"]
            out.append(
                ScheduleEntry(
                    game_pk=game["gamePk"],
                    official_date=date.fromisoformat(day["date"]),
                    game_date=datetime.fromisoformat(game["gameDate"]),
                    game_official_date=date.fromisoformat(game["officialDate"]),
                    game_type=game.get("gameType"),
                    game_number=game.get("gameNumber"),
                    double_header=game.get("doubleHeader"),
                    start_time_tbd=status.get("startTimeTBD"),
                    status_code=status.get("statusCode"),
                    coded_game_state=status.get("codedGameState"),
                    detailed_state=status.get("detailedState"),
                    abstract_game_state=status.get("abstractGameState"),
                    reason=status.get("reason"),
                    reschedule_date=game.get("rescheduleDate"),
                    reschedule_game_date=game.get("rescheduleGameDate"),
                    rescheduled_from=game.get("rescheduledFrom"),
                    rescheduled_from_date=game.get("rescheduledFromDate"),
                    description=game.get("description"),
                    scheduled_innings=game.get("scheduledInnings"),
                )
            )
    return out


async def test_postponed_game_sits_on_both_dates(tmp_path: Path) -> None:
    entries = entries_of(load_fixture(PIRATES))
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        assert await store.upsert_schedule_games(entries) == len(entries)
        assert await store.dates_of_game(777464) == [date(2025, 6, 18), date(2025, 6, 19)]
        june18 = await store.schedule_for_date(date(2025, 6, 18))
        june19 = await store.schedule_for_date(date(2025, 6, 19))
    [postponed] = [e for e in june18 if e.game_pk == 777464]
    assert (postponed.detailed_state, postponed.reason) == ("Postponed", "Inclement Weather")
    assert postponed.reschedule_game_date == "2025-06-19"
    assert postponed.game_official_date == date(2025, 6, 19)
    assert [(e.game_pk, e.game_number, e.double_header) for e in june19] == [
        (777451, 1, "S"),
        (777464, 2, "S"),
    ]
    assert june19[1].rescheduled_from_date == "2025-06-18"
    assert june19[1].description == "Makeup of 6/18 ppd"
    assert june19[1].game_date == datetime(2025, 6, 19, 22, 10, tzinfo=UTC)


async def test_schedule_refresh_updates_rows_in_place(tmp_path: Path) -> None:
    before = entries_of(load_fixture("schedule/schedule_2026-03-14_spring_wbc_scheduled.json"))
    after = entries_of(
        load_fixture("schedule/schedule_2026-03-14_spring_wbc_final_hydrated.json.gz")
    )
    path = tmp_path / "db.sqlite3"
    clock = ManualClock(START)
    async with Store.open(path, clock=clock) as store:
        await store.upsert_schedule_games(before)
        await clock.advance(3600)
        await store.upsert_schedule_games(after)
        rows = await store.schedule_for_date(date(2026, 3, 14))
    assert len(rows) == len({(e.game_pk, e.official_date) for e in after}) == 19
    assert {e.abstract_game_state for e in rows} == {"Final"}
    seen = sqlite_rows(path, "SELECT DISTINCT seen_at FROM schedule_games")
    assert seen == [("2024-06-12T05:12:48.000+00:00",)]


async def test_coverage_counts_played_games_and_stored_finals(tmp_path: Path) -> None:
    entries = entries_of(load_fixture(PIRATES))
    final = load_fixture("feed/feed_744914_final.json.gz")
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        await store.upsert_schedule_games(entries)
        # Only the makeup game's Final feed is stored (the real feed of another game stands in).
        await store.store_version(777464, "20250620_010000", "full", final, None, {})
        june18 = await store.coverage(date(2025, 6, 18))
        june19 = await store.coverage(date(2025, 6, 19))
        off_day = await store.coverage(date(2025, 1, 1))
    assert (june18.scheduled, june18.not_played, june18.expected_final) == (1, 1, 0)
    assert june18.ratio == 1.0
    assert (june19.scheduled, june19.expected_final, june19.final_stored) == (2, 2, 1)
    assert june19.missing == (777451,)
    assert june19.ratio == 0.5
    assert (off_day.scheduled, off_day.ratio) == (0, 1.0)


async def test_schedule_snapshot_kept_only_when_the_body_changes(tmp_path: Path) -> None:
    body_a = fixture_bytes("schedule/schedule_2026-03-14_spring_wbc_scheduled.json")
    body_b = fixture_bytes("schedule/schedule_2026-03-14_spring_wbc_final_hydrated.json.gz")
    query = "sportId=1&date=2026-03-14"
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        assert await store.store_schedule_snapshot(query, body_a)
        assert not await store.store_schedule_snapshot(query, body_a)
        assert await store.store_schedule_snapshot("sportId=1&date=2026-03-15", body_a)
        assert await store.store_schedule_snapshot(query, body_b)
        assert await store.store_schedule_snapshot(query, body_a)  # changed back: a change
    rows = sqlite_rows(path, "SELECT query, length(body) FROM schedule_snapshots ORDER BY id")
    assert [q for q, _ in rows] == [query, "sportId=1&date=2026-03-15", query, query]
    raw_sizes = [len(body_a), len(body_a), len(body_b), len(body_a)]
    assert all(size < raw / 3 for (_, size), raw in zip(rows, raw_sizes, strict=True))


async def test_state_log_skips_repeats(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        assert await store.record_state(
            1, state="scheduled", detailed_state="Scheduled", status_code="S", source="schedule"
        )
        assert not await store.record_state(
            1, state="scheduled", detailed_state="Scheduled", status_code="S", source="feed"
        )
        await clock.advance(60)
        assert await store.record_state(
            1,
            state="delayed",
            detailed_state="Delayed Start: Rain",
            status_code="PR",
            source="feed",
        )
        history = await store.state_history(1)
        # An unknown source is a programming error: it surfaces as such, not as a StoreError.
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
            await store.record_state(
                1, state="live", detailed_state="In Progress", status_code="I", source="radio"
            )
        assert len(await store.state_history(1)) == 2
    assert [(h.state, h.source) for h in history] == [
        ("scheduled", "schedule"),
        ("delayed", "feed"),
    ]
    assert history[1].at - history[0].at == timedelta(seconds=60)


async def test_games_row_upsert_and_polls(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock) as store:
        await store.upsert_game(745646, {"away_abbrev": "NYY", "state": "scheduled"})
        await store.upsert_game(745646, {"state": "live", "recheck_at": clock.now()})
        await store.record_poll(745646, success=True)
        await clock.advance(10)
        await store.record_poll(745646, success=False)
        await store.record_poll(1, success=False)
        game = await store.get_game(745646)
        listed = await store.list_games()
    assert game is not None
    assert (game.away_abbrev, game.state, game.polls, game.versions) == ("NYY", "live", 2, 0)
    assert game.last_success_at == START and game.last_poll_at == START + timedelta(seconds=10)
    assert game.recheck_at == START
    assert [g.game_pk for g in listed] == [1, 745646]


async def test_request_log_batches_and_pruning(tmp_path: Path) -> None:
    clock = ManualClock(START)
    buffer = RequestBuffer(max_pending=300)
    for n in range(400):
        buffer.add(
            RequestFinished(
                START + timedelta(seconds=n),
                "feed",
                f"http://127.0.0.1:8080/api/v1.1/game/{n}/feed/live",
                200 if n % 10 else 503,
                0.0125,
                1200,
                9000,
                retries=n % 3,
                error=None if n % 10 else "HTTP 503",
            )
        )
    assert (len(buffer), buffer.dropped) == (300, 100)
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=clock) as store:
        assert await store.flush_requests(buffer) == 300
        assert len(buffer) == 0
        assert await store.prune_requests(START + timedelta(seconds=150)) == 50
    rows = sqlite_rows(path, "SELECT COUNT(*), MIN(latency_ms), SUM(status = 503) FROM requests")
    assert rows == [(250, 12.5, 25)]
    assert json.loads(json.dumps(rows))  # plain values, no blobs
