"""The runtime against an API that refuses every connection (port 9 on the loopback).

The first failed schedule read (after its retries) is enough for the health checks to name
the cause and since when; the schedule is asked again after 5, 10, 20... seconds, not the idle
15 minutes; a refresh says it failed and why; coverage stays unknown.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlbdash.config import Settings
from mlbdash.errors import MlbdashError
from mlbdash.ingest.events import Event, RequestFinished
from mlbdash.ingest.retry import RetryPolicy, no_wait
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.mlb.clock import ManualClock

DAY = date(2024, 8, 13)
START = datetime(2024, 8, 13, 16, 0, tzinfo=UTC)  # 12:00 ET


class ScheduleReads:
    def __init__(self) -> None:
        self.finished: list[RequestFinished] = []
        self.changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RequestFinished) and event.kind == "schedule":
            self.finished.append(event)
            self.changed.set()

    async def until(self, n: int) -> None:
        while len(self.finished) < n:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)


async def test_an_unreachable_api_is_named_at_once_and_retried_soon(tmp_path: Path) -> None:
    clock = ManualClock(START)
    settings = Settings(api_url="http://127.0.0.1:9/api")
    reads = ScheduleReads()
    async with Runtime(
        settings,
        clock=clock,
        tracked=TrackedDates.single(DAY),
        db_path=tmp_path / "db.sqlite3",
        retry=RetryPolicy(attempts=3, sleep=no_wait),
    ) as rt:
        rt.subscribe(reads)
        run = asyncio.create_task(rt.run())
        await reads.until(1)
        await rt.wait_idle()
        assert reads.finished[0].error == "connection refused by 127.0.0.1:9"
        assert reads.finished[0].retries == 2
        checks = {c.name: c for c in rt.monitor.checks()}
        api, schedule = checks["api_reachable"], checks["schedule"]
        assert api.status == "failing"
        assert api.reason.startswith("unreachable since 12:00:00 ET (0s): connection refused")
        assert schedule.status == "failing"
        assert schedule.reason == (
            "2024-08-13 never read: connection refused by 127.0.0.1:9 "
            "(since 12:00:00 ET, 1 try; next try in 5s)"
        )
        assert rt.snapshot().coverage is None

        await clock.advance(4)
        await rt.wait_idle()
        assert len(reads.finished) == 1
        await clock.advance(1)  # 5 s after the first failure
        await reads.until(2)
        await rt.wait_idle()
        await clock.advance(10)  # then 10 s
        await reads.until(3)
        await rt.wait_idle()
        assert [r.at for r in reads.finished] == [
            START,
            START.replace(second=5),
            START.replace(second=15),
        ]

        with pytest.raises(MlbdashError) as refused:
            await rt.refresh_now()
        assert refused.value.message == (
            "schedule of 2024-08-13 not read: connection refused by 127.0.0.1:9"
        )
        assert len(reads.finished) == 4  # the refresh asked at once
        rt.stop()
        summary = await run
    assert summary.coverage is None and not summary.complete
    assert summary.stop_reason == "stopped"  # a run without --until-done never gives up


async def test_until_done_gives_up_but_follow_keeps_trying(tmp_path: Path) -> None:
    for follow, expected in ((False, "gave_up"), (True, "stopped")):
        clock = ManualClock(START)
        reads = ScheduleReads()
        async with Runtime(
            Settings(api_url="http://127.0.0.1:9/api"),
            clock=clock,
            tracked=TrackedDates.single(DAY, follow=follow),
            db_path=tmp_path / f"{follow}.sqlite3",
            retry=RetryPolicy(attempts=1, sleep=no_wait),
        ) as rt:
            rt.subscribe(reads)
            run = asyncio.create_task(rt.run(until_done=True, follow=follow, give_up_after_s=30.0))
            await reads.until(1)
            await rt.wait_idle()
            await clock.advance(40)  # the next read fails too, 40 s after the first
            if follow:
                for n in (2, 3):
                    await reads.until(n)
                    await rt.wait_idle()
                    assert not run.done()  # still trying
                    await clock.advance(40)
                rt.stop()
            summary = await asyncio.wait_for(run, 10)
        assert summary.stop_reason == expected
        if not follow:
            assert summary.extra["gave_up"].startswith("no successful request for ")
            assert summary.extra["gave_up"].endswith(": connection refused by 127.0.0.1:9")
