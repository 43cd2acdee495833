"""A replay server and settings on one ManualClock, for runtime tests in one process.

One recorded game (CWS @ HOU 2022-06-19, gamePk 662751) moved onto 2026-05-01; tests step
virtual time while the runtime polls over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from conftest import fixture_path

from mlbdash.config import PollSettings, Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler.summary import IngestSummary
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import ReplayServer, start_replay_server

GAME = 662751
DAY = date(2026, 5, 1)
STEP_S = 30.0


@dataclass
class Harness:
    server: ReplayServer
    clock: ManualClock
    settings: Settings
    db: Path


@asynccontextmanager
async def replay_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    data = tmp_path / "data"
    (data / "feed").mkdir(parents=True)
    shutil.copyfile(
        fixture_path("feed/feed_662751_final.json.gz"), data / "feed" / "feed_662751_final.json.gz"
    )
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(data, clock=make_clock, rebase_date=DAY) as server:
        settings = Settings(
            api_url=server.base_url,
            requests_per_second=1000,
            burst=1000,
            poll=PollSettings(final_recheck_after_s=120),
        )
        yield Harness(server, clocks[0], settings, tmp_path / "mlbdash.sqlite3")


async def drive(rt: Runtime, clock: ManualClock, run: asyncio.Task[IngestSummary]) -> None:
    """Step virtual time whenever the runtime has nothing running, until every game is done;
    the run then ends on its own (closing down takes real time, not virtual)."""
    for _ in range(2000):
        if run.done() or rt.scheduler.finished():
            await asyncio.wait({run}, timeout=30)
            return
        await rt.wait_idle()
        await clock.advance(STEP_S)
    raise AssertionError(f"the games were not done by {clock.now()}")
