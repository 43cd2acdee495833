"""RetryPolicy and call_with_retries, with waits that take no real time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_mock import Recorder

from mlbdash.ingest.errors import BadResponse, HttpStatusError, NotFound, RequestFailed
from mlbdash.ingest.events import RequestGaveUp, RequestRetried
from mlbdash.ingest.retry import RetryPolicy, call_with_retries, no_wait, parse_retry_after
from mlbdash.mlb.clock import ManualClock

NOW = datetime(2024, 7, 1, 17, 0, tzinfo=UTC)
URL = "https://statsapi.test/api/v1/schedule"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Mon, 01 Jul 2024 17:00:30 GMT", 30.0),
        ("Mon, 01 Jul 2024 16:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_is_exponential_capped_with_jitter() -> None:
    policy = RetryPolicy(initial_backoff_s=1.0, max_backoff_s=5.0, jitter_s=0.5, random=lambda: 1.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [1.5, 2.5, 4.5, 5.5]


def test_retry_after_is_a_floor_with_a_cap() -> None:
    policy = RetryPolicy(initial_backoff_s=1.0, jitter_s=0.0, max_retry_after_s=60.0)
    assert policy.wait_after(1, 10.0) == 10.0
    assert policy.wait_after(1, 0.2) == 1.0
    assert policy.wait_after(1, 3600.0) == 60.0


async def test_elapsed_budget_stops_retries_early() -> None:
    clock = ManualClock()
    sink = Recorder()
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        raise HttpStatusError(URL, 503)

    async def sleep(seconds: float) -> None:
        await clock.advance(seconds)

    policy = RetryPolicy(
        attempts=10, max_elapsed_s=5.0, initial_backoff_s=2.0, jitter_s=0.0, sleep=sleep
    )
    with pytest.raises(RequestFailed):
        await call_with_retries(
            call, policy=policy, kind="schedule", url=URL, clock=clock, sink=sink
        )
    # waits 2 (t=2), then 4 would end at t=6 > 5: stop after the second attempt
    assert calls == 2
    assert [e.wait_s for e in sink.of(RequestRetried)] == [2.0]
    assert sink.of(RequestGaveUp)[0].attempts == 2


async def test_non_retryable_errors_pass_through_untouched() -> None:
    sink = Recorder()

    async def call() -> int:
        raise NotFound(URL)

    with pytest.raises(NotFound):
        await call_with_retries(
            call,
            policy=RetryPolicy(sleep=no_wait),
            kind="feed",
            url=URL,
            clock=ManualClock(),
            sink=sink,
        )
    assert sink.events == []


async def test_bad_bodies_retry_only_when_marked_retryable() -> None:
    attempts = 0

    async def call() -> int:
        nonlocal attempts
        attempts += 1
        raise BadResponse(URL, "truncated JSON", retryable=True)

    policy = RetryPolicy(attempts=5, bad_body_retries=2, sleep=no_wait)
    with pytest.raises(RequestFailed, match="gave up after 3 attempts: truncated JSON"):
        await call_with_retries(
            call, policy=policy, kind="feed", url=URL, clock=ManualClock(), sink=Recorder()
        )
    assert attempts == 3


async def test_success_reports_retries() -> None:
    outcomes = [HttpStatusError(URL, 429, retry_after_s=1.0), 7]

    async def call() -> int:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    result = await call_with_retries(
        call,
        policy=RetryPolicy(sleep=no_wait),
        kind="feed",
        url=URL,
        clock=ManualClock(),
        sink=Recorder(),
    )
    assert result == (7, 1)
