"""Deadlines and stops: a body that never ends, a job that never returns, a run that is stopping.

The trickling body is a real never-ending stream (httpx's MockTransport, as respx would try
to read it whole); the deadlines are a fraction of a real second, so each test ends quickly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
from api_mock import BASE

from mlbdash.config import PollSettings
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import RequestAborted, RequestFailed
from mlbdash.ingest.retry import RetryPolicy, no_wait
from mlbdash.ingest.scheduler import FEED, SCHEDULE, FeedFacts, Job, Phase, PollPolicy, Scheduler
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.states import ScheduleEntry
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.status import classify_status

GAME = 746139
LIVE = classify_status("Live", "I", "I", "In Progress")
DAY = date(2024, 6, 11)


class _Trickle(httpx.AsyncByteStream):
    """A body that sends one byte, then another now and then, for ever."""

    def __init__(self, sent: list[int], every_s: float, started: asyncio.Event) -> None:
        self.sent = sent
        self.every_s = every_s
        self.started = started

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent.append(1)
            self.started.set()
            yield b" "
            await asyncio.sleep(self.every_s)


def _trickling(
    sent: list[int], every_s: float = 0.01, started: asyncio.Event | None = None
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/api/v1.1/game/{GAME}/feed/live"
        stream = _Trickle(sent, every_s, started or asyncio.Event())
        return httpx.Response(200, stream=stream, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


async def test_a_body_that_never_ends_fails_at_the_deadline_and_is_retried() -> None:
    sent: list[int] = []
    async with MlbApiClient(
        BASE,
        clock=ManualClock(),
        retry=RetryPolicy(attempts=2, sleep=no_wait),
        transport=_trickling(sent),
        deadline_s=0.1,
    ) as client:
        with pytest.raises(RequestFailed) as caught:
            await client.feed(GAME)
    assert caught.value.attempts == 2  # the cut-off attempt counted as a transport failure
    assert "deadline" in caught.value.last_reason
    assert sent  # the body really was trickling when it was cut


async def test_abort_ends_a_request_waiting_on_the_network_at_once() -> None:
    sent: list[int] = []
    started = asyncio.Event()
    async with MlbApiClient(
        BASE,
        clock=ManualClock(),
        retry=RetryPolicy(attempts=1, sleep=no_wait),
        transport=_trickling(sent, every_s=0.001, started=started),
        deadline_s=3600.0,
    ) as client:
        request = asyncio.ensure_future(client.feed(GAME))
        await started.wait()
        client.abort_requests()
        with pytest.raises(RequestAborted):
            await request
        # And a new request is not even sent.
        before = len(sent)
        with pytest.raises(RequestAborted):
            await client.feed(GAME)
        assert len(sent) <= before + 1


async def test_abort_ends_a_retry_backoff() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"message": "down"})

    backing_off = asyncio.Event()

    async def backoff(_seconds: float) -> None:
        backing_off.set()
        await asyncio.Event().wait()  # a wait nobody ends: only the abort can

    async with MlbApiClient(
        BASE,
        clock=ManualClock(),
        retry=RetryPolicy(attempts=5, sleep=backoff),
        transport=httpx.MockTransport(handler),
    ) as client:
        request = asyncio.ensure_future(client.feed(GAME))
        await backing_off.wait()
        client.abort_requests()
        with pytest.raises(RequestAborted):
            await request
    assert calls == [1]


def _one_live_game(clock: ManualClock) -> Scheduler:
    sched = Scheduler(PollPolicy(PollSettings()), [DAY])
    entry = ScheduleEntry(
        game_pk=GAME,
        schedule_date=DAY,
        official_date=DAY,
        game_type="R",
        status=LIVE,
        game_time=datetime(2024, 6, 11, 23, 5, tzinfo=UTC),
        away="Away",
        home="Home",
        away_id=1,
        home_id=2,
    )
    sched.apply_schedule(DAY, [entry], clock.now())
    return sched


async def test_a_job_past_its_deadline_is_cancelled_and_the_game_polled_again() -> None:
    clock = ManualClock(datetime(2024, 6, 11, 23, 30, tzinfo=UTC))
    sched = _one_live_game(clock)
    assert sched.tracks[GAME].phase is Phase.FOLLOW
    polls = 0
    cancelled = 0
    overdue: list[tuple[str, float]] = []
    told = asyncio.Event()

    async def run_job(job: Job) -> None:
        nonlocal polls, cancelled
        if job.kind == SCHEDULE:
            assert isinstance(job.key, date)
            sched.apply_schedule(job.key, [], clock.now())
            return
        polls += 1
        if polls == 1:
            try:
                await asyncio.Event().wait()  # a poll that never returns
            except asyncio.CancelledError:
                cancelled += 1
                raise
        facts = FeedFacts(status=LIVE, wait_s=10, timecode="20240611_233000", update="none")
        sched.feed_polled(GAME, facts, clock.now())

    def on_overdue(job: Job, deadline_s: float) -> None:
        overdue.append((job.kind, deadline_s))
        assert isinstance(job.key, int)
        sched.feed_failed(job.key, "past the deadline", clock.now())
        told.set()

    driver = Driver(
        sched, clock, run_job, max_concurrency=2, job_deadline_s=0.05, on_overdue=on_overdue
    )
    stop = False
    task = asyncio.create_task(driver.run(lambda: stop))
    await told.wait()
    assert cancelled == 1 and overdue == [(FEED, 0.05)]
    assert sched.tracks[GAME].failures == 1
    assert sched.tracks[GAME].next_poll_at is not None  # planned again, not dropped
    for _ in range(12):  # two virtual minutes: the failure backoff is over, polls go on
        await clock.advance(10)
        await asyncio.sleep(0.001)
    stop = True
    driver.wake()
    await task
    assert polls >= 2
    assert sched.tracks[GAME].failures == 0  # a later poll succeeded
    assert driver.jobs_overdue == 1
