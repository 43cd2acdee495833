"""Screenshots of the dashboard and the game detail, at a roomy and a small terminal.

Fixed clock and data (tests/ui/fakes.py); regenerate with ``pytest tests/ui --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from mlbdash.ui.app import MlbdashApp

from .conftest import settle
from .fakes import FakeSource

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]
SnapCompare = Any


def _app() -> MlbdashApp:
    source = FakeSource()
    return MlbdashApp(source, clock=source.clock)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_game_detail(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def open_live_game(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=size, run_before=open_live_game)


def test_game_detail_feed_tree(snap_compare: SnapCompare) -> None:
    async def open_feed(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        await pilot.press("4", "down", "down", "down", "down", "down", "enter")
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=open_feed)


def test_dashboard_light_theme(snap_compare: SnapCompare) -> None:
    async def light(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=light)


def test_help_screen(snap_compare: SnapCompare) -> None:
    async def help_open(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=help_open)
