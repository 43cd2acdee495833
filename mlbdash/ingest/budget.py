"""The request budget: how fast mlbdash may ask the MLB, shared by every request of a process.

A leaky bucket allows ``rate_per_s`` requests a second with bursts of ``burst``. When the server
pushes back (429, or 503 with Retry-After) every caller pauses until the Retry-After moment and
the rate halves (not below ``min_rate_per_s``); each quiet ``recovery_period_s`` after that gives
back ``recovery_step`` of the nominal rate.

The bucket runs on the injected clock (its seconds divided by the clock's speed, so the rate is
per real second as before), not on the event loop's time: aiolimiter, used until now, meters
loop time only, so a test on a ManualClock waited real seconds for every slot past the burst.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlbdash.ingest.events import BudgetChanged, EventSink, discard
from mlbdash.mlb.clock import Clock, SystemClock

# Concurrent in-flight requests all answered 429 are one push-back, not many: within this many
# seconds of the last halving, another push-back only extends the pause.
_SHRINK_DEBOUNCE_S = 1.0


@dataclass(frozen=True, slots=True)
class BudgetState:
    """What the rate-limit panel shows."""

    rate_per_s: float
    nominal_rate_per_s: float
    burst: int
    in_use: int
    waiting: int
    wait_seconds_total: float
    paused_until: datetime | None
    pushbacks: int


class RequestBudget:
    """Shared request budget. Use ``async with budget.slot():`` around each HTTP exchange."""

    def __init__(
        self,
        rate_per_s: float = 5.0,
        burst: int = 10,
        *,
        max_concurrency: int | None = None,
        clock: Clock | None = None,
        sink: EventSink = discard,
        min_rate_per_s: float | None = None,
        recovery_period_s: float = 30.0,
        recovery_step: float = 0.25,
        max_pause_s: float = 300.0,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.nominal_rate_per_s = float(rate_per_s)
        self.burst = burst
        self.min_rate_per_s = min_rate_per_s or min(self.nominal_rate_per_s, 0.2)
        self.recovery_period_s = recovery_period_s
        self.recovery_step = recovery_step
        self.max_pause_s = max_pause_s
        self._clock: Clock = clock or SystemClock()
        self._sink = sink
        self._max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._rate = self.nominal_rate_per_s
        self._bucket = _LeakyBucket(self._clock, self.burst, self._rate)
        self._paused_until: datetime | None = None
        self._last_change: float | None = None  # clock.monotonic() of the last shrink or step
        self._last_shrink: float | None = None
        self._in_use = 0
        self._waiting = 0
        self._wait_total = 0.0
        self._pushbacks = 0

    @property
    def rate_per_s(self) -> float:
        return self._rate

    def snapshot(self) -> BudgetState:
        self._maybe_recover()
        paused = self._paused_until
        if paused is not None and paused <= self._clock.now():
            paused = None
        return BudgetState(
            rate_per_s=self._rate,
            nominal_rate_per_s=self.nominal_rate_per_s,
            burst=self._effective_burst(),
            in_use=self._in_use,
            waiting=self._waiting,
            wait_seconds_total=self._wait_total,
            paused_until=paused,
            pushbacks=self._pushbacks,
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait out any pause, a concurrency slot and the rate limiter; hold the slot inside."""
        self._waiting += 1
        started = self._clock.monotonic()
        acquired_semaphore = False
        try:
            await self._wait_out_pause()
            self._maybe_recover()
            if self._max_concurrency is not None:
                if self._semaphore is None:
                    self._semaphore = asyncio.Semaphore(self._max_concurrency)
                await self._semaphore.acquire()
                acquired_semaphore = True
            await self._bucket.acquire()
        except BaseException:
            if acquired_semaphore and self._semaphore is not None:
                self._semaphore.release()
            raise
        finally:
            self._waiting -= 1
            self._wait_total += self._clock.monotonic() - started
        self._in_use += 1
        try:
            yield
        finally:
            self._in_use -= 1
            if acquired_semaphore and self._semaphore is not None:
                self._semaphore.release()

    def on_pushback(self, retry_after_s: float | None, status: int) -> None:
        """The server said slow down: pause everyone until Retry-After and halve the rate."""
        now = self._clock.now()
        self._pushbacks += 1
        if retry_after_s is not None and retry_after_s > 0:
            until = now + timedelta(seconds=min(retry_after_s, self.max_pause_s))
            if self._paused_until is None or until > self._paused_until:
                self._paused_until = until
        mono = self._clock.monotonic()
        shrink = self._last_shrink is None or mono - self._last_shrink >= _SHRINK_DEBOUNCE_S
        if shrink:
            self._last_shrink = mono
            self._last_change = mono
            self._set_rate(max(self.min_rate_per_s, self._rate / 2))
        reason = f"HTTP {status}"
        if retry_after_s is not None:
            reason += f", Retry-After {retry_after_s:g}s"
        self._emit(reason)

    def _emit(self, reason: str) -> None:
        self._sink(
            BudgetChanged(
                at=self._clock.now(),
                rate_per_s=self._rate,
                nominal_rate_per_s=self.nominal_rate_per_s,
                paused_until=self._paused_until,
                reason=reason,
            )
        )

    def _maybe_recover(self) -> None:
        if self._rate >= self.nominal_rate_per_s or self._last_change is None:
            return
        if self._paused_until is not None and self._paused_until > self._clock.now():
            return
        quiet = self._clock.monotonic() - self._last_change
        steps = math.floor(quiet / self.recovery_period_s)
        if steps <= 0:
            return
        self._last_change += steps * self.recovery_period_s
        step = self.recovery_step * self.nominal_rate_per_s
        self._set_rate(min(self.nominal_rate_per_s, self._rate + steps * step))
        self._emit("recovered" if self._rate >= self.nominal_rate_per_s else "recovering")

    async def _wait_out_pause(self) -> None:
        # A loop, because another push-back may extend the pause while we sleep.
        while self._paused_until is not None:
            remaining = (self._paused_until - self._clock.now()).total_seconds()
            if remaining <= 0:
                self._paused_until = None
                break
            await self._clock.sleep(remaining)

    def _effective_burst(self) -> int:
        # A shrunken budget must not allow the full burst right after the pause.
        return max(1, round(self.burst * self._rate / self.nominal_rate_per_s))

    def _set_rate(self, rate: float) -> None:
        if rate != self._rate:
            self._rate = rate
            # Callers already waiting take the new rate at their next look at the bucket.
            self._bucket.resize(self._effective_burst(), rate)


class _LeakyBucket:
    """``capacity`` slots that drain at ``rate_per_s``; a caller takes one, waiting while full.

    Seconds are the clock's divided by its speed (real seconds on a replay clock); waits go
    through the clock's ``sleep``, so a ManualClock makes them instant and exact.
    """

    def __init__(self, clock: Clock, capacity: int, rate_per_s: float) -> None:
        self._clock = clock
        self._capacity = float(capacity)
        self._rate = rate_per_s
        self._level = 0.0
        self._at = self._seconds()

    def resize(self, capacity: int, rate_per_s: float) -> None:
        self._leak()
        self._capacity = float(capacity)
        self._rate = rate_per_s

    async def acquire(self) -> None:
        while True:
            self._leak()
            over = self._level + 1.0 - self._capacity
            if over <= 1e-9:
                self._level += 1.0
                return
            await self._clock.sleep(over / self._rate * self._clock.speed)

    def _seconds(self) -> float:
        return self._clock.monotonic() / self._clock.speed

    def _leak(self) -> None:
        now = self._seconds()
        self._level = max(0.0, self._level - (now - self._at) * self._rate)
        self._at = now
