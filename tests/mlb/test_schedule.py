from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.mlb.dates import league_today
from mlbdash.mlb.schedule import Schedule, ScheduleGame
from mlbdash.mlb.status import Lifecycle


def _schedule(name: str) -> Schedule:
    return Schedule.model_validate(load_fixture(f"schedule/{name}"))


def _game(schedule: Schedule, game_pk: int, listed_on: date) -> ScheduleGame:
    return next(g for d, g in schedule.games() if g.game_pk == game_pk and d == listed_on)


@pytest.mark.parametrize("rel", fixture_files("schedule"))
def test_every_real_schedule_parses(rel: str) -> None:
    raw = load_fixture(rel)
    schedule = Schedule.model_validate(raw)
    games = [g for _, g in schedule.games()]
    assert schedule.total_games == raw["totalGames"]
    assert len(games) == raw["totalGames"]
    for game in games:
        assert game.game_pk is not None and game.game_date is not None
        assert game.game_date.tzinfo is UTC
        assert game.status is not None and game.status.info.known


def test_two_postponed_on_opening_day_2022() -> None:
    schedule = _schedule("schedule_2022-04-07_2postponed.json")
    day = schedule.dates[0]
    assert day.date == date(2022, 4, 7) and day.total_games == 9
    lifecycles = Counter(g.status.lifecycle for g in day.games if g.status)
    assert lifecycles == {Lifecycle.final: 7, Lifecycle.postponed: 2}
    postponed = [g for g in day.games if g.status and g.status.lifecycle is Lifecycle.postponed]
    assert {g.game_pk for g in postponed} == {661333, 661750}
    for game in postponed:
        assert game.status is not None and game.status.reason == "Inclement Weather"
        assert game.reschedule_game_date == date(2022, 4, 8)
        # Listed under 04-07, but its official date already moved to the make-up day.
        assert game.official_date == date(2022, 4, 8)
        assert game.teams is not None and game.teams.home is not None
        assert game.teams.home.score is None
    yankees = next(g for g in postponed if g.game_pk == 661333)
    assert yankees.reschedule_date == datetime(2022, 4, 8, 17, 5, tzinfo=UTC)
    assert yankees.venue is not None and yankees.venue.name == "Yankee Stadium"


def test_pirates_777464_postponed_then_played_as_split_doubleheader_game_2() -> None:
    schedule = _schedule("schedule_team_pirates_2025_season.json.gz")
    assert len([g for _, g in schedule.games() if g.game_pk == 777464]) == 2
    before = _game(schedule, 777464, date(2025, 6, 18))
    after = _game(schedule, 777464, date(2025, 6, 19))
    assert before.status is not None and before.status.lifecycle is Lifecycle.postponed
    assert before.reschedule_date == datetime(2025, 6, 19, 22, 10, tzinfo=UTC)
    assert before.reschedule_game_date == date(2025, 6, 19)
    assert (before.double_header, before.game_number) == ("N", 1)
    assert after.status is not None and after.status.lifecycle is Lifecycle.final
    assert after.rescheduled_from == datetime(2025, 6, 18, 22, 40, tzinfo=UTC)
    assert after.rescheduled_from_date == date(2025, 6, 18)
    assert (after.double_header, after.game_number) == ("S", 2)
    assert after.description == "Makeup of 6/18 ppd"
    assert after.teams is not None and after.teams.away is not None and after.teams.home is not None
    assert after.teams.away.team is not None and after.teams.away.team.name == "Pittsburgh Pirates"
    assert (after.teams.away.score, after.teams.home.score) == (8, 4)
    assert after.teams.away.is_winner is True
    assert after.teams.away.league_record is not None
    assert after.teams.away.league_record.pct == pytest.approx(0.395)  # ".395"
    assert after.season == 2025  # "2025"


def test_team_season_lifecycles() -> None:
    schedule = _schedule("schedule_team_pirates_2025_season.json.gz")
    counts = Counter(g.status.lifecycle for _, g in schedule.games() if g.status)
    assert counts == {Lifecycle.final: 192, Lifecycle.postponed: 1, Lifecycle.cancelled: 1}


