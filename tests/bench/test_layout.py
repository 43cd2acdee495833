"""The bench slate: every bundled game (and clone) live through the window, on a fixed date."""

from __future__ import annotations

from datetime import timedelta

from mlbdash.bench.layout import BENCH_DATE, SLATE_GAMES, BenchLayout, live_seconds
from mlbdash.replay.timeline import ClonedTimeline, FinalTimeline
from mlbdash.replay.world import CLONE_PK_BASE, World


def test_every_game_and_clone_is_live_for_the_whole_window() -> None:
    layout = BenchLayout(speed=10.0, clones=5)
    world = World(layout.options())
    start = layout.window_start
    end = start + timedelta(minutes=90)
    live = live_seconds(world, start, end)
    expected = set(SLATE_GAMES) | {CLONE_PK_BASE + n for n in range(5)}
    assert set(live) == expected
    assert all(seconds == 90 * 60 for seconds in live.values())


def test_clients_first_see_the_games_before_first_pitch() -> None:
    # No client starts mid-game: at the server's start no game has thrown a pitch yet.
    layout = BenchLayout(speed=1.0, first_pitch_s=10.0, spacing_s=1.0, clones=990,
                         clone_stagger=30 / 990)  # fmt: skip
    world = World(layout.options())
    at_start = layout.start.timestamp()
    # The two recorded live snapshots are mid-game by nature; every other game replays from
    # its first version. Shifts are whole minutes, so a first pitch may move by up to 30 s.
    firsts = [
        g.timeline.first_pitch()
        for g in world.games.values()
        if isinstance(g.timeline, FinalTimeline | ClonedTimeline)
    ]
    assert len(firsts) == 998
    assert min(firsts) > at_start - 30
    assert max(firsts) <= layout.window_start.timestamp() + 30
    assert layout.window_start - layout.start < timedelta(minutes=2)


def test_the_layout_is_on_a_fixed_date_and_round_trips_through_server_flags() -> None:
    from mlbdash.bench.server import parse

    layout = BenchLayout(speed=20.0, clones=3, clone_stagger=0.5, faults="error=0.1", seed=4)
    assert layout.start.date() == BENCH_DATE
    assert parse(layout.argv()) == layout
