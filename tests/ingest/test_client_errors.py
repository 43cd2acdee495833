"""MlbApiClient when things go wrong: every failure is a typed error, retried only when it may heal.

Bodies cut, mangled or swapped for HTML below are derived from real fixtures (marked "derived").
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from api_mock import BASE, Recorder, json_response, make_client, new_router
from conftest import fixture_bytes

from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.cache import ResponseCache
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import (
    BadResponse,
    BodyTooLarge,
    HttpStatusError,
    NotFound,
    RedirectLoop,
    RequestFailed,
)
from mlbdash.ingest.events import (
    BudgetChanged,
    RequestFinished,
    RequestGaveUp,
    RequestRetried,
)
from mlbdash.ingest.retry import RetryPolicy, no_wait
from mlbdash.mlb.clock import ManualClock

T = TypeVar("T")
FEED = "feed/feed_746139_live_t7_20240612_041248.json.gz"
FEED_PATH = "/v1.1/game/746139/feed/live"
SCHEDULE = "schedule/schedule_2024-07-01_3games.json"
_FEED_BYTES = fixture_bytes(FEED)


async def drive(clock: ManualClock, work: Awaitable[T], step: float = 1.0) -> T:
    """Run ``work``; whenever it waits on the manual clock, move time forward by ``step``."""
    task = asyncio.ensure_future(work)
    for _ in range(100_000):
        if task.done():
            break
        if clock.pending_sleepers:
            await clock.advance(step)
        else:
            await asyncio.sleep(0)
    return await task


async def test_429_with_retry_after_seconds_pauses_shrinks_and_retries() -> None:
    router = new_router()
    route = router.get(FEED_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "7"}),
            json_response(fixture_bytes(FEED)),
        ]
    )
    clock = ManualClock()
    sink = Recorder()
    budget = RequestBudget(8.0, 10, clock=clock, sink=sink)
    policy = RetryPolicy(attempts=3, jitter_s=0.0)  # waits on the manual clock
    async with make_client(router, clock=clock, sink=sink, budget=budget, retry=policy) as c:
        started = clock.now()
        fetched = await drive(clock, c.feed(746139))

    assert route.call_count == 2
    assert fetched.retries == 1
    assert clock.now() - started >= timedelta(seconds=7)
    [retried] = sink.of(RequestRetried)
    assert (retried.attempt, retried.reason, retried.wait_s) == (1, "HTTP 429", 7.0)
    [changed] = sink.of(BudgetChanged)
    assert changed.rate_per_s == 4.0 and changed.nominal_rate_per_s == 8.0
    assert changed.paused_until == started + timedelta(seconds=7)
    [finished] = sink.of(RequestFinished)
    assert (finished.status, finished.retries, finished.error) == (200, 1, None)
    # The 7 s pause is time waited, not the API's answer time (its answering attempt alone).
    assert finished.latency_s >= 7.0
    assert finished.server_s is not None and finished.server_s < 1.0
    assert finished.waited_s is not None and finished.waited_s >= 7.0


async def test_429_with_retry_after_http_date() -> None:
    router = new_router()
    clock = ManualClock()
    when = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    router.get("/v1/schedule").mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": when}),
            json_response(fixture_bytes(SCHEDULE)),
        ]
    )
    sink = Recorder()
    policy = RetryPolicy(attempts=3, jitter_s=0.0)
    async with make_client(router, clock=clock, sink=sink, retry=policy) as client:
        started = clock.now()
        fetched = await drive(clock, client.schedule(date="2024-07-01"))
    assert fetched.data.total_games == 3
    assert sink.of(RequestRetried)[0].wait_s == 30.0
    assert clock.now() - started >= timedelta(seconds=30)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(500),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete body"),
    ],
    ids=["503", "500", "timeout", "connect-error", "connection-reset"],
)
async def test_transient_failure_then_success(failure: Any) -> None:
    router = new_router()
    route = router.get(FEED_PATH).mock(side_effect=[failure, json_response(fixture_bytes(FEED))])
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        fetched = await client.feed(746139)
    assert route.call_count == 2
    assert fetched.data["gamePk"] == 746139
    [retried] = sink.of(RequestRetried)
    assert retried.url == f"{BASE}{FEED_PATH}" and retried.attempt == 1
    assert sink.of(RequestFinished)[0].retries == 1


async def test_gives_up_after_the_attempts_with_the_last_reason() -> None:
    router = new_router()
    route = router.get(FEED_PATH).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(502), httpx.Response(500)]
    )
    sink = Recorder()
    policy = RetryPolicy(attempts=3, sleep=no_wait, jitter_s=0.0)
    async with make_client(router, sink=sink, retry=policy) as client:
        with pytest.raises(RequestFailed) as caught:
            await client.feed(746139)
    assert route.call_count == 3
    assert caught.value.last_reason == "HTTP 500" and caught.value.attempts == 3
    assert "gave up after 3 attempts: HTTP 500" in caught.value.message
    assert [r.reason for r in sink.of(RequestRetried)] == [
        "timeout waiting for statsapi.test (ReadTimeout)",
        "HTTP 502",
    ]
    [gave_up] = sink.of(RequestGaveUp)
    assert (gave_up.attempts, gave_up.reason) == (3, "HTTP 500")
    [finished] = sink.of(RequestFinished)
    assert finished.error == "HTTP 500" and finished.retries == 2  # the cause; tries apart


async def test_backoff_grows_exponentially_between_attempts() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(return_value=httpx.Response(503))
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(attempts=4, initial_backoff_s=1.0, jitter_s=0.0, sleep=record)
    async with make_client(router, retry=policy) as client:
        with pytest.raises(RequestFailed):
            await client.feed(746139)
    assert waits == [1.0, 2.0, 4.0]


async def test_404_is_not_found_and_not_retried() -> None:
    router = new_router()
    route = router.get("/v1.1/game/1/feed/live").mock(return_value=httpx.Response(404))
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        with pytest.raises(NotFound) as caught:
            await client.feed(1)
    assert route.call_count == 1
    assert caught.value.url == f"{BASE}/v1.1/game/1/feed/live"
    assert caught.value.exit_code == 1
    [finished] = sink.of(RequestFinished)
    assert (finished.status, finished.error) == (404, "not found (HTTP 404)")
    assert sink.of(RequestRetried) == []


async def test_400_is_not_retried() -> None:
    router = new_router()
    route = router.get("/v1/schedule").mock(return_value=httpx.Response(400))
    async with make_client(router) as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.schedule(date="not-a-date")
    assert route.call_count == 1
    assert caught.value.status == 400 and not caught.value.retryable


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (
            httpx.Response(
                200,
                content=b"<html><body>502 Bad Gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
            "HTML page instead of JSON",
        ),
        (
            httpx.Response(200, content=b"OK", headers={"content-type": "text/plain"}),
            "content type 'text/plain', not JSON",
        ),
        # derived: a real feed with a stray byte in the middle
        (
            json_response(_FEED_BYTES[:1000] + b"}" + _FEED_BYTES[1000:]),
            "malformed JSON at line 36 column 24",
        ),
        # derived: Latin-1 bytes where UTF-8 belongs
        (
            json_response('{"venue": "Estadio Alfredo Harp Helú"}'.encode("latin-1")),
            "invalid UTF-8 at byte 35",
        ),
    ],
    ids=["html", "text-plain", "malformed", "invalid-utf8"],
)
async def test_bad_bodies_are_typed_errors_and_not_retried(
    response: httpx.Response, reason: str
) -> None:
    router = new_router()
    route = router.get(FEED_PATH).mock(return_value=response)
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        with pytest.raises(BadResponse) as caught:
            await client.feed(746139)
    assert caught.value.reason == reason
    assert route.call_count == 1
    assert sink.of(RequestFinished)[0].error == reason


async def test_truncated_json_is_retried_once_then_fails() -> None:
    body = fixture_bytes(FEED)
    cut = body[: len(body) // 2]  # derived: the real feed cut in half
    router = new_router()
    route = router.get(FEED_PATH).mock(return_value=json_response(cut))
    async with make_client(router) as client:
        with pytest.raises(RequestFailed) as caught:
            await client.feed(746139)
    assert route.call_count == 2
    assert caught.value.last_reason == "truncated JSON"


async def test_truncated_json_heals_on_retry() -> None:
    body = fixture_bytes(FEED)
    router = new_router()
    router.get(FEED_PATH).mock(
        side_effect=[json_response(body[:1000]), json_response(body)]  # derived: cut short
    )
    async with make_client(router) as client:
        fetched = await client.feed(746139)
    assert fetched.retries == 1


async def test_declared_oversize_body_is_refused_before_reading() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(return_value=json_response(fixture_bytes(FEED), gz=False))
    async with make_client(router, max_body_bytes=100_000) as client:
        with pytest.raises(BodyTooLarge, match="over the 100000-byte cap"):
            await client.feed(746139)


async def test_gzip_bomb_stops_at_the_decoded_cap() -> None:
    router = new_router()
    bomb = gzip.compress(b" " * 20_000_000)  # 20 MB of spaces, about 20 KB on the wire
    router.get(FEED_PATH).mock(
        return_value=httpx.Response(
            200,
            content=bomb,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
    )
    async with make_client(router, max_body_bytes=1_000_000) as client:
        with pytest.raises(BodyTooLarge, match="decoded"):
            await client.feed(746139)


async def test_streamed_oversize_body_stops_reading_early() -> None:
    """An endless chunked body: the client must stop after the cap, not read 50 MB first.

    respx pre-reads every mocked body (an endless one would never end), so this one exchange
    uses httpx's own MockTransport with a handler that answers only this URL.
    """
    chunks_sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        while chunks_sent < 800:  # 50 MB if fully read
            chunks_sent += 1
            yield b" " * 65_536

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1.1/game/746139/feed/live"
        return httpx.Response(
            200, stream=_Stream(endless()), headers={"content-type": "application/json"}
        )

    clock = ManualClock()
    async with MlbApiClient(
        BASE,
        clock=clock,
        retry=RetryPolicy(attempts=1, sleep=no_wait),
        transport=httpx.MockTransport(handler),
        max_body_bytes=1_000_000,
    ) as client:
        with pytest.raises(BodyTooLarge):
            await client.feed(746139)
    assert chunks_sent <= 1_000_000 // 65_536 + 2


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        await self._chunks.aclose()  # type: ignore[attr-defined]


async def test_redirect_loop_is_a_typed_error() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(
        return_value=httpx.Response(302, headers={"location": f"{BASE}/v1.1/game/746139/x"})
    )
    router.get("/v1.1/game/746139/x").mock(
        return_value=httpx.Response(302, headers={"location": f"{BASE}{FEED_PATH}"})
    )
    async with make_client(router) as client:
        with pytest.raises(RedirectLoop, match="redirect loop"):
            await client.feed(746139)


async def test_unknown_diff_patch_shape_is_bad_response() -> None:
    router = new_router()
    router.get("/v1.1/game/746139/feed/live/diffPatch").mock(
        return_value=json_response(b'{"message": "Internal error"}')
    )
    async with make_client(router) as client:
        with pytest.raises(BadResponse, match="not a whole feed"):
            await client.diff_patch(746139, "20240612_041248")


async def test_coalesced_followers_share_the_failure() -> None:
    router = new_router()
    gate = asyncio.Event()

    async def failing(_request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(404)

    route = router.get(FEED_PATH).mock(side_effect=failing)
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        tasks = [asyncio.create_task(client.feed(746139)) for _ in range(2)]
        for _ in range(5):
            await asyncio.sleep(0)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert route.call_count == 1
    assert all(isinstance(r, NotFound) for r in results)
    assert len(sink.of(RequestFinished)) == 2


async def test_client_outside_async_with_is_a_programming_error() -> None:
    client = MlbApiClient(BASE, retry=RetryPolicy(attempts=1, sleep=no_wait))
    with pytest.raises(RuntimeError, match="async with"):
        await client.feed(1)


async def test_503_with_retry_after_pauses_the_budget_but_without_only_retries() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after": "3"}),
            httpx.Response(503),
            json_response(_FEED_BYTES),
        ]
    )
    clock = ManualClock()
    sink = Recorder()
    budget = RequestBudget(8.0, 10, clock=clock, sink=sink)
    policy = RetryPolicy(attempts=3, jitter_s=0.0)
    async with make_client(router, clock=clock, sink=sink, budget=budget, retry=policy) as c:
        fetched = await drive(clock, c.feed(746139))
    assert fetched.retries == 2
    [changed] = sink.of(BudgetChanged)
    assert changed.reason == "HTTP 503, Retry-After 3s" and changed.rate_per_s == 4.0


async def test_304_for_an_evicted_answer_is_asked_again_without_validators() -> None:
    router = new_router()
    body = fixture_bytes("other/teams_mlb_2026.json")
    route = router.get("/v1/teams").mock(
        side_effect=[
            json_response(body, etag='"v1"'),
            httpx.Response(304),
            json_response(body, etag='"v2"'),
        ]
    )
    clock = ManualClock()
    cache = ResponseCache(clock=clock, ttls_s={"teams": 60.0})
    async with make_client(router, clock=clock, cache=cache) as client:
        await client.teams()
        await clock.advance(61)
        real_revalidated = cache.revalidated

        def evicted(key: str) -> None:
            cache._entries.clear()  # evicted while the request was in flight
            return real_revalidated(key)

        cache.revalidated = evicted  # type: ignore[method-assign,assignment]
        teams = await client.teams()
    assert len(teams) == 30
    assert route.call_count == 3
    assert "if-none-match" not in route.calls[2].request.headers
