"""GameFollower following only (as ``mlbdash game`` does) on the recorded 746139 pairs, the three
diffPatch answer shapes and every way to fail."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_mock import Recorder, json_response, make_client, new_router
from conftest import fixture_bytes, load_fixture

from mlbdash.ingest.errors import BadResponse, RequestFailed
from mlbdash.ingest.events import FeedRefetched
from mlbdash.ingest.follower import GameFollower

FEED_T7 = "feed/feed_746139_live_t7_20240612_041248.json.gz"
FEED_B7 = "feed/feed_746139_live_b7_20240612_042717.json.gz"
DIFF_T7 = "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"
DIFF_B7 = "diffpatch/diffpatch_746139_20240612_042717_to_042758.json"
FEED_PATH = "/v1.1/game/746139/feed/live"
DIFF_PATH = "/v1.1/game/746139/feed/live/diffPatch"


def derived_diff(extra_op: dict[str, Any]) -> bytes:
    """derived: the real 041248->041302 diff with one op appended."""
    blocks = load_fixture(DIFF_T7)
    blocks[-1]["diff"].append(extra_op)
    return json.dumps(blocks).encode()


async def test_full_then_diff_lands_on_041302() -> None:
    router = new_router()
    feed_route = router.get(FEED_PATH).mock(return_value=json_response(fixture_bytes(FEED_T7)))
    diff_route = router.get(DIFF_PATH, params={"startTimecode": "20240612_041248"}).mock(
        return_value=json_response(fixture_bytes(DIFF_T7))
    )
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        follower = GameFollower(client, 746139, sink=sink)
        first = await follower.update()
        second = await follower.update()

    assert (first.kind, first.timecode) == ("full", "20240612_041248")
    assert (second.kind, second.timecode, second.blocks_applied) == ("diff", "20240612_041302", 1)
    assert second.operations == sum(len(b["diff"]) for b in load_fixture(DIFF_T7))
    assert first.operations == 0  # a whole feed
    linescore = follower.feed["liveData"]["linescore"]
    assert (linescore["balls"], linescore["strikes"], linescore["outs"]) == (1, 2, 2)
    assert feed_route.call_count == 1 and diff_route.call_count == 1
    assert second.bytes_wire < first.bytes_wire / 20
    assert sink.of(FeedRefetched) == []


async def test_resume_continues_from_a_stored_version() -> None:
    router = new_router()
    router.get(DIFF_PATH, params={"startTimecode": "20240612_042717"}).mock(
        return_value=json_response(fixture_bytes(DIFF_B7))
    )
    async with make_client(router) as client:
        follower = GameFollower(client, 746139, feed=load_fixture(FEED_B7))
        update = await follower.update()
    assert (update.kind, update.timecode) == ("diff", "20240612_042758")
    pitcher = follower.feed["liveData"]["linescore"]["defense"]["pitcher"]
    assert pitcher["fullName"] == "Andrew Knizner"
    assert follower.timecode == "20240612_042758"


async def test_empty_answer_is_no_update() -> None:
    router = new_router()
    router.get(DIFF_PATH).mock(
        return_value=json_response(
            fixture_bytes("diffpatch/diffpatch_776567_20230827_153000_to_154000_empty.json")
        )
    )
    async with make_client(router) as client:
        follower = GameFollower(client, 746139, feed=load_fixture(FEED_T7))
        update = await follower.update()
    assert (update.kind, update.timecode, update.blocks_applied) == ("none", "20240612_041248", 0)


async def test_whole_feed_answer_replaces_the_feed_without_refetch() -> None:
    router = new_router()
    router.get("/v1.1/game/776567/feed/live/diffPatch").mock(
        return_value=json_response(
            fixture_bytes("diffpatch/diffpatch_776567_noparams_fullgame.json.gz")
        )
    )
    sink = Recorder()
    stored = load_fixture("feed/feed_776567_live_t1_20250827_231301.json.gz")
    async with make_client(router, sink=sink) as client:
        follower = GameFollower(client, 776567, feed=stored, sink=sink)
        update = await follower.update()
    assert update.kind == "full" and update.refetch_reason is None
    # The answer is the feed minus its constant copyright line; the follower keeps the line,
    # so the version it hands over is what feed/live serves for that timecode.
    assert follower.feed is not None and follower.feed["gamePk"] == 776567
    assert follower.feed["copyright"] == stored["copyright"]
    assert sink.of(FeedRefetched) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (derived_diff({"op": "replace", "path": "/liveData/nowhere/x", "value": 1}), "patch"),
        (derived_diff({"op": "remove", "path": "/metaData/timeStamp"}), "timeStamp None"),
        (b"<html>oops</html>", "diffPatch answer unusable"),
        (b'{"message": "error"}', "diffPatch answer unusable"),
    ],
    ids=["patch-error", "timestamp-mismatch", "html", "unknown-shape"],
)
async def test_any_doubt_refetches_the_full_feed(body: bytes, reason: str) -> None:
    router = new_router()
    feed_route = router.get(FEED_PATH).mock(return_value=json_response(fixture_bytes(FEED_T7)))
    response = (
        json_response(body)
        if body.startswith((b"[", b"{"))
        else httpx.Response(200, content=body, headers={"content-type": "text/html"})
    )
    router.get(DIFF_PATH).mock(return_value=response)
    sink = Recorder()
    async with make_client(router, sink=sink) as client:
        follower = GameFollower(client, 746139, feed=load_fixture(FEED_T7), sink=sink)
        update = await follower.update()
    assert update.kind == "full"
    assert update.refetch_reason is not None and reason in update.refetch_reason
    assert update.timecode == "20240612_041248"
    assert feed_route.call_count == 1
    [event] = sink.of(FeedRefetched)
    assert event.game_pk == 746139 and event.reason == update.refetch_reason


async def test_network_failure_on_diff_keeps_the_feed() -> None:
    router = new_router()
    router.get(DIFF_PATH).mock(
        side_effect=[httpx.ConnectError("down")] * 4 + [json_response(fixture_bytes(DIFF_T7))]
    )
    async with make_client(router) as client:
        follower = GameFollower(client, 746139, feed=load_fixture(FEED_T7))
        with pytest.raises(RequestFailed):
            await follower.update()
        assert follower.timecode == "20240612_041248"
        update = await follower.update()
    assert (update.kind, update.timecode) == ("diff", "20240612_041302")


async def test_failed_refetch_leaves_tracker_ready_for_a_full_fetch() -> None:
    router = new_router()
    router.get(DIFF_PATH).mock(
        return_value=json_response(derived_diff({"op": "copy", "from": "/no", "path": "/x"}))
    )
    feed_route = router.get(FEED_PATH).mock(
        side_effect=[httpx.Response(500)] * 4 + [json_response(fixture_bytes(FEED_T7))]
    )
    async with make_client(router) as client:
        follower = GameFollower(client, 746139, feed=load_fixture(FEED_T7))
        with pytest.raises(RequestFailed):
            await follower.update()
        assert follower.feed is None  # the half-patched feed was dropped
        update = await follower.update()
    assert update.kind == "full" and update.timecode == "20240612_041248"
    assert feed_route.call_count == 5


async def test_feed_of_another_game_is_rejected() -> None:
    router = new_router()
    router.get("/v1.1/game/1/feed/live").mock(return_value=json_response(fixture_bytes(FEED_T7)))
    async with make_client(router) as client:
        follower = GameFollower(client, 1)
        with pytest.raises(BadResponse, match="feed is for game 746139, not 1"):
            await follower.update()
