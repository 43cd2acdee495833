from __future__ import annotations

import pytest
from textual.pilot import Pilot

from mlbdash.ui.app import RUNTIME_WORKER, MlbdashApp

from .fakes import FakeSource


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
def app(source: FakeSource) -> MlbdashApp:
    app = MlbdashApp(source, clock=source.clock)
    # Paint each event at once, so a test sees its effect after one pause (the throttle
    # itself is tested on its own).
    app.dashboard.games_refresh_s = 0
    return app


async def settle(pilot: Pilot[None]) -> None:
    """Wait for short workers (not the long-lived pipeline run) and the repaint after them."""
    for _ in range(20):
        busy = [w for w in pilot.app.workers if w.name != RUNTIME_WORKER and not w.is_finished]
        if not busy:
            break
        await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()
    await pilot.pause()
