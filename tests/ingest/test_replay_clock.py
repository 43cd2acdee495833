"""discover_clock: a replay server's virtual clock when there is one, else the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from api_mock import new_router

from mlbdash.ingest.replay_clock import clock_from_answer, discover_clock, replay_clock_url
from mlbdash.mlb.clock import ScaledClock, SystemClock

REPLAY = "http://127.0.0.1:8765/api"


def transport(router: object) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(router.async_handler)  # type: ignore[attr-defined]


def test_clock_url_sits_at_the_host_root() -> None:
    assert replay_clock_url(REPLAY) == "http://127.0.0.1:8765/replay/clock"
    assert replay_clock_url("http://h:1/api/?x=1") == "http://h:1/replay/clock"


async def test_replay_server_clock_is_scaled() -> None:
    router = new_router()
    router.get("http://127.0.0.1:8765/replay/clock").mock(
        return_value=httpx.Response(200, json={"now": "2024-06-12T04:12:48Z", "speed": 60.0})
    )
    clock = await discover_clock(REPLAY, transport=transport(router))
    assert isinstance(clock, ScaledClock)
    assert clock.speed == 60.0
    start = datetime(2024, 6, 12, 4, 12, 48, tzinfo=UTC)
    assert start <= clock.now() < start + timedelta(minutes=1)


async def test_no_replay_endpoint_means_wall_clock() -> None:
    router = new_router()
    router.get("http://127.0.0.1:8765/replay/clock").mock(return_value=httpx.Response(404))
    assert isinstance(await discover_clock(REPLAY, transport=transport(router)), SystemClock)


async def test_unreachable_server_means_wall_clock() -> None:
    router = new_router()
    router.get("http://127.0.0.1:8765/replay/clock").mock(side_effect=httpx.ConnectError("no"))
    assert isinstance(await discover_clock(REPLAY, transport=transport(router)), SystemClock)


async def test_real_api_is_not_asked() -> None:
    router = new_router()  # no routes: any request would fail the test
    clock = await discover_clock("https://statsapi.mlb.com/api", transport=transport(router))
    assert isinstance(clock, SystemClock)


def test_malformed_answers_are_not_clocks() -> None:
    for body in (
        [],
        {"now": "2024-06-12T04:12:48Z"},
        {"now": "2024-06-12T04:12:48", "speed": 1},  # naive
        {"now": "yesterday", "speed": 1},
        {"now": "2024-06-12T04:12:48Z", "speed": 0},
        {"now": "2024-06-12T04:12:48Z", "speed": True},
    ):
        assert clock_from_answer(body) is None
