"""The bundled demo slate: real games, small, laid out as a game day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mlbdash.config import AlertSettings
from mlbdash.ingest.validator.consistency import check_feed
from mlbdash.replay.data import load_data
from mlbdash.replay.demo import (
    DEMO_ALERTS,
    DRIFT_GAME,
    FROZEN_GAME,
    SCORING_GAME,
    SCORING_WINDOW,
    demo_data_path,
    demo_server_options,
)
from mlbdash.replay.world import World


def test_slate_is_small_gzip_and_documented() -> None:
    root = demo_data_path()
    files = [p for p in root.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 5 * 1024 * 1024
    assert all(p.name.endswith(".json.gz") for p in files if p.suffix != ".md")
    sources = (root / "SOURCES.md").read_text()
    data = load_data(root)
    games = set(data.finals) | set(data.snapshots)
    assert len(games) >= 10
    assert all(str(pk) in sources for pk in games)
    assert "mlb-gameday-bot" not in sources.split("## Why")[0], "no GPL-sourced file shipped"


def test_full_layout_puts_every_recording_on_today_with_final_live_and_pregame_games() -> None:
    today = date(2027, 4, 1)
    options = demo_server_options(today, plan=False)
    assert options == demo_server_options(today, plan=False)
    world = World(options)
    states = _states(world)
    assert states["Final"] >= 2 and states["Live"] >= 3 and states["Preview"] >= 2
    assert states["no feed"] == 2  # the two postponed games from a real schedule


def _states(world: World) -> dict[str, int]:
    now = world.start.timestamp()
    states: dict[str, int] = {}
    for game in world.games.values():
        assert [e.listed_on for e in game.entries] == [world.options.rebase_date]
        if game.timeline is None:
            states["no feed"] = states.get("no feed", 0) + 1
            continue
        state = game.timeline.status(game.index_at(now))["abstractGameState"]
        states[state] = states.get(state, 0) + 1
    return states


def test_demo_slate_has_each_team_once_and_every_kind_of_game() -> None:
    world = World(demo_server_options(date(2027, 4, 1)))
    teams: list[str] = []
    for game in world.games.values():
        assert game.timeline is not None
        final = game.timeline.build(len(game.timeline.times) - 1)["gameData"]["teams"]
        teams += [final["away"]["abbreviation"], final["home"]["abbreviation"]]
    assert len(teams) == len(set(teams)), "no team plays two games at once"
    states = _states(world)
    assert states == {"Final": 1, "Live": 5}  # one of the five still in Warmup


def _at(world: World, game_pk: int, offset_s: float) -> dict[str, Any]:
    game = world.games[game_pk]
    assert game.timeline is not None
    return game.timeline.build(game.index_at(world.start.timestamp() + offset_s))


def test_plan_drifts_one_feed_and_miscounts_a_score_that_a_later_version_corrects() -> None:
    world = World(demo_server_options(date(2027, 4, 1)))
    drifted = _at(world, DRIFT_GAME, 0)["gameData"]
    assert "weatherReport" in drifted and "weather" not in drifted

    def check(offset_s: float) -> list[str]:
        return sorted({f.rule for f in check_feed(_at(world, SCORING_GAME, offset_s))})

    start, end = (int(t.total_seconds()) for t in SCORING_WINDOW)
    assert check(start - 1) == []
    wrong = [check(s) for s in range(start, end)]
    assert "LINESCORE_RUNS_SUM" in wrong[-1], "the window holds an edited version"
    assert check(end + 30) == [], "a later version corrects it"


def test_plan_throttles_the_api_and_freezes_one_feed() -> None:
    options = demo_server_options(date(2027, 4, 1))
    (window,) = options.faults.throttles
    assert timedelta(0) < window.start < timedelta(minutes=2)  # type: ignore[operator]
    assert options.faults.retry_after > 1
    frozen = World(options).games[FROZEN_GAME].timeline
    assert frozen is not None and len(frozen.times) == 1, "a snapshot that never advances"


def test_demo_alert_settings_let_the_throttled_alert_resolve_within_three_minutes() -> None:
    """The dashboard's demo settings: the last 429 leaves the rate window and the hold has
    passed before 3:00 (with the live defaults, 300 + 300 s, it would be 12 minutes in)."""
    alerts = AlertSettings.model_validate(DEMO_ALERTS)
    (window,) = demo_server_options(date(2027, 4, 1)).faults.throttles
    assert isinstance(window.start, timedelta)
    last_429 = window.start + window.duration
    resolved = last_429 + timedelta(seconds=alerts.rate_window_s + alerts.resolve_hold_s)
    assert resolved <= timedelta(minutes=3)
    assert AlertSettings().rate_window_s == AlertSettings().resolve_hold_s == 300.0