def test_off_day_is_empty() -> None:
    schedule = _schedule("schedule_2024-10-27_offday_empty_nocopyright.json")
    assert schedule.dates == []
    assert schedule.total_games == 0
    assert list(schedule.games()) == []


def test_mid_evening_slate() -> None:
    schedule = _schedule("schedule_2023-08-29_midday_live.json")
    assert schedule.total_games_in_progress == 12
    counts = Counter(g.status.lifecycle for _, g in schedule.games() if g.status)
    assert counts == {Lifecycle.live: 12, Lifecycle.pregame: 3}


def test_late_game_official_date_versus_utc_game_date() -> None:
    schedule = _schedule("schedule_2022-10-11_to_2022-10-13_postseason.json")
    nlds = _game(schedule, 715748, date(2022, 10, 11))
    assert nlds.game_date == datetime(2022, 10, 12, 1, 37, tzinfo=UTC)
    assert nlds.official_date == date(2022, 10, 11)
    assert nlds.game_date is not None and league_today(nlds.game_date) == nlds.official_date
    # This answer really sent an empty teams object.
    assert nlds.teams is not None and nlds.teams.away is None


def test_hydrated_linescore_and_decisions() -> None:
    schedule = _schedule("schedule_2026-04-20_hydrate_linescore_decisions.json.gz")
    game = _game(schedule, 824125, date(2026, 4, 20))
    assert game.linescore is not None and game.linescore.teams is not None
    assert len(game.linescore.innings) == 12 and game.linescore.current_inning == 12
    assert game.linescore.teams.away is not None and game.linescore.teams.home is not None
    assert (game.linescore.teams.away.runs, game.linescore.teams.home.runs) == (7, 5)
    assert game.decisions is not None and game.decisions.winner is not None
    assert game.decisions.winner.full_name == "Anthony Nunez"


def test_spring_tie_keeps_its_reason() -> None:
    schedule = _schedule("schedule_2026-03-14_spring_wbc_final_hydrated.json.gz")
    game = next(g for _, g in schedule.games() if g.game_pk == 831460)
    assert game.status is not None
    assert (game.status.status_code, game.status.reason) == ("FT", "Tied")
    assert game.status.lifecycle is Lifecycle.final


def test_postseason_series_answer() -> None:
    schedule = _schedule("schedule_postseason_series_2024_nocopyright.json")
    assert schedule.dates == [] and len(schedule.series) == 11
    first = schedule.series[0]
    assert first.series is not None and first.series.id == "W_1"
    assert first.games[0].game_pk == 775300
    assert first.games[0].description == "World Series Game 1"


def test_game_date_with_requested_time_zone() -> None:
    # Derived from a real entry: the same first pitch written as timeZone=-04:00 returns it.
    raw = load_fixture("schedule/schedule_2024-07-01_3games.json")
    entry = raw["dates"][0]["games"][0]
    utc = Schedule.model_validate(raw).dates[0].games[0].game_date
    assert utc is not None and entry["gameDate"].endswith("Z")
    local_text = utc.astimezone(timezone(timedelta(hours=-4))).isoformat()
    assert local_text.endswith("-04:00")
    game = ScheduleGame.model_validate(dict(entry, gameDate=local_text))
    assert game.game_date == utc and game.game_date is not None
    assert game.game_date.tzinfo is UTC


def test_resume_fields_of_a_suspended_game() -> None:
    # Derived from a real entry: no recorded schedule has a suspended game, so the resume
    # fields are added in the shape the reschedule fields have (instant + league date).
    raw = load_fixture("schedule/schedule_2024-07-01_3games.json")
    entry = dict(
        raw["dates"][0]["games"][0],
        resumeDate="2024-07-02T17:05:00Z",
        resumeGameDate="2024-07-02",
        resumedFrom="2024-07-01T17:05:00Z",
        resumedFromDate="2024-07-01",
    )
    game = ScheduleGame.model_validate(entry)
    assert game.resume_date == datetime(2024, 7, 2, 17, 5, tzinfo=UTC)
    assert game.resume_game_date == date(2024, 7, 2)
    assert game.resumed_from == datetime(2024, 7, 1, 17, 5, tzinfo=UTC)
    assert game.resumed_from_date == date(2024, 7, 1)
