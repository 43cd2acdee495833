"""A recorded live snapshot served by the replay server never changes: frozen_feed fires.

The replay server serves a game known only from one live snapshot as that snapshot for ever
(In Progress, the same ``metaData.timeStamp``): the frozen feed the demo shows.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import date, datetime
from pathlib import Path

from conftest import fixture_path

from mlbdash.config import Settings
from mlbdash.ingest.events import AlertChanged, Event
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import start_replay_server

SNAPSHOT = "feed/feed_776567_live_t1_20250827_231301.json.gz"
GAME = 776567
DAY = date(2026, 5, 1)


async def test_a_live_game_whose_feed_stands_still_fires_frozen_feed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "feed").mkdir(parents=True)
    shutil.copyfile(fixture_path(SNAPSHOT), data / "feed" / Path(SNAPSHOT).name)
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(data, clock=make_clock, rebase_date=DAY) as server:
        clock = clocks[0]
        settings = Settings.model_validate(
            {
                "api_url": server.base_url,
                "requests_per_second": 1000,
                "burst": 1000,
                "alerts": {"frozen_feed_s": 300},
            }
        )
        alerts: list[AlertChanged] = []

        def watch(event: Event) -> None:
            if isinstance(event, AlertChanged) and event.rule == "frozen_feed":
                alerts.append(event)

        async with Runtime(
            settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=tmp_path / "db"
        ) as rt:
            rt.subscribe(watch)
            run = asyncio.create_task(rt.run())
            for _ in range(200):
                await rt.wait_idle()
                await rt.monitor.tick()  # the runtime's own tick runs on real time
                if any(a.state == "firing" for a in alerts):
                    break
                await clock.advance(10)
            rt.stop()
            await run
            versions = rt.scheduler.tracks[GAME].versions
    assert [(a.key, a.state) for a in alerts] == [(str(GAME), "pending"), (str(GAME), "firing")]
    assert "In Progress but its feed has not changed for 5 min of play" in alerts[-1].message
    assert versions == 1
