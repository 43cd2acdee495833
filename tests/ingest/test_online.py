"""Watching the real MLB Stats API for change: run with MLBDASH_ONLINE=1 (needs the internet).

These ask statsapi.mlb.com for today's schedule, one feed and its diffPatch, and check they still
parse with mlbdash's models and that diffPatch still answers in one of its three known shapes.
A failure here is how a maintainer learns the MLB changed something, before users do.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from mlbdash.config import DEFAULT_API_URL
from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.client import MlbApiClient, parse_live_feed
from mlbdash.ingest.push import KEEP_ALIVE, push_url, read_message
from mlbdash.mlb.patch import classify_diff_answer
from mlbdash.mlb.status import Lifecycle
from mlbdash.mlb.timecode import parse_timecode

pytestmark = [
    pytest.mark.online,
    pytest.mark.skipif(
        os.environ.get("MLBDASH_ONLINE") != "1", reason="talks to the real API: MLBDASH_ONLINE=1"
    ),
]

API_HOST = "statsapi.mlb.com"


@pytest.fixture(autouse=True, scope="module")
def api_reachable() -> None:
    """With no way to the API (no internet, no DNS), every test here skips, naming why: a
    network this machine lacks says nothing of whether the MLB changed."""
    try:
        with socket.create_connection((API_HOST, 443), timeout=10):
            pass
    except OSError as exc:
        pytest.skip(f"{API_HOST} cannot be reached from here: {exc}")


# A finished 2024 game (HOU @ TOR, the feed_744914 fixture): the fallback when today has none.
KNOWN_GAME_PK = 744914


def client() -> MlbApiClient:
    return MlbApiClient(DEFAULT_API_URL, budget=RequestBudget(2.0, 2))


async def test_todays_schedule_feed_and_diff_patch_still_parse() -> None:
    league_today = datetime.now(ZoneInfo("America/New_York")).date()
    async with client() as api:
        schedule = await api.schedule(date=league_today.isoformat())
        games = [game for _, game in schedule.data.games()]
        assert schedule.data.total_games == len(games)
        for game in games:
            assert game.game_pk is not None
            assert game.status is not None and game.status.lifecycle is not Lifecycle.unknown

        live = [g for g in games if g.status and g.status.abstract_game_state == "Live"]
        game_pk = (live or games)[0].game_pk if games else KNOWN_GAME_PK
        assert game_pk is not None
        fetched = await api.feed(game_pk)
        feed = parse_live_feed(fetched)
        assert feed.game_pk == game_pk
        assert feed.meta_data is not None and feed.meta_data.time_stamp is not None
        parse_timecode(feed.meta_data.time_stamp)
        assert fetched.bytes_wire < fetched.bytes_decoded  # gzip is still honoured

        answer = await api.diff_patch(game_pk, feed.meta_data.time_stamp)
        assert answer.data.shape in ("blocks", "empty", "full")


async def test_diff_patch_without_start_is_still_a_whole_feed() -> None:
    async with client() as api:
        fetched = await api.get_json("diff_patch", f"v1.1/game/{KNOWN_GAME_PK}/feed/live/diffPatch")
    assert classify_diff_answer(fetched.data) == "full"
    assert fetched.data["gamePk"] == KNOWN_GAME_PK


async def test_reference_data_still_parses() -> None:
    async with client() as api:
        statuses = await api.game_status()
        teams = await api.teams(1)
    assert len(statuses) >= 150
    assert len(teams) == 30


async def test_a_live_games_push_socket_sends_messages_in_the_known_shape() -> None:
    """Subscribes to a live game's push socket (derived from the API URL as mlbdash does),
    sends the keep-alive and reads one message; skips when no game is live right now."""
    league_today = datetime.now(ZoneInfo("America/New_York")).date()
    async with client() as api:
        schedule = await api.schedule(date=league_today.isoformat())
    live = [
        game.game_pk
        for _, game in schedule.data.games()
        if game.status and game.status.abstract_game_state == "Live" and game.game_pk
    ]
    if not live:
        pytest.skip("no game is live now")
    game_pk = live[0]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(push_url(DEFAULT_API_URL, game_pk), heartbeat=None) as ws,
    ):
        await ws.send_str(KEEP_ALIVE)
        # A live game changes every pitch; 5 minutes covers a pitching change or a review.
        msg = await ws.receive(timeout=300)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    doc = json.loads(msg.data)
    assert doc["gamePk"] == game_pk
    parse_timecode(doc["timeStamp"])
    assert doc["changeEvent"]["type"] in ("diff_patch", "full_refresh")
    assert read_message(msg.data) is not None
