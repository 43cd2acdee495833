"""Health checks: each says ok, degraded or failing, with a reason a person can act on.

``Health.checks()`` is synchronous and cheap; anything that needs I/O (the database probe, the
event-loop lag probe) runs in the monitor's loop and leaves its last result here.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from mlbdash.ingest.monitor.metrics import Metrics
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.dates import league_time

OK = "ok"
DEGRADED = "degraded"
FAILING = "failing"
_RANK = {OK: 0, DEGRADED: 1, FAILING: 2}

# An async callable that writes to the database and raises if it cannot (the runtime passes
# e.g. a store method that upserts one row in `meta`).
DatabaseProbe = Callable[[], Awaitable[None]]


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


DiskUsageProbe = Callable[[Path], DiskUsage]


class ScheduleState(Protocol):
    """How reading one tracked date's schedule goes (the scheduler's ``ScheduleStatus``)."""

    @property
    def schedule_date(self) -> date: ...
    @property
    def last_read_at(self) -> datetime | None: ...
    @property
    def failing_since(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def failures(self) -> int: ...
    @property
    def next_read_at(self) -> datetime | None: ...


ScheduleSource = Callable[[], Sequence[ScheduleState]]


def disk_usage_of(path: Path) -> DiskUsage:
    usage = shutil.disk_usage(path)
    return DiskUsage(usage.total, usage.used, usage.free)


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: str  # ok, degraded, failing
    reason: str


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """When each check turns degraded and failing. Durations are clock seconds."""

    error_rate_window_s: float = 300.0
    error_rate_min_requests: int = 10
    error_rate_degraded: float = 0.05
    error_rate_failing: float = 0.25
    database_slow_s: float = 2.0  # a probe slower than this is degraded (clock seconds)
    worker_degraded_s: float = 15.0
    worker_failing_s: float = 30.0
    loop_lag_degraded_s: float = 0.25  # real seconds
    loop_lag_failing_s: float = 1.0
    disk_degraded_bytes: int = 1 << 30
    disk_failing_bytes: int = 200 << 20
    disk_degraded_share: float = 0.05
    disk_failing_share: float = 0.01


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: _RANK[s], default=OK)


@dataclass(frozen=True, slots=True)
class Crash:
    error: str
    at: datetime
    held: bool  # a heartbeat worker: crashed until it beats again (else it expires)


@dataclass
class Workers:
    """Heartbeats of the long-lived workers (scheduler, pollers, validator, store writer).

    A worker that sent heartbeats and then stopped with an error stays crashed until it beats
    again. A crash of something that never sent a heartbeat (a one-off job) is remembered for
    ``crash_memory_s`` clock seconds: long enough to alert, without alerting forever.
    """

    last_beat: dict[str, datetime] = field(default_factory=dict)
    crashed: dict[str, Crash] = field(default_factory=dict)
    crash_memory_s: float = 600.0
    # The clock's speed: silence is judged in real seconds, so on a replay clock at speed 600
    # a worker beating once a real second is not 600 "seconds" silent.
    speed: float = 1.0

    def beat(self, name: str, at: datetime) -> None:
        self.last_beat[name] = at
        self.crashed.pop(name, None)

    def stopped(self, name: str, error: str | None, at: datetime) -> None:
        """A worker ended: with an error it counts as crashed; cleanly it is forgotten."""
        known = self.last_beat.pop(name, None) is not None
        if error is None:
            self.crashed.pop(name, None)
        else:
            self.crashed[name] = Crash(error, at, held=known)

    def crashes(self, now: datetime) -> dict[str, str]:
        """Current crashes by worker name (forgetting one-off crashes past their memory)."""
        for name, crash in list(self.crashed.items()):
            if not crash.held and (now - crash.at).total_seconds() > self.crash_memory_s:
                del self.crashed[name]
        return {name: crash.error for name, crash in self.crashed.items()}

    def silent_for(self, now: datetime) -> dict[str, float]:
        speed = self.speed if self.speed > 0 else 1.0
        return {n: max(0.0, (now - at).total_seconds()) / speed for n, at in self.last_beat.items()}


@dataclass
class LoopLagProbe:
    """Measures how late the event loop wakes from ``clock.sleep`` - in *real* seconds.

    It sleeps ``interval_s`` real seconds (``interval_s * clock.speed`` clock seconds: a
    ScaledClock at speed 600 sleeps 600 virtual seconds for one real one) and compares the
    real time that passed, read from ``real_time`` (injectable for tests), with ``interval_s``.
    """

    clock: Clock
    interval_s: float = 1.0
    real_time: Callable[[], float] = time.monotonic
    last_lag_s: float | None = None
    recent: list[float] = field(default_factory=list)
    keep: int = 10

    async def measure_once(self) -> float:
        start = self.real_time()
        await self.clock.sleep(self.interval_s * self.clock.speed)
        lag = max(0.0, self.real_time() - start - self.interval_s)
        self.last_lag_s = lag
        self.recent = [*self.recent[-(self.keep - 1) :], lag]
        return lag

    async def run(self) -> None:
        while True:
            await self.measure_once()

    def worst_recent(self) -> float | None:
        return max(self.recent) if self.recent else None


@dataclass
class DatabaseStatus:
    """The last write the monitor saw succeed or fail (probe or rollup)."""

    last_ok_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_duration_s: float | None = None

    def succeeded(self, at: datetime, duration_s: float | None = None) -> None:
        self.last_ok_at = at
        self.last_error = None
        self.last_duration_s = duration_s

    def failed(self, at: datetime, error: str) -> None:
        self.last_error = error
        self.last_error_at = at


@dataclass
class Health:
    clock: Clock
    metrics: Metrics
    thresholds: HealthThresholds = field(default_factory=HealthThresholds)
    workers: Workers = field(default_factory=Workers)
    database: DatabaseStatus | None = None  # None: this run has no database
    loop_lag: LoopLagProbe | None = None
    data_dir: Path | None = None
    disk_usage: DiskUsageProbe = disk_usage_of
    started_at: datetime | None = None
    schedules: ScheduleSource | None = None

    def checks(self) -> list[CheckResult]:
        now = self.clock.now()
        return [
            self.api_reachable(now),
            self.schedule_read(now),
            self.error_rate(),
            self.database_writable(),
            self.workers_alive(now),
            self.event_loop_lag(),
            self.free_disk(),
        ]

    def status(self) -> str:
        """The overall status: the worst of the checks."""
        return worst([c.status for c in self.checks()])

    def api_reachable(self, now: datetime) -> CheckResult:
        """Failing as soon as one request has failed for good (after its retries, a few
        seconds) with no answer since, naming the cause and since when."""
        api = self.metrics.api
        name = "api_reachable"
        if api.failing_since is None:
            if api.last_success_at is None:
                return CheckResult(name, OK, "no request made yet")
            age = (now - api.last_success_at).total_seconds()
            return CheckResult(name, OK, f"last success {age:.0f}s ago")
        down = max(0.0, (now - api.failing_since).total_seconds())
        last = (
            f"last success {(now - api.last_success_at).total_seconds():.0f}s ago"
            if api.last_success_at
            else "no answer since the start"
        )
        reason = (
            f"unreachable since {league_time(api.failing_since)} ({down:.0f}s): "
            f"{api.last_failure}; {last}"
        )
        return CheckResult(name, FAILING, reason)

    def schedule_read(self, now: datetime) -> CheckResult:
        """Failing while a tracked date's schedule has never been read and reading it fails
        (nothing is known of its games); degraded when a read schedule can no longer be
        refreshed."""
        name = "schedule"
        states = list(self.schedules()) if self.schedules is not None else []
        if not states:
            return CheckResult(name, OK, "no dates tracked")
        never = [s for s in states if s.last_read_at is None and s.failing_since is not None]
        stale = [s for s in states if s.last_read_at is not None and s.failing_since is not None]
        if never or stale:
            worst_one = (never or stale)[0]
            day = worst_one.schedule_date.isoformat()
            assert worst_one.failing_since is not None
            head = f"{day} never read" if never else f"{day} not refreshed"
            tries = f"{worst_one.failures} tr{'y' if worst_one.failures == 1 else 'ies'}"
            nxt = ""
            if worst_one.next_read_at is not None:
                wait = max(0.0, (worst_one.next_read_at - now).total_seconds())
                # A due retry is under way (the client's own retries take seconds).
                nxt = f"; next try in {wait:.0f}s" if wait >= 1 else "; trying again now"
            reason = (
                f"{head}: {worst_one.last_error or 'failed'} "
                f"(since {league_time(worst_one.failing_since)}, {tries}{nxt})"
            )
            others = len(never) + len(stale) - 1
            if others:
                reason += f"; {others} more date{'s' if others > 1 else ''} failing"
            return CheckResult(name, FAILING if never else DEGRADED, reason)
        unread = [s for s in states if s.last_read_at is None]
        if unread:
            return CheckResult(name, OK, f"reading {unread[0].schedule_date.isoformat()}")
        oldest = min(s.last_read_at for s in states if s.last_read_at is not None)
        return CheckResult(name, OK, f"read {(now - oldest).total_seconds():.0f}s ago")

    def error_rate(self) -> CheckResult:
        t = self.thresholds
        snap = self.metrics.snapshot(t.error_rate_window_s, detail=False)
        name = "error_rate"
        window = f"{t.error_rate_window_s / 60:.0f} min"
        if snap.wire_requests < t.error_rate_min_requests:
            return CheckResult(name, OK, f"{snap.wire_requests} requests in {window}")
        reason = f"{snap.error_rate:.1%} of {snap.wire_requests} requests failed in {window}"
        if snap.error_rate >= t.error_rate_failing:
            return CheckResult(name, FAILING, reason)
        if snap.error_rate >= t.error_rate_degraded:
            return CheckResult(name, DEGRADED, reason)
        return CheckResult(name, OK, reason)

    def database_writable(self) -> CheckResult:
        name = "database_writable"
        db = self.database
        if db is None:
            return CheckResult(name, OK, "no database in this run")
        if db.last_error is not None:
            return CheckResult(name, FAILING, f"write failed: {db.last_error}")
        if db.last_ok_at is None:
            return CheckResult(name, OK, "not probed yet")
        took = db.last_duration_s
        if took is not None and took >= self.thresholds.database_slow_s:
            return CheckResult(name, DEGRADED, f"write took {took:.1f}s")
        return CheckResult(name, OK, "writable")

    def workers_alive(self, now: datetime) -> CheckResult:
        t = self.thresholds
        name = "workers"
        crashes = self.workers.crashes(now)
        if crashes:
            crashed = ", ".join(f"{n} ({e})" for n, e in sorted(crashes.items()))
            return CheckResult(name, FAILING, f"crashed: {crashed}")
        silent = self.workers.silent_for(now)
        if not silent:
            return CheckResult(name, OK, "no workers registered")
        dead = sorted(n for n, s in silent.items() if s > t.worker_failing_s)
        slow = sorted(n for n, s in silent.items() if t.worker_degraded_s < s <= t.worker_failing_s)
        if dead:
            return CheckResult(name, FAILING, _silent(dead, silent))
        if slow:
            return CheckResult(name, DEGRADED, _silent(slow, silent))
        return CheckResult(name, OK, f"{len(silent)} alive")

    def event_loop_lag(self) -> CheckResult:
        t = self.thresholds
        name = "event_loop_lag"
        lag = self.loop_lag.worst_recent() if self.loop_lag else None
        if lag is None:
            return CheckResult(name, OK, "not measured yet")
        reason = f"wakes up to {lag * 1000:.0f} ms late"
        if lag >= t.loop_lag_failing_s:
            return CheckResult(name, FAILING, reason)
        if lag >= t.loop_lag_degraded_s:
            return CheckResult(name, DEGRADED, reason)
        return CheckResult(name, OK, reason)

    def free_disk(self) -> CheckResult:
        t = self.thresholds
        name = "free_disk"
        if self.data_dir is None:
            return CheckResult(name, OK, "no data folder in this run")
        try:
            usage = self.disk_usage(self.data_dir)
        except OSError as exc:
            return CheckResult(name, FAILING, f"cannot stat {self.data_dir}: {exc.strerror}")
        share = usage.free / usage.total if usage.total else 0.0
        reason = f"{_size(usage.free)} free ({share:.0%})"
        if usage.free < t.disk_failing_bytes or share < t.disk_failing_share:
            return CheckResult(name, FAILING, reason)
        if usage.free < t.disk_degraded_bytes or share < t.disk_degraded_share:
            return CheckResult(name, DEGRADED, reason)
        return CheckResult(name, OK, reason)


def _silent(names: list[str], silent: dict[str, float]) -> str:
    return "silent: " + ", ".join(f"{n} {silent[n]:.0f}s" for n in names)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
