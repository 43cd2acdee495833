"""Watching the pipeline: the request log and poll counters written in batches, heartbeats,
and the long-lived loops (monitor ticks, request-log flushes, the findings view's re-reads).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from mlbdash.ingest.events import Event, RequestFinished
from mlbdash.ingest.monitor.rules import GameCoverage
from mlbdash.ingest.runtime.recording import beat, write_failed
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.scheduler import Scheduler
from mlbdash.ingest.store import StoreError

REQUEST_FLUSH_S = 1.0  # real seconds between batched writes of the request log
REQUEST_FLUSH_MAX = 500
REQUESTS_HELD_MAX = 100_000  # request rows kept while the database refuses writes
MONITOR_MIN_TICK_S = 0.25  # real seconds
FINDINGS_REFRESH_S = 2.0  # real seconds between re-reads of the findings the dashboard shows
# Real seconds between heartbeats of the long-lived loops at most; the monitor calls a worker
# silent for 15 s degraded and 30 s failing.
HEARTBEAT_S = 2.0


class Monitoring:
    """The request log (a consumer of every event), the games' poll counters, and the loops
    that keep the monitor, the log and the findings view current while ``run`` runs."""

    def __init__(
        self, state: RuntimeState, refresh_findings: Callable[[], Awaitable[None]]
    ) -> None:
        self.state = state
        self.refresh_findings = refresh_findings
        self.closing = asyncio.Event()  # set when the run ends: the loops finish
        self.flush_wanted = asyncio.Event()
        self._requests: list[RequestFinished] = []
        self._polls: dict[int, tuple[int, datetime, datetime | None]] = {}

    def handle(self, event: Event) -> None:
        """Keep each finished request for the next batched write."""
        if isinstance(event, RequestFinished):
            self._requests.append(event)
            if len(self._requests) >= REQUEST_FLUSH_MAX:
                self.flush_wanted.set()

    def note_poll(self, game_pk: int, *, success: bool) -> None:
        """Count a poll for the games table; written in batches with the request log."""
        now = self.state.clock.now()
        polls, _, last_success = self._polls.get(game_pk, (0, now, None))
        self._polls[game_pk] = (polls + 1, now, now if success else last_success)

    async def flush_requests(self) -> None:
        """Write the request log and the games' poll counters: one transaction per batch.

        Per-poll writes would cost a transaction for every poll that found nothing new; on a
        full slate that is most polls, and the one database connection is the bottleneck.
        """
        if not (self._requests or self._polls):
            return
        batch, self._requests = self._requests, []
        polls, self._polls = self._polls, {}
        try:
            await self.state.store.log_requests_and_polls(batch, polls)
        except BaseException:
            # Kept for the next flush (newest first to go if the database stays down), so a
            # failed write loses nothing until the run ends, where what is left is named.
            self._requests = [*batch, *self._requests][-REQUESTS_HELD_MAX:]
            for pk, (n, at, ok) in polls.items():
                later = self._polls.get(pk)
                if later is None:
                    self._polls[pk] = (n, at, ok)
                else:
                    self._polls[pk] = (n + later[0], later[1], later[2] or ok)
            raise

    async def last_flush(self) -> None:
        """The run's final write of the request log; what it cannot write is named as lost."""
        try:
            await self.flush_requests()
        except StoreError as exc:
            write_failed(self.state, "requests", exc.message, lost=len(self._requests))
            self._requests = []
            self._polls = {}

    async def pause(self, real_s: float) -> None:
        """Sleep ``real_s`` real seconds, or less when the run is closing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), real_s)

    async def monitor_loop(self) -> None:
        monitor, clock = self.state.monitor, self.state.clock
        await monitor.restore()
        # One tick per clock second, but never more than a few per real second: against a
        # fast replay clock every tick would otherwise cost a database probe and a rule pass.
        tick = max(monitor.settings.tick_s / clock.speed, MONITOR_MIN_TICK_S)
        while not self.closing.is_set():
            beat(self.state, "monitor")
            await self.pause(min(tick, HEARTBEAT_S))
            if not self.closing.is_set():
                await monitor.tick()

    async def flush_loop(self) -> None:
        while not self.closing.is_set():
            beat(self.state, "request-log")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush_wanted.wait(), REQUEST_FLUSH_S)
            self.flush_wanted.clear()
            try:
                await self.flush_requests()
            except StoreError as exc:
                write_failed(self.state, "requests", exc.message)

    async def findings_loop(self) -> None:
        while not self.closing.is_set():
            beat(self.state, "findings-view")
            with contextlib.suppress(StoreError):
                await self.refresh_findings()
            await self.pause(min(FINDINGS_REFRESH_S, HEARTBEAT_S))


def coverage_games(scheduler: Scheduler) -> list[GameCoverage]:
    """Each listed game's coverage as the monitor's rules read it (one per date it is on)."""
    out: list[GameCoverage] = []
    for (day, game_pk), entry in scheduler.entries.items():
        track = scheduler.tracks.get(game_pk)
        if track is None:
            continue
        mine = track.entry.key == (day, game_pk)
        state = track.status if mine else entry.status
        out.append(
            GameCoverage(
                game_pk=game_pk,
                official_date=day.isoformat(),
                state=state.lifecycle.value,
                final_stored=track.final_stored and mine,
                game_time=entry.game_time,
            )
        )
    return out
