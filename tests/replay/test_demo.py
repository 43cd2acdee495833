"""The bundled demo slate: real games, small, laid out as a game day."""

from __future__ import annotations

from datetime import date

from mlbdash.replay.data import load_data
from mlbdash.replay.demo import demo_data_path, demo_server_options
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


def test_layout_puts_every_game_on_today_with_final_live_and_pregame_games() -> None:
    today = date(2027, 4, 1)
    options = demo_server_options(today)
    assert options == demo_server_options(today)
    world = World(options)
    now = world.start.timestamp()
    states: dict[str, int] = {}
    for game in world.games.values():
        assert [e.listed_on for e in game.entries] == [today]
        if game.timeline is None:
            states["no feed"] = states.get("no feed", 0) + 1
            continue
        state = game.timeline.status(game.index_at(now))["abstractGameState"]
        states[state] = states.get(state, 0) + 1
    assert states["Final"] >= 2 and states["Live"] >= 3 and states["Preview"] >= 2
    assert states["no feed"] == 2  # the two postponed games from a real schedule
