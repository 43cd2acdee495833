"""The bad-input corpus through the real client over loopback HTTP (an aiohttp server).

Each bad body (truncated, not JSON, HTML, 50 MB, nested 100,000 deep, wrong types, invalid
UTF-8) must end in a typed ``ApiError`` with a one-line message, and reading it must take
memory bounded by the client's size cap, never by the body. Bodies derived from a real feed
are marked "derived".
"""

from __future__ import annotations

import contextlib
import gzip
import json
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from conftest import fixture_bytes

from mlbdash.ingest.client import MlbApiClient, parse_live_feed
from mlbdash.ingest.errors import ApiError, BadResponse, BodyTooLarge, RequestFailed
from mlbdash.ingest.retry import RetryPolicy, no_wait

FEED = fixture_bytes("feed/feed_746139_live_t7_20240612_041248.json.gz")
JSON = "application/json;charset=UTF-8"
MB = 1_000_000
BIG = 50 * MB
CAP = 25 * MB
"""The client's default max_body_bytes."""


@dataclass(frozen=True)
class Case:
    name: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    error: type[ApiError]
    reason: str
    parse: bool = False
    """Also run the answer through the feed model (wrong types surface there)."""


def body_handler(
    body: bytes, content_type: str = JSON, status: int = 200, gz: bool = False
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": content_type}
        payload = body
        if gz:
            headers["Content-Encoding"] = "gzip"
            payload = gzip.compress(body, mtime=0)
        return web.Response(status=status, body=payload, headers=headers)

    return handler


async def huge_chunked(request: web.Request) -> web.StreamResponse:
    """50 MB of valid-looking JSON with no Content-Length: the size is only known by reading."""
    response = web.StreamResponse(headers={"Content-Type": JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    chunk = b'"' + b"x" * (MB - 3) + b'",'
    await response.write(b"[")
    try:
        for _ in range(BIG // MB):
            await response.write(chunk)
        await response.write(b"0]")
    except ConnectionError:
        pass  # the client stopped reading at its cap, as it should
    return response


async def huge_declared(request: web.Request) -> web.StreamResponse:
    """Content-Length says 50 MB: refused before a byte of the body is read."""
    response = web.StreamResponse(headers={"Content-Type": JSON})
    response.content_length = BIG
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):
        await response.write(b"[" + b"0," * 1000)
    return response


_GZIP_BOMB = gzip.compress(b"[" + b"0," * (BIG // 2) + b"0]", compresslevel=9, mtime=0)


async def gzip_bomb(request: web.Request) -> web.StreamResponse:
    """About 50 KB on the wire that inflates to 50 MB."""
    headers = {"Content-Type": JSON, "Content-Encoding": "gzip"}
    return web.Response(body=_GZIP_BOMB, headers=headers)


# Derived from the real feed: the same bytes cut, re-typed or mangled.
_TRUNCATED = FEED[: len(FEED) // 2]
_WRONG_TYPES = json.dumps({**json.loads(FEED), "gameData": ["not", "an", "object"]}).encode()


def _with_status_state(value: object) -> bytes:
    doc = json.loads(FEED)
    doc["gameData"]["status"]["abstractGameState"] = value
    return json.dumps(doc).encode()


_WRONG_STATUS_TYPE = _with_status_state(7)
_BAD_UTF8 = FEED[:200] + b"\xff\xfe\xc3\x28" + FEED[200:]
_NESTED = b"[" * 100_000 + b"]" * 100_000
_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)

CASES = [
    # Retryable failures end, after the (single) attempt, as RequestFailed naming the reason.
    Case("truncated JSON", body_handler(_TRUNCATED), RequestFailed, "truncated JSON"),
    Case("truncated JSON, gzip", body_handler(_TRUNCATED, gz=True), RequestFailed, "truncated"),
    Case(
        "not JSON",
        body_handler(b"Service temporarily unavailable, try again later\n"),
        BadResponse,
        "malformed JSON at line 1 column 1",
    ),
    Case("empty", body_handler(b""), RequestFailed, "empty body"),
    Case(
        "HTML page with 200",
        body_handler(_HTML, "text/html"),
        BadResponse,
        "HTML page instead of JSON",
    ),
    Case(
        "HTML labelled JSON",
        body_handler(_HTML),
        BadResponse,
        "malformed JSON at line 1 column 1",
    ),
    Case("50 MB, no length", huge_chunked, BodyTooLarge, "over the 25000000-byte cap"),
    Case("50 MB, declared", huge_declared, BodyTooLarge, "body of 50000000 bytes over"),
    Case("50 MB gzip bomb", gzip_bomb, BodyTooLarge, "cap decoded"),
    Case("nested 100,000 deep", body_handler(_NESTED), BadResponse, "nested too deeply"),
    Case("a list, not an object", body_handler(b"[1, 2, 3]"), BadResponse, "got list"),
    Case("a string, not an object", body_handler(b'"feed"'), BadResponse, "got str"),
    Case(
        "gameData a list",
        body_handler(_WRONG_TYPES),
        BadResponse,
        "LiveFeed: gameData",
        parse=True,
    ),
    Case(
        "abstractGameState a number",
        body_handler(_WRONG_STATUS_TYPE),
        BadResponse,
        "LiveFeed: gameData.status.abstractGameState",
        parse=True,
    ),
    Case("invalid UTF-8", body_handler(_BAD_UTF8), BadResponse, "invalid UTF-8 at byte 200"),
]


@pytest.fixture
async def corpus_server() -> AsyncIterator[str]:
    """A loopback server answering each case at /api/v1.1/game/<index>/feed/live."""
    app = web.Application()
    for index, case in enumerate(CASES):
        app.router.add_get(f"/api/v1.1/game/{index}/feed/live", case.handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        await runner.cleanup()


def test_the_corpus_bodies_really_are_what_they_claim() -> None:
    # A test must be able to fail: the derived bodies differ from the real one as described.
    assert json.loads(FEED)["gameData"]["status"]["abstractGameState"] == "Live"
    assert _WRONG_STATUS_TYPE != FEED
    assert len(gzip.decompress(_GZIP_BOMB)) > BIG
    assert len(_GZIP_BOMB) < BIG // 100


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
async def test_bad_body_gives_a_typed_one_line_error_in_bounded_memory(
    corpus_server: str, index: int
) -> None:
    case = CASES[index]
    # One attempt: the point is what a single bad answer does, not the retry policy.
    retry = RetryPolicy(attempts=1, bad_body_retries=0, sleep=no_wait)
    async with MlbApiClient(corpus_server, retry=retry) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ApiError) as caught:
                fetched = await client.feed(index)
                if case.parse:
                    parse_live_feed(fetched)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    error = caught.value
    assert isinstance(error, case.error), f"{type(error).__name__}: {error}"
    assert case.reason in error.message
    assert "\n" not in error.message
    assert f"/game/{index}/feed/live" in error.message
    # Bounded by the 25 MB cap, never by the 50 MB body. Inflating gzip can briefly hold
    # twice the cap (zlib grows its output buffer by copying), hence the factor.
    assert peak < 2.2 * CAP, f"peak {peak / MB:.1f} MB"


@pytest.mark.parametrize("name", ["50 MB, no length", "50 MB gzip bomb"])
async def test_a_smaller_cap_bounds_memory_by_the_cap_not_the_body(
    corpus_server: str, name: str
) -> None:
    retry = RetryPolicy(attempts=1, bad_body_retries=0, sleep=no_wait)
    index = next(i for i, c in enumerate(CASES) if c.name == name)
    async with MlbApiClient(corpus_server, retry=retry, max_body_bytes=2 * MB) as client:
        tracemalloc.start()
        try:
            with pytest.raises(BodyTooLarge, match="over the 2000000-byte cap"):
                await client.feed(index)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # A fiftieth of the body's size at most (the cap is a twenty-fifth of it).
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB for a 50 MB body"
