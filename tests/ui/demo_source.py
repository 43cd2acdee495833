"""The demo as ``mlbdash --demo`` runs it (replay server, plan of trouble, runtime, database), on
one ManualClock, driven to a chosen virtual moment; what the dashboard would paint then is kept
and served by ``HeldDemo``, so screenshots of it are the same on every run.

Virtual time moves only when every running job has ended or waits on the clock (a retry or
budget wait in the 429 window does), and never past the next wake-up, so each poll sees one
moment and each run makes the same polls at the same moments. The runtime's monitor loop runs
on real time; it is stilled and the driver ticks the monitor once a clock second instead.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest

from mlbdash.config import Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.runtime import core as runtime_core
from mlbdash.ingest.runtime import monitoring as runtime_loops
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.views import CheckRow, DashboardSnapshot, GameDetail
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.demo import DEMO_ALERTS, demo_server_options, demo_start
from mlbdash.replay.server import start_replay_server

from .fakes import FakeSource

DAY = date(2026, 6, 2)
# A fixed port: with a free one the runs did not all come out alike (not yet understood), and
# the header shows the address. Two runs at once on one machine collide on it.
PORT = 48765
API_URL = f"http://127.0.0.1:{PORT}/api"
TICK_S = 1.0  # the monitor evaluates once a clock second, as the runtime's loop does
# The two checks that read this machine, not the pipeline: pinned so every run paints alike.
MACHINE_CHECKS = {
    "event_loop_lag": CheckRow("event_loop_lag", "ok", "wakes up 2 ms late at most"),
    "free_disk": CheckRow("free_disk", "ok", "52.3 GiB free"),
}
_ASYNCIO_WAIT = asyncio.tasks._wait.__code__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DemoState:
    """What the dashboard paints at the held moment, and each game's screen."""

    snapshot: DashboardSnapshot
    details: dict[int, GameDetail]


def parked(task: asyncio.Future[Any], clock: ManualClock) -> bool:
    """Whether ``task`` moves again only when the clock does: it has ended, sleeps on the clock,
    or waits (``asyncio.wait``, as a request that can be aborted does) on tasks that are parked
    and on futures only a stop would resolve."""
    if task.done() or not isinstance(task, asyncio.Task):
        return True  # a bare future here is the client's abort signal: nothing resolves it
    if clock.parks(task):
        return True
    coro: Any = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        if frame is not None and frame.f_code is _ASYNCIO_WAIT:
            waited = [f for f in frame.f_locals.get("fs", ()) if not f.done()]
            return bool(waited) and all(parked(f, clock) for f in waited)
        coro = getattr(coro, "cr_await", None)
    return False


def running_jobs() -> list[asyncio.Task[Any]]:
    """The scheduler's running jobs (each runs in a task of ``Driver._guarded``)."""
    guarded = Driver._guarded.__qualname__
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == guarded
    ]


async def settled(clock: ManualClock) -> None:
    """Until every running job has ended or is parked on the clock, and the driver has started
    what falls due at this moment."""
    while True:
        busy = [t for t in running_jobs() if not parked(t, clock)]
        if not busy:
            for _ in range(10):
                await asyncio.sleep(0)
            if not [t for t in running_jobs() if not parked(t, clock)]:
                return
            continue
        await asyncio.wait([*busy, clock.next_sleeper()], return_when=asyncio.FIRST_COMPLETED)


async def _tick(rt: Runtime, clock: ManualClock) -> None:
    """What the runtime's stilled loops would do, on the clock's time."""
    workers = rt.monitor.health().workers
    for worker in list(workers.last_beat):
        workers.beat(worker, clock.now())
    await rt.monitor.tick()


async def run_demo_until(folder: Path, at_s: float) -> DemoState:
    """Run the demo's pipeline from its start to ``at_s`` virtual seconds and keep what the
    dashboard and each game's screen would show then."""
    clock = ManualClock(demo_start(DAY).astimezone(UTC))
    with pytest.MonkeyPatch.context() as patch:
        # The driver's heartbeat (wired in core) and the monitoring loops' pace.
        patch.setattr(runtime_core, "HEARTBEAT_S", 1e6)
        patch.setattr(runtime_loops, "HEARTBEAT_S", 1e6)
        patch.setattr(runtime_loops, "MONITOR_MIN_TICK_S", 1e6)
        async with AsyncExitStack() as stack:
            server = await stack.enter_async_context(
                start_replay_server(options=demo_server_options(DAY), clock=clock, port=PORT)
            )
            settings = Settings(api_url=server.base_url, push="off")
            settings = settings.model_copy(
                update={
                    "alerts": settings.alerts.model_copy(update=DEMO_ALERTS),
                    "db_path": folder / "demo.sqlite3",
                }
            )
            # history=False: the history of a game met mid-game is fetched when a live poll
            # leaves time for it, which depends on how long each step took here, not on
            # virtual time; the held state must be the same on every run.
            rt = await stack.enter_async_context(
                Runtime(settings, clock=clock, tracked=TrackedDates.single(DAY), history=False)
            )
            run = asyncio.create_task(rt.run(follow=False))
            try:
                await _drive(rt, clock, at_s)
                # The poll counters the games table reads from the database are written by a
                # loop on real time: write them now, so the picture does not depend on it.
                await rt._parts.monitoring.flush_requests()
                await rt.refresh_findings()
                snap = rt.snapshot()
                pinned = tuple(MACHINE_CHECKS.get(c.name, c) for c in snap.checks)
                snap = replace(snap, checks=pinned, api_url=API_URL)
                details = {g.game_pk: await rt.game_detail(g.game_pk) for g in snap.games}
            finally:
                rt.stop()
                await asyncio.gather(run, return_exceptions=True)
    return DemoState(snap, details)


async def _drive(rt: Runtime, clock: ManualClock, at_s: float) -> None:
    while True:
        await settled(clock)
        now = clock.monotonic()
        into_tick = now % TICK_S
        if min(into_tick, TICK_S - into_tick) < 1e-6:
            await _tick(rt, clock)
        if now >= at_s - 1e-6:
            return
        # To the next wake-up or tick, never past: a job sees one moment throughout.
        step = TICK_S - into_tick if TICK_S - into_tick > 1e-6 else TICK_S
        woken = clock.next_deadline()
        if woken is not None and woken > now:
            step = min(step, woken - now)
        await clock.advance(step)


class HeldDemo(FakeSource):
    """The dashboard's source at the held moment of a demo run: nothing moves afterwards."""

    def __init__(self, state: DemoState) -> None:
        super().__init__(games=state.snapshot.games)
        self.state = state
        self.clock = ManualClock(state.snapshot.now)
        self.api_url = state.snapshot.api_url
        self.findings = state.snapshot.findings
        self.alerts = state.snapshot.alerts
        self.checks = state.snapshot.checks
        self.budget = state.snapshot.budget

    def snapshot(self) -> DashboardSnapshot:
        return self.state.snapshot

    async def game_detail(self, game_pk: int) -> GameDetail:
        self.detail_calls.append(game_pk)
        return self.state.details[game_pk]
