"""Screenshots of the demo after its scripted trouble, at a roomy and a small terminal.

The real demo pipeline (tests/ui/demo_source.py: replay server with the plan of trouble,
runtime, database) runs once on a ManualClock to 2:40 virtual, after the 429 window (1:20 to
1:50) and the throttled alert's resolution; the dashboard then paints what it holds: the
drift's info finding, the scoring inconsistency's error findings (corrected by a later version),
the frozen feed's alert and the budget recovering from its back-off.
Regenerate with ``pytest tests/ui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from mlbdash.replay.demo import SCORING_GAME
from mlbdash.ui.app import MlbdashApp

from .conftest import settle
from .demo_source import DemoState, HeldDemo, run_demo_until

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]
SnapCompare = Any
AT_S = 160.0  # 2:40


@pytest.fixture(scope="module")
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoState]:
    folder = tmp_path_factory.mktemp("demo")
    yield asyncio.run(run_demo_until(Path(folder), AT_S))


def _app(state: DemoState) -> MlbdashApp:
    source = HeldDemo(state)
    app = MlbdashApp(source, clock=source.clock)
    app.dashboard.games_refresh_s = 0
    return app


def test_the_demo_state_holds_every_kind_of_trouble(demo_state: DemoState) -> None:
    snap = demo_state.snapshot
    rules = {f.rule for f in snap.findings}
    assert {"FIELDS_DRIFTED", "LINESCORE_RUNS_SUM", "SCORE_DROP_UNEXPLAINED"} <= rules
    firing = {a.rule for a in snap.alerts if a.state == "firing"}
    assert {"frozen_feed", "error_finding"} <= firing
    assert "throttled" not in firing  # fired in the 429 window, resolved by 2:40
    assert snap.budget is not None and snap.budget.throttled_total >= 5
    assert snap.budget.rate_per_s < snap.budget.nominal_rate_per_s  # still recovering


@pytest.mark.parametrize("size", SIZES)
def test_demo_dashboard_after_trouble(
    snap_compare: SnapCompare, size: tuple[int, int], demo_state: DemoState
) -> None:
    async def painted(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(_app(demo_state), terminal_size=size, run_before=painted)


def test_demo_game_screen_of_the_corrected_score(
    snap_compare: SnapCompare, demo_state: DemoState
) -> None:
    row = next(i for i, g in enumerate(demo_state.snapshot.games) if g.game_pk == SCORING_GAME)

    async def opened(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*["j"] * row, "enter")
        await settle(pilot)

    assert snap_compare(_app(demo_state), terminal_size=(120, 40), run_before=opened)
