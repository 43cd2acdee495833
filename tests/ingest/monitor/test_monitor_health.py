from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor_helpers import request

from mlbdash.ingest.monitor.health import (
    DEGRADED,
    FAILING,
    OK,
    DatabaseStatus,
    DiskUsage,
    Health,
    LoopLagProbe,
)
from mlbdash.ingest.monitor.metrics import Metrics
from mlbdash.mlb.clock import ManualClock, ScaledClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)
GIB = 1 << 30


def make(clock: ManualClock, **kwargs: object) -> Health:
    return Health(clock, Metrics(clock), **kwargs)  # type: ignore[arg-type]


async def test_api_reachable_fails_at_the_first_request_that_failed_for_good() -> None:
    """One request that ran out of retries with no answer is enough: the check says so at
    once, with the cause and since when (the start of that request: its retries failed too)."""
    clock = ManualClock(START)  # 00:00 ET
    h = make(clock)
    assert h.api_reachable(clock.now()).reason == "no request made yet"
    h.metrics.handle(request(clock.now()))
    await clock.advance(5)
    h.metrics.handle(request(clock.now()))
    await clock.advance(10)  # a request that began 8 s ago gave up now
    h.metrics.handle(
        request(clock.now(), status=None, latency_s=8.0, error="DNS lookup failed for x")
    )
    check = h.api_reachable(clock.now())
    assert check.status == FAILING
    assert check.reason == (
        "unreachable since 00:00:07 ET (8s): DNS lookup failed for x; last success 10s ago"
    )
    await clock.advance(100)
    assert "(108s)" in h.api_reachable(clock.now()).reason
    h.metrics.handle(request(clock.now()))
    assert h.api_reachable(clock.now()).status == OK


async def test_api_reachable_with_no_answer_since_the_start() -> None:
    clock = ManualClock(START)
    h = make(clock)
    h.metrics.handle(request(clock.now(), status=None, latency_s=0.0, error="refused"))
    assert h.api_reachable(clock.now()).reason == (
        "unreachable since 00:00:00 ET (0s): refused; no answer since the start"
    )


async def test_an_internal_failure_says_nothing_about_the_api() -> None:
    clock = ManualClock(START)
    h = make(clock)
    h.metrics.handle(request(clock.now()))
    h.metrics.handle(
        replace(request(clock.now(), status=None, error="internal error: X"), internal=True)
    )
    assert h.api_reachable(clock.now()).status == OK


async def test_an_idle_pipeline_is_not_unreachable() -> None:
    clock = ManualClock(START)
    h = make(clock)
    h.metrics.handle(request(clock.now()))
    await clock.advance(3600)  # nothing to poll for an hour: no failure, so no alarm
    assert h.api_reachable(clock.now()).status == OK


async def test_error_rate_thresholds_and_minimum_volume() -> None:
    clock = ManualClock(START)
    h = make(clock)
    for _ in range(9):
        h.metrics.handle(request(clock.now(), status=500))
    assert h.error_rate().status == OK  # 9 requests: too few to judge
    h.metrics.handle(request(clock.now()))
    assert h.error_rate().status == FAILING  # 90%
    for _ in range(90):
        h.metrics.handle(request(clock.now()))
    check = h.error_rate()
    assert check.status == DEGRADED  # 9 of 100
    assert check.reason == "9.0% of 100 requests failed in 5 min"
    for _ in range(100):
        h.metrics.handle(request(clock.now()))
    assert h.error_rate().status == OK  # 4.5%
    await clock.advance(301)
    assert h.error_rate().reason == "0 requests in 5 min"


async def test_database_writable() -> None:
    clock = ManualClock(START)
    assert make(clock).database_writable().reason == "no database in this run"
    db = DatabaseStatus()
    h = make(clock, database=db)
    assert h.database_writable().status == OK
    db.succeeded(clock.now(), 0.01)
    assert h.database_writable().status == OK
    db.succeeded(clock.now(), 3.0)
    assert h.database_writable().status == DEGRADED
    db.failed(clock.now(), "database or disk is full")
    check = h.database_writable()
    assert (check.status, check.reason) == (FAILING, "write failed: database or disk is full")
    db.succeeded(clock.now(), 0.01)
    assert h.database_writable().status == OK


async def test_workers_heartbeats_and_crashes() -> None:
    clock = ManualClock(START)
    h = make(clock)
    assert h.workers_alive(clock.now()).reason == "no workers registered"
    h.workers.beat("scheduler", clock.now())
    h.workers.beat("validator", clock.now())
    await clock.advance(10)
    h.workers.beat("validator", clock.now())
    assert h.workers_alive(clock.now()).status == OK
    await clock.advance(6)  # scheduler silent 16 s
    check = h.workers_alive(clock.now())
    assert (check.status, check.reason) == (DEGRADED, "silent: scheduler 16s")
    await clock.advance(15)  # scheduler 31 s
    assert h.workers_alive(clock.now()).status == FAILING
    h.workers.beat("scheduler", clock.now())
    h.workers.beat("validator", clock.now())
    assert h.workers_alive(clock.now()).status == OK
    h.workers.stopped("validator", "KeyError: 'gameData'", clock.now())
    check = h.workers_alive(clock.now())
    assert check.status == FAILING and "validator (KeyError" in check.reason
    h.workers.stopped("validator", None, clock.now())  # a clean stop is forgotten
    assert h.workers_alive(clock.now()).status == OK


class FakeRealTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_loop_lag_is_measured_in_real_seconds() -> None:
    clock = ManualClock(START)
    real = FakeRealTime()
    probe = LoopLagProbe(clock, 1.0, real)
    h = make(clock, loop_lag=probe)
    assert h.event_loop_lag().reason == "not measured yet"

    async def one(real_elapsed: float) -> float:
        task = asyncio.create_task(probe.measure_once())
        await asyncio.sleep(0)
        real.now += real_elapsed
        await clock.advance(1.0)
        return await task

    assert abs(await one(1.05) - 0.05) < 1e-9
    assert h.event_loop_lag().status == OK
    assert abs(await one(1.3) - 0.3) < 1e-9
    assert h.event_loop_lag().status == DEGRADED
    await one(2.5)
    check = h.event_loop_lag()
    assert (check.status, check.reason) == (FAILING, "wakes up to 1500 ms late")


async def test_loop_lag_on_a_scaled_clock_expects_the_real_length_of_the_sleep() -> None:
    clock = ScaledClock(START, speed=600.0)
    real = FakeRealTime()
    probe = LoopLagProbe(clock, 0.01, real)  # 10 ms of real time is 6 s of game time
    # measure_once really sleeps 10 ms here; the fake real clock says it took 0.26 s.
    task = asyncio.create_task(probe.measure_once())
    await asyncio.sleep(0)
    real.now += 0.26
    assert abs(await task - 0.25) < 1e-9


def test_free_disk_thresholds(tmp_path: Path) -> None:
    clock = ManualClock(START)
    usage = DiskUsage(100 * GIB, 0, 50 * GIB)
    h = make(clock, data_dir=tmp_path, disk_usage=lambda _p: usage)
    check = h.free_disk()
    assert (check.status, check.reason) == (OK, "50.0 GiB free (50%)")
    usage = DiskUsage(100 * GIB, 0, 4 * GIB)  # under 5 %
    assert h.free_disk().status == DEGRADED
    usage = DiskUsage(100 * GIB, 0, 100 << 20)
    assert h.free_disk().status == FAILING
    usage = DiskUsage(4 * GIB, 0, 900 << 20)  # 22 % free but under 1 GiB
    assert h.free_disk().status == DEGRADED


def test_free_disk_of_a_missing_folder_is_failing(tmp_path: Path) -> None:
    h = make(ManualClock(START), data_dir=tmp_path / "gone")
    check = h.free_disk()
    assert check.status == FAILING and "cannot stat" in check.reason


def test_overall_status_is_the_worst_check() -> None:
    clock = ManualClock(START)
    db = DatabaseStatus()
    h = make(clock, database=db)
    assert h.status() == OK
    db.failed(clock.now() + timedelta(seconds=1), "disk I/O error")
    assert h.status() == FAILING
    assert [c.name for c in h.checks()] == [
        "api_reachable",
        "schedule",
        "error_rate",
        "database_writable",
        "workers",
        "event_loop_lag",
        "free_disk",
    ]


async def test_a_one_off_crash_is_forgotten_but_a_dead_worker_is_not() -> None:
    clock = ManualClock(START)
    h = make(clock)
    h.workers.beat("scheduler", clock.now())
    h.workers.stopped("scheduler", "RuntimeError: boom", clock.now())
    h.workers.stopped("feed:746139", "internal error: KeyError", clock.now())  # never beat
    check = h.workers_alive(clock.now())
    assert check.reason == (
        "crashed: feed:746139 (internal error: KeyError), scheduler (RuntimeError: boom)"
    )
    await clock.advance(601)
    assert h.workers_alive(clock.now()).reason == "crashed: scheduler (RuntimeError: boom)"
    h.workers.beat("scheduler", clock.now())  # restarted
    assert h.workers_alive(clock.now()).status == OK


async def test_a_client_error_answer_shows_the_api_is_reachable() -> None:
    clock = ManualClock(START)
    h = make(clock)
    h.metrics.handle(request(clock.now(), status=503, error="HTTP 503"))
    await clock.advance(200)
    assert h.api_reachable(clock.now()).status == FAILING
    h.metrics.handle(request(clock.now(), status=404, error="not found (HTTP 404)"))
    assert h.api_reachable(clock.now()).status == OK
