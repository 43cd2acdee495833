"""A failed request names its cause: DNS, refused connection, TLS, HTTP status, a bad answer,
or mlbdash's own error on the answer; every one of them is in the request log's events.

Refused connections, TLS failures and dropped connections are real sockets on the loopback;
a DNS failure and an unreachable network cannot be made on demand, so those two raise the
exception httpx raises for them (a ``ConnectError`` caused by the ``OSError``).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import respx
from api_mock import BASE, Recorder, make_client, new_router

from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.retry import RetryPolicy, no_wait
from mlbdash.mlb.clock import ManualClock

ONCE = RetryPolicy(attempts=1, sleep=no_wait)


@asynccontextmanager
async def loopback(answer: bytes | None) -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that sends ``answer`` (or nothing) and hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def failure_of(url: str) -> tuple[str, RequestFinished]:
    sink = Recorder()
    async with MlbApiClient(url, clock=ManualClock(), sink=sink, retry=ONCE) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_json("schedule", "v1/schedule")
    (finished,) = sink.of(RequestFinished)
    return caught.value.cause, finished


async def test_connection_refused() -> None:
    cause, finished = await failure_of("http://127.0.0.1:9/api")
    assert cause == "connection refused by 127.0.0.1:9"
    assert (finished.error, finished.status, finished.internal) == (cause, None, False)


async def test_tls_handshake_with_a_server_that_does_not_speak_tls() -> None:
    async with loopback(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        cause, _ = await failure_of(f"https://127.0.0.1:{port}/api")
    assert cause.startswith(f"TLS handshake with 127.0.0.1:{port} failed (")


async def test_a_server_that_hangs_up_without_answering() -> None:
    async with loopback(None) as port:
        cause, _ = await failure_of(f"http://127.0.0.1:{port}/api")
    assert cause == f"127.0.0.1:{port} closed the connection without a complete answer"


@pytest.mark.parametrize(
    ("raised", "cause"),
    [
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "DNS lookup failed for statsapi.test (Name or service not known)",
        ),
        (
            OSError(errno.ENETUNREACH, "Network is unreachable"),
            "network unreachable (statsapi.test)",
        ),
    ],
)
async def test_dns_and_network_failures(raised: OSError, cause: str) -> None:
    class Failing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError(str(raised), request=request) from raised

    sink = Recorder()
    async with MlbApiClient(
        BASE, clock=ManualClock(), sink=sink, retry=ONCE, transport=Failing()
    ) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_json("schedule", "v1/schedule")
    assert caught.value.cause == cause
    (finished,) = sink.of(RequestFinished)
    assert finished.error == cause


async def _one(router: respx.MockRouter) -> tuple[ApiError, RequestFinished]:
    sink = Recorder()
    async with make_client(router, sink=sink, retry=ONCE) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_json("diff_patch", "v1.1/game/1/feed/live/diffPatch")
    (finished,) = sink.of(RequestFinished)
    return caught.value, finished


async def test_an_unreadable_retry_after_is_a_logged_http_error_not_a_crash() -> None:
    router = new_router()
    router.get("/v1.1/game/1/feed/live/diffPatch").mock(
        return_value=httpx.Response(503, headers={"Retry-After": "²".encode("latin-1")})
    )
    error, finished = await _one(router)
    assert error.cause == "HTTP 503"
    assert (finished.status, finished.error) == (503, "HTTP 503")


async def test_a_5000_digit_number_is_a_logged_bad_answer_not_a_crash() -> None:
    body = b'[{"diff": [{"op": "replace", "path": "/x", "value": ' + b"9" * 5000 + b"}]}]"
    router = new_router()
    router.get("/v1.1/game/1/feed/live/diffPatch").mock(
        return_value=httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    error, finished = await _one(router)
    assert error.cause.startswith("unreadable JSON: Exceeds the limit (4300 digits)")
    # The server answered: a bad answer, not an unreachable API.
    assert (finished.status, finished.error, finished.internal) == (200, error.cause, False)


async def test_our_own_error_on_an_answer_is_logged_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(url: str, body: bytes) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr("mlbdash.ingest.client._decode_json", broken)
    router = new_router()
    router.get("/v1/schedule").mock(
        return_value=httpx.Response(200, json={}, headers={"content-type": "application/json"})
    )
    sink = Recorder()
    async with make_client(router, sink=sink, retry=ONCE) as client:
        with pytest.raises(KeyError):
            await client.get_json("schedule", "v1/schedule")
    (finished,) = sink.of(RequestFinished)
    assert finished.error == "internal error: KeyError: 'a bug'"
    assert finished.internal and finished.url == f"{BASE}/v1/schedule"
