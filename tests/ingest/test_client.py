"""MlbApiClient on the happy paths: typed endpoints, bytes, events, cache, 304s and coalescing."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime

import httpx
import pytest
from api_mock import Recorder, json_response, make_client, new_router
from conftest import fixture_bytes, load_fixture

from mlbdash.ingest.cache import ResponseCache
from mlbdash.ingest.client import parse_live_feed
from mlbdash.ingest.errors import BadResponse
from mlbdash.ingest.events import RequestFinished
from mlbdash.mlb.clock import ManualClock

FEED_T7 = "feed/feed_746139_live_t7_20240612_041248.json.gz"
DIFF_T7 = "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"


async def test_feed_sends_identity_and_gzip_and_counts_bytes() -> None:
    router = new_router()
    body = fixture_bytes(FEED_T7)
    route = router.get("/v1.1/game/746139/feed/live").mock(return_value=json_response(body))
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        fetched = await client.feed(746139)

    request = route.calls.last.request
    assert request.headers["user-agent"].startswith("mlbdash/")
    assert "gzip" in request.headers["accept-encoding"]
    assert fetched.data["metaData"]["timeStamp"] == "20240612_041248"
    assert fetched.bytes_decoded == len(body)
    assert fetched.bytes_wire == len(gzip.compress(body))
    assert fetched.bytes_wire < fetched.bytes_decoded / 5
    [finished] = sink.of(RequestFinished)
    assert (finished.kind, finished.status, finished.error) == ("feed", 200, None)
    assert finished.bytes_wire == fetched.bytes_wire
    assert finished.bytes_decoded == len(body)


async def test_feed_with_timecode_asks_that_version() -> None:
    router = new_router()
    route = router.get("/v1.1/game/746139/feed/live", params={"timecode": "20240612_041248"})
    route.mock(return_value=json_response(fixture_bytes(FEED_T7)))
    async with make_client(router) as client:
        fetched = await client.feed(746139, timecode="20240612_041248")
    assert route.called
    assert fetched.url.endswith("feed/live?timecode=20240612_041248")


@pytest.mark.parametrize(
    ("fixture", "shape"),
    [
        (DIFF_T7, "blocks"),
        ("diffpatch/diffpatch_776567_20230827_153000_to_154000_empty.json", "empty"),
        ("diffpatch/diffpatch_776567_noparams_fullgame.json.gz", "full"),
    ],
)
async def test_diff_patch_answers_in_each_recorded_shape(fixture: str, shape: str) -> None:
    router = new_router()
    route = router.get(
        "/v1.1/game/746139/feed/live/diffPatch", params={"startTimecode": "20240612_041248"}
    ).mock(return_value=json_response(fixture_bytes(fixture)))
    async with make_client(router) as client:
        fetched = await client.diff_patch(746139, "20240612_041248")
    assert route.called
    answer = fetched.data
    assert answer.shape == shape
    assert (len(answer.blocks) > 0) == (shape == "blocks")
    assert (answer.feed is not None) == (shape == "full")


async def test_schedule_params_and_timestamps_and_reference_data() -> None:
    router = new_router()
    sched = router.get(
        "/v1/schedule",
        params={"sportId": "1", "date": "2024-07-01", "hydrate": "linescore,team"},
    ).mock(return_value=json_response(fixture_bytes("schedule/schedule_2024-07-01_3games.json")))
    router.get("/v1.1/game/776567/feed/live/timestamps").mock(
        return_value=json_response(fixture_bytes("timestamps/timestamps_776567_live_20250827.json"))
    )
    router.get("/v1/gameStatus").mock(
        return_value=json_response(fixture_bytes("other/gamestatus_all.json"))
    )
    router.get("/v1/teams", params={"sportId": "1"}).mock(
        return_value=json_response(fixture_bytes("other/teams_mlb_2026.json"))
    )
    router.get("/v1/game/changes", params={"sportId": "1"}).mock(
        return_value=json_response(fixture_bytes("schedule/schedule_2024-07-01_3games.json"))
    )
    async with make_client(router) as client:
        schedule = await client.schedule(date="2024-07-01", hydrate=("linescore", "team"))
        stamps = await client.timestamps(776567)
        statuses = await client.game_status()
        teams = await client.teams(1)
        changes = await client.game_changes(datetime(2024, 7, 1, 17, tzinfo=UTC))

    assert sched.called
    assert schedule.data.total_games == 3
    assert [game.game_pk for _, game in schedule.data.games()] == [
        game["gamePk"]
        for day in load_fixture("schedule/schedule_2024-07-01_3games.json")["dates"]
        for game in day["games"]
    ]
    assert len(stamps) == 21 and stamps[0] == "20250827_183753"
    assert len(statuses) == 201
    assert {t["abbreviation"] for t in teams} >= {"NYY", "LAD"}
    assert "updatedSince=2024-07-01T17%3A00%3A00%2B00%3A00" in changes.url
    assert changes.data.total_games == 3


async def test_schedule_served_from_cache_until_ttl_expires() -> None:
    router = new_router()
    route = router.get("/v1/schedule").mock(
        return_value=json_response(fixture_bytes("schedule/schedule_2024-07-01_3games.json"))
    )
    clock = ManualClock()
    sink = Recorder()
    cache = ResponseCache(clock=clock, ttls_s={"schedule": 10.0})
    async with make_client(router, clock=clock, sink=sink, cache=cache) as client:
        first = await client.schedule(date="2024-07-01")
        await clock.advance(9)
        second = await client.schedule(date="2024-07-01")
        await clock.advance(2)
        third = await client.schedule(date="2024-07-01")

    assert route.call_count == 2
    assert (first.from_cache, second.from_cache, third.from_cache) == (False, True, False)
    assert second.bytes_wire == 0 and second.data == first.data
    hits = [e.cache_hit for e in sink.of(RequestFinished)]
    assert hits == [False, True, False]


async def test_etag_revalidation_serves_cached_body_on_304() -> None:
    router = new_router()
    body = fixture_bytes("other/teams_mlb_2026.json")
    route = router.get("/v1/teams").mock(
        side_effect=[
            json_response(body, etag='"v1"', last_modified="Wed, 01 Jul 2026 17:00:00 GMT"),
            httpx.Response(304, headers={"etag": '"v1"'}),
        ]
    )
    clock = ManualClock()
    sink = Recorder()
    cache = ResponseCache(clock=clock, ttls_s={"teams": 60.0})
    async with make_client(router, clock=clock, sink=sink, cache=cache) as client:
        first = await client.teams()
        await clock.advance(61)
        second = await client.teams()

    assert route.call_count == 2
    revalidation = route.calls[1].request
    assert revalidation.headers["if-none-match"] == '"v1"'
    assert revalidation.headers["if-modified-since"] == "Wed, 01 Jul 2026 17:00:00 GMT"
    assert second == first
    finished = sink.of(RequestFinished)
    assert [e.not_modified for e in finished] == [False, True]
    assert finished[1].status == 200 and finished[1].bytes_wire == 0


async def test_feeds_are_never_cached() -> None:
    router = new_router()
    route = router.get("/v1.1/game/746139/feed/live").mock(
        return_value=json_response(fixture_bytes(FEED_T7))
    )
    async with make_client(router) as client:
        await client.feed(746139)
        await client.feed(746139)
    assert route.call_count == 2
    assert len(client.cache) == 0


async def test_concurrent_callers_of_one_url_share_one_request() -> None:
    router = new_router()
    gate = asyncio.Event()
    body = fixture_bytes(FEED_T7)

    async def slow(_request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return json_response(body)

    route = router.get("/v1.1/game/746139/feed/live").mock(side_effect=slow)
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        tasks = [asyncio.create_task(client.feed(746139)) for _ in range(3)]
        for _ in range(5):
            await asyncio.sleep(0)
        gate.set()
        results = await asyncio.gather(*tasks)

    assert route.call_count == 1
    assert [r.coalesced for r in results] == [False, True, True]
    # Feeds are the caller's to patch: each follower got its own copy.
    assert results[1].data == results[0].data and results[1].data is not results[0].data
    finished = sink.of(RequestFinished)
    assert sorted(e.coalesced for e in finished) == [False, True, True]
    assert sum(e.bytes_wire for e in finished) == results[0].bytes_wire


async def test_load_fixture_helper_agrees_with_client_decode() -> None:
    router = new_router()
    router.get("/v1.1/game/746139/feed/live/diffPatch").mock(
        return_value=json_response(fixture_bytes(DIFF_T7), gz=False)
    )
    async with make_client(router) as client:
        fetched = await client.diff_patch(746139, "20240612_041248")
    assert fetched.data.blocks == load_fixture(DIFF_T7)
    assert fetched.bytes_wire == fetched.bytes_decoded


async def test_parsed_accessors_and_parse_failures() -> None:
    router = new_router()
    router.get("/v1.1/game/746139/feed/live").mock(
        return_value=json_response(fixture_bytes(FEED_T7))
    )
    # derived: a schedule whose dates are not a list
    router.get("/v1/schedule").mock(return_value=json_response(b'{"dates": "2024-07-01"}'))
    async with make_client(router) as client:
        feed = parse_live_feed(await client.feed(746139))
        with pytest.raises(BadResponse, match="Schedule: dates"):
            await client.schedule(date="2024-07-01")
    assert feed.game_pk == 746139
    assert feed.meta_data is not None and feed.meta_data.time_stamp == "20240612_041248"
