"""Clocks: every part of mlbdash reads time and sleeps through one of these, never directly.

Times are timezone-aware UTC. Seconds given to ``sleep`` and read from ``monotonic`` are in the
clock's own time base: on a replay clock running at speed 600, ``sleep(10)`` takes 1/60 s.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a steady counter in this clock's time base (for latencies and ages)."""
        ...

    @property
    def speed(self) -> float:
        """Clock seconds per real second (1 for the wall clock)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this many clock seconds."""
        ...


class SystemClock:
    """The wall clock."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Virtual time that starts at ``start`` and runs ``speed`` times faster than real time.

    Used against a replay server: the client rebuilds the server's virtual clock from what the
    server advertises, so poll intervals, staleness and freshness are in game time.
    """

    def __init__(self, start: datetime, speed: float, *, real_anchor: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start.astimezone(UTC)
        self._speed = float(speed)
        self._anchor = time.monotonic() if real_anchor is None else real_anchor

    @property
    def speed(self) -> float:
        return self._speed

    def monotonic(self) -> float:
        return (time.monotonic() - self._anchor) * self._speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


class ManualClock:
    """A clock for tests: time stands still until ``advance`` moves it.

    Sleepers wake, in deadline order, when ``advance`` passes their deadline. ``advance`` yields
    to the loop after each wake-up so woken tasks run before time moves further.
    """

    speed = 1.0

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2024, 7, 1, 17, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        # Which task waits on which sleep, so a test can tell work parked on this clock (a
        # retry or budget wait) from work still running, and step time only when all is parked.
        self._sleeping: dict[asyncio.Future[None], asyncio.Task[object] | None] = {}
        self._new_sleeper: list[asyncio.Future[None]] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._elapsed

    @property
    def pending_sleepers(self) -> int:
        return sum(1 for _, _, fut in self._sleepers if not fut.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._seq), fut))
        self._sleeping[fut] = asyncio.current_task()
        for waiter in self._new_sleeper:
            if not waiter.done():
                waiter.set_result(None)
        self._new_sleeper.clear()
        try:
            await fut
        finally:
            self._sleeping.pop(fut, None)

    def parks(self, task: asyncio.Task[object]) -> bool:
        """Whether ``task`` is waiting on this clock (it moves again only when time does)."""
        return any(t is task for fut, t in self._sleeping.items() if not fut.done())

    def next_deadline(self) -> float | None:
        """The ``monotonic()`` moment the next sleeper wakes at, or None with no sleeper."""
        pending = [deadline for deadline, _, fut in self._sleepers if not fut.done()]
        return min(pending, default=None)

    def next_sleeper(self) -> asyncio.Future[None]:
        """Resolves when the next task starts waiting on this clock."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._new_sleeper.append(waiter)
        return waiter

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline falls inside the step."""
        target = self._elapsed + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, fut = heapq.heappop(self._sleepers)
            self._set(max(deadline, self._elapsed))
            if not fut.done():
                fut.set_result(None)
            for _ in range(5):
                await asyncio.sleep(0)
        self._set(target)
        await asyncio.sleep(0)

    def _set(self, elapsed: float) -> None:
        self._now += timedelta(seconds=elapsed - self._elapsed)
        self._elapsed = elapsed
