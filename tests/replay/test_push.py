"""The replay server's game push socket and the feed's ``fields`` filter, over real loopback."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from replay_helpers import FIXTURES, demo_options, serve

from mlbdash.mlb.fields import names_for, select_fields
from mlbdash.replay.faults import parse_fault_spec
from mlbdash.replay.server import ReplayServer

GAME = 718263
RECEIVE_S = 10.0  # a safety net against a hang, never a measure of anything


def push_url(server: ReplayServer, game_pk: int = GAME) -> str:
    root = server.root_url.replace("http://", "ws://", 1)
    return f"{root}/api/v1/game/push/subscribe/gameday/{game_pk}"


def versions_between(server: ReplayServer, start: float, end: float) -> list[str]:
    timeline = server.world.games[GAME].timeline
    assert timeline is not None
    return [timeline.timecode(i) for i, t in enumerate(timeline.times) if start < t <= end]


async def receive(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    got = []
    for _ in range(count):
        msg = await ws.receive(timeout=RECEIVE_S)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        got.append(json.loads(msg.data))
    return got


async def test_socket_sends_each_new_version_in_virtual_time() -> None:
    async with serve(demo_options()) as (server, _, clock), aiohttp.ClientSession() as session:
        start = clock.now().timestamp()
        async with session.ws_connect(push_url(server)) as ws:
            await ws.send_str("Gameday5")
            await clock.advance(600)
            expected = versions_between(server, start, start + 600)
            assert len(expected) > 3
            messages = await receive(ws, len(expected))
        stats = server.app.push.stats
    assert [m["timeStamp"] for m in messages] == expected
    first = messages[0]
    assert set(first) == {
        "timeStamp",
        "updateId",
        "gamePk",
        "gameEvents",
        "logicalEvents",
        "changeEvent",
    }
    assert first["gamePk"] == GAME and first["changeEvent"] == {"type": "diff_patch"}
    assert len({m["updateId"] for m in messages}) == len(messages)
    assert stats.keep_alives == 1 and stats.connections == 1


async def test_socket_says_game_finished_at_final() -> None:
    async with serve(demo_options()) as (server, _, clock), aiohttp.ClientSession() as session:
        timeline = server.world.games[GAME].timeline
        assert timeline is not None
        # Just before the last version: the next message is the Final one.
        await clock.advance(timeline.times[-1] - clock.now().timestamp() - 1)
        async with session.ws_connect(push_url(server)) as ws:
            await clock.advance(2)
            (last,) = await receive(ws, 1)
    assert last["timeStamp"] == timeline.timecode(len(timeline.times) - 1)
    assert last["gameEvents"] == ["game_finished"]


async def _faulted(spec: str, seconds: float = 600) -> tuple[list[str], list[dict[str, Any]], Any]:
    options = demo_options(faults=parse_fault_spec(spec), seed=7)
    async with serve(options) as (server, _, clock), aiohttp.ClientSession() as session:
        start = clock.now().timestamp()
        expected = versions_between(server, start, start + seconds)
        got: list[dict[str, Any]] = []
        async with session.ws_connect(push_url(server)) as ws:
            await clock.advance(seconds)
            while True:
                msg = await ws.receive(timeout=RECEIVE_S)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                got.append(json.loads(msg.data))
                if got[-1]["timeStamp"] == expected[-1] and "push-dup" not in spec:
                    break
                if "push-dup" in spec and len(got) == 2 * len(expected):
                    break
                if "push-reorder" in spec and len(got) == len(expected) - len(expected) % 2:
                    break  # with every message held once, an odd last one waits for the next
        return expected, got, server.app.push.stats


async def test_duplicated_reordered_and_spurious_refresh_messages() -> None:
    expected, dup, _ = await _faulted("push-dup=1")
    assert [m["timeStamp"] for m in dup] == [t for t in expected for _ in range(2)]
    expected, refresh, _ = await _faulted("push-refresh=1")
    assert {m["changeEvent"]["type"] for m in refresh} == {"full_refresh"}
    expected, reordered, _ = await _faulted("push-reorder=1")
    # Each message is held back until after the next one; the last comes at its turn.
    in_pairs = [t for i in range(0, len(expected) - 1, 2) for t in expected[i + 1 :: -1][:2]]
    assert [m["timeStamp"] for m in reordered] == in_pairs


async def test_dropped_connection_and_refused_upgrade() -> None:
    options = demo_options(faults=parse_fault_spec("push-drop=1"), seed=7)
    async with serve(options) as (server, _, clock), aiohttp.ClientSession() as session:
        async with session.ws_connect(push_url(server)) as ws:
            await clock.advance(600)
            msg = await ws.receive(timeout=RECEIVE_S)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    options = demo_options(faults=parse_fault_spec("push-refuse=1"), seed=7)
    async with serve(options) as (server, _, clock), aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(push_url(server)):
                raise AssertionError("upgrade was not refused")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 503
        assert server.app.push.stats.refused == 1


async def test_silent_socket_stays_open_and_sends_nothing() -> None:
    options = demo_options(faults=parse_fault_spec("push-silence=1"), seed=7)
    async with serve(options) as (server, _, clock), aiohttp.ClientSession() as session:
        async with session.ws_connect(push_url(server)) as ws:
            await clock.advance(600)
            await ws.send_str("Gameday5")
            await ws.close()
            assert ws.close_code is not None
        stats = server.app.push.stats
    assert stats.messages == 0 and stats.faults.get("push-silence") == 1


def test_push_fault_spec_is_checked() -> None:
    spec = parse_fault_spec("push-refuse=0.5,push-dup=0.1,error=0.1")
    assert spec.push_rates == {"push-refuse": 0.5, "push-dup": 0.1}
    for bad in ("push-dup=2", "push-drop=0.6,push-dup=0.6", "push-dup=0.1:x=1"):
        try:
            parse_fault_spec(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_feed_fields_filters_by_key_name_at_any_depth() -> None:
    async with serve(demo_options()) as (_, client, _clock):
        path = f"/v1.1/game/{GAME}/feed/live"
        full = (await client.get(path)).json()
        unnamed_path = (await client.get(path, params={"fields": "plays,score,teams"})).json()
        picked = (
            await client.get(
                path, params={"fields": "metaData,timeStamp,liveData,linescore,currentInning"}
            )
        ).json()
    assert unnamed_path == {}  # as the real API answers (tests/fixtures/other/...empty.json)
    assert picked == {
        "metaData": {"timeStamp": full["metaData"]["timeStamp"]},
        "liveData": {
            "linescore": {
                k: v for k, v in full["liveData"]["linescore"].items() if k == "currentInning"
            }
        },
    }


def test_fields_fixture_is_the_recorded_answer() -> None:
    recorded = FIXTURES / "other" / "feed_776567_fields_plays_score_teams_empty.json"
    if recorded.exists():
        assert json.loads(recorded.read_text()) == {}


async def test_fields_asked_for_the_merge_check_bring_those_parts_back_whole() -> None:
    async with serve(demo_options()) as (_, client, clock):
        await clock.advance(3600)
        path = f"/v1.1/game/{GAME}/feed/live"
        full = (await client.get(path)).json()
        parts = (("metaData",), ("liveData", "linescore"), ("liveData", "plays", "currentPlay"))
        names = names_for(full, parts)
        answer = (await client.get(path, params={"fields": ",".join(sorted(names))})).json()
    assert answer == select_fields(full, names)
    assert answer["metaData"] == full["metaData"]
    assert answer["liveData"]["linescore"] == full["liveData"]["linescore"]
    assert answer["liveData"]["plays"]["currentPlay"] == full["liveData"]["plays"]["currentPlay"]
    assert "allPlays" not in answer["liveData"]["plays"] and "gameData" not in answer
