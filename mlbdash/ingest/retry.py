"""Retry policy for API requests, driven by tenacity, with waits that tests can make instant.

What is retried: timeouts and connection errors (including resets mid-body), 429 and 5xx, and a
body cut short (JSON that ends too early). A truncated body on a 200 almost always means the
connection broke mid-transfer (a proxy or a reset without a framing error), so it is retried,
but only ``bad_body_retries`` times: a server that keeps sending the same broken body is not
going to heal. Never retried: other 4xx, HTML pages, wrong content types, malformed JSON,
oversize bodies, redirect loops.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState

from mlbdash.ingest.errors import ApiError, BadResponse, RequestFailed
from mlbdash.ingest.events import EventSink, RequestGaveUp, RequestRetried
from mlbdash.mlb.clock import Clock

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


async def no_wait(_seconds: float) -> None:
    """A sleep that only yields to the loop: retries in tests run at once."""
    await asyncio.sleep(0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one logical request.

    ``sleep`` is the wait between attempts; ``None`` means the client's clock. Waits are
    ``initial_backoff_s * 2**(n-1)`` capped at ``max_backoff_s`` plus up to ``jitter_s`` of
    random jitter, and at least the server's ``Retry-After`` (capped at ``max_retry_after_s``).
    """

    attempts: int = 5
    max_elapsed_s: float = 120.0
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    jitter_s: float = 0.5
    max_retry_after_s: float = 120.0
    bad_body_retries: int = 1
    sleep: Sleep | None = None
    random: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, failed_attempt: int) -> float:
        base = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (failed_attempt - 1))
        return base + self.jitter_s * self.random()

    def wait_after(self, failed_attempt: int, retry_after_s: float | None) -> float:
        wait = self.backoff(failed_attempt)
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.max_retry_after_s))
        return wait


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    # ASCII digits only: str.isdigit() also accepts "²" and other digits float() refuses.
    if text.isascii() and text.isdigit():
        return float(text)  # a huge value is capped by whoever waits on it
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    kind: str,
    url: str,
    clock: Clock,
    sink: EventSink,
) -> tuple[T, int]:
    """Run ``call`` until it succeeds or the policy gives up; return (result, retries made).

    Non-retryable ``ApiError``s pass through as they are; running out of attempts (or time)
    on a retryable one raises ``RequestFailed`` with the last reason and emits RequestGaveUp.
    """
    started = clock.monotonic()
    bad_bodies = 0

    def should_retry(state: RetryCallState) -> bool:
        nonlocal bad_bodies
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, ApiError) or not exc.retryable:
            return False
        if isinstance(exc, BadResponse):
            bad_bodies += 1
            return bad_bodies <= policy.bad_body_retries
        return True

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return policy.wait_after(state.attempt_number, getattr(exc, "retry_after_s", None))

    def should_stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.attempts:
            return True
        spent = clock.monotonic() - started
        return spent + state.upcoming_sleep > policy.max_elapsed_s

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.reason if isinstance(exc, ApiError) else repr(exc)
        sink(
            RequestRetried(
                at=clock.now(),
                kind=kind,
                url=url,
                attempt=state.attempt_number,
                reason=reason,
                wait_s=state.upcoming_sleep,
            )
        )

    retrying = AsyncRetrying(
        sleep=policy.sleep or clock.sleep,
        stop=should_stop,
        wait=wait,
        retry=should_retry,
        before_sleep=before_sleep,
        reraise=True,
    )
    attempts = 0
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                result = await call()
    except ApiError as exc:
        if not exc.retryable:
            raise
        sink(
            RequestGaveUp(at=clock.now(), kind=kind, url=url, attempts=attempts, reason=exc.reason)
        )
        raise RequestFailed(url, exc.reason, attempts=attempts, status=exc.status) from exc
    return result, attempts - 1
