"""Time travel in the game screen: step through a game's stored versions and back."""

from __future__ import annotations

from textual.widgets import Static

from mlbdash.ui.app import MlbdashApp
from mlbdash.ui.screens.dashboard import DashboardScreen
from mlbdash.ui.screens.detail import GameDetailScreen
from mlbdash.ui.widgets.feedtree import FeedTree
from mlbdash.ui.widgets.versions import VersionStrip

from .conftest import settle
from .fakes import FakeSource

GAME = 746139  # 178 fake versions: whole feeds at 0, 80 and 160, findings on 59 and 118
COUNT = 178


def _said(screen: GameDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_arrows_brackets_home_and_end_step_through_the_stored_versions(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GameDetailScreen)
        strip = screen.query_one(VersionStrip)
        assert screen.query_one("#travel").display is False
        assert strip.selected is None

        await pilot.press("left")
        await settle(pilot)
        assert strip.selected == COUNT - 2
        travel = _said(screen, "#travel")
        assert f"version {COUNT - 1} of {COUNT}" in travel
        assert "diff: 2 operations" in travel and "/liveData/linescore/outs" in travel
        assert f"Version {COUNT - 1} of {COUNT}" in _said(screen, "#current-play")
        assert source.version_calls[-1] == (GAME, screen.detail.versions[COUNT - 2].timecode)

        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert strip.selected == COUNT - 22
        await pilot.press("right_square_bracket", "right")
        await settle(pilot)
        assert strip.selected == COUNT - 11

        await pilot.press("home")
        await settle(pilot)
        assert strip.selected == 0
        assert "whole feed" in _said(screen, "#travel")
        await pilot.press("left")
        await settle(pilot)
        assert strip.selected == 0, "stepping stops at the first version"

        await pilot.press("end", "right")
        await settle(pilot)
        assert strip.selected == COUNT - 1
        assert f"version {COUNT} of {COUNT}" in _said(screen, "#travel")

        # Esc returns to the present first, then to the dashboard.
        await pilot.press("escape")
        await settle(pilot)
        assert screen.travel is None and strip.selected is None
        assert screen.query_one("#travel").display is False
        assert "Batter Timeout." in _said(screen, "#current-play")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_a_version_shows_the_findings_first_seen_on_it_and_its_feed(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GameDetailScreen)
        await pilot.press("home", *["right_square_bracket"] * 5, *["right"] * 9)
        await settle(pilot)
        assert screen.query_one(VersionStrip).selected == 59
        travel = _said(screen, "#travel")
        assert "first seen here: " in travel
        first = next(f for f in source.findings if f.game_pk == GAME)
        assert first.rule in travel
        tree = screen.query_one(FeedTree)
        assert screen.version is not None and tree.root.data is screen.version.feed
        # Only the selected version is loaded, however fast the keys came.
        assert source.version_calls[-1][1] == screen.detail.versions[59].timecode
