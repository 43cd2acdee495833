"""The driver: bounded concurrency, priority order, and one slow or broken game never holding
up the others. Jobs are stand-ins that record what ran; time is a ManualClock."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from conftest import load_fixture

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import FEED, SCHEDULE, FeedFacts, Job, Phase, PollPolicy, Scheduler
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.status import classify_status

DAY = date(2023, 8, 29)
START = datetime(2023, 8, 30, 0, 30, tzinfo=UTC)
LIVE = classify_status("Live", "I", "I", "In Progress")


def _live_slate(clock: ManualClock) -> Scheduler:
    """The real midday schedule: 12 games In Progress, 3 Pre-Game."""
    sched = Scheduler(PollPolicy(PollSettings()), [DAY])
    entries = entries_by_date(
        parse_schedule(load_fixture("schedule/schedule_2023-08-29_midday_live.json"))
    )
    sched.apply_schedule(DAY, entries[DAY], clock.now())
    return sched


def _live(sched: Scheduler) -> list[int]:
    return [pk for pk, t in sched.tracks.items() if t.phase is Phase.FOLLOW]


def _facts() -> FeedFacts:
    return FeedFacts(status=LIVE, wait_s=10, timecode="20230830_003000", update="none")


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_one_stuck_game_does_not_hold_up_the_others() -> None:
    clock = ManualClock(START)
    sched = _live_slate(clock)
    stuck_pk = _live(sched)[0]
    release = asyncio.Event()
    polls: dict[int, int] = {}

    async def run_job(job: Job) -> None:
        if job.kind == SCHEDULE:
            assert isinstance(job.key, date)
            sched.apply_schedule(job.key, [], clock.now())
            return
        assert isinstance(job.key, int)
        if job.key == stuck_pk:
            await release.wait()  # a request that never answers
        polls[job.key] = polls.get(job.key, 0) + 1
        sched.feed_polled(job.key, _facts(), clock.now())

    driver = Driver(sched, clock, run_job, max_concurrency=4)
    stop = False
    task = asyncio.create_task(driver.run(lambda: stop))
    for _ in range(6):  # a minute of live play
        await _settle()
        await clock.advance(10)
    await _settle()
    others = {pk: n for pk, n in polls.items() if pk != stuck_pk}
    assert len(others) == 11
    assert all(n >= 6 for n in others.values())  # every 10 s, as metaData.wait says
    assert stuck_pk not in polls
    assert driver.in_flight >= 1  # the stuck poll is still waiting, alone
    release.set()
    stop = True
    driver.wake()
    await task
    assert polls[stuck_pk] == 1


async def test_bounded_concurrency_runs_most_urgent_first() -> None:
    clock = ManualClock(START)
    sched = _live_slate(clock)
    live = _live(sched)[:3]
    # One game just ended: its last full fetch outranks the schedule but not live games.
    final = classify_status("Final", "F", "F", "Final")
    finished = _live(sched)[3]
    sched.feed_polled(
        finished, FeedFacts(status=final, wait_s=10, timecode=None, update="none"), clock.now()
    )
    order: list[tuple[str, object]] = []
    gate = asyncio.Event()

    async def run_job(job: Job) -> None:
        order.append((job.kind, job.key))
        await gate.wait()

    driver = Driver(sched, clock, run_job, max_concurrency=2)
    stop = False
    task = asyncio.create_task(driver.run(lambda: stop))
    await _settle()
    assert driver.in_flight == 2
    assert all(kind == FEED and key in sched.tracks for kind, key in order)
    assert driver.waiting > 0  # the rest wait their turn
    assert finished not in [key for _, key in order]
    assert {key for _, key in order} <= set(sched.tracks) - {finished}
    stop = True
    gate.set()
    driver.wake()
    await task
    assert set(live) | {finished} <= set(sched.tracks)


async def test_a_job_that_crashes_is_reported_and_the_game_polled_again() -> None:
    clock = ManualClock(START)
    sched = _live_slate(clock)
    target = _live(sched)[0]
    crashes: list[tuple[Job, BaseException]] = []
    calls: dict[object, int] = {}

    async def run_job(job: Job) -> None:
        calls[job.key] = calls.get(job.key, 0) + 1
        if job.key == target:
            raise RuntimeError("bug")
        if job.kind == FEED:
            assert isinstance(job.key, int)
            sched.feed_polled(job.key, _facts(), clock.now())
        else:
            assert isinstance(job.key, date)
            sched.apply_schedule(job.key, [], clock.now())

    def on_crash(job: Job, exc: BaseException) -> None:
        crashes.append((job, exc))
        assert isinstance(job.key, int)
        sched.feed_failed(job.key, str(exc), clock.now())

    driver = Driver(sched, clock, run_job, max_concurrency=8, on_crash=on_crash)
    stop = False
    task = asyncio.create_task(driver.run(lambda: stop))
    for _ in range(4):
        await _settle()
        await clock.advance(15)
    await _settle()
    stop = True
    driver.wake()
    await task
    assert calls[target] >= 3  # retried at its interval, never dropped
    assert all(job.key == target for job, _ in crashes)
    assert sched.tracks[target].last_error == "bug"
    assert sched.tracks[target].next_poll_at is not None
    assert sched.tracks[target].next_poll_at > clock.now() - timedelta(seconds=1)
