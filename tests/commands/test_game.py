"""``mlbdash game``: one line per version of a game, following through diffPatch until Final."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_mock import json_response, make_client, new_router
from conftest import fixture_bytes, load_fixture

from mlbdash.cli import main
from mlbdash.commands.game import follow_game
from mlbdash.config import Settings
from mlbdash.errors import MlbdashError
from mlbdash.mlb.clock import ManualClock

FEED_T7 = "feed/feed_746139_live_t7_20240612_041248.json.gz"
DIFF_T7 = "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"
FEED_PATH = "/v1.1/game/746139/feed/live"
DIFF_PATH = "/v1.1/game/746139/feed/live/diffPatch"
SETTINGS = Settings(api_url="https://statsapi.test/api")


def derived_final_block() -> bytes:
    """derived: a diff block from 041302 that ends the game (status Final, new timeStamp)."""
    final = load_fixture("feed/feed_744914_final.json.gz")["gameData"]["status"]
    block = {
        "diff": [
            {"op": "replace", "path": "/metaData/timeStamp", "value": "20240612_050102"},
            {"op": "replace", "path": "/gameData/status", "value": final},
        ]
    }
    return json.dumps([block]).encode()


async def run_follow(clock: ManualClock, work: Any) -> int:
    task = asyncio.ensure_future(work)
    for _ in range(100_000):
        if task.done():
            break
        if clock.pending_sleepers:
            await clock.advance(1)
        else:
            await asyncio.sleep(0)
    result: int = await task
    return result


async def test_prints_state_score_inning_and_timestamp() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(return_value=json_response(fixture_bytes(FEED_T7)))
    out = io.StringIO()
    clock = ManualClock()
    async with make_client(router, clock=clock) as client:
        code = await follow_game(
            SETTINGS, 746139, follow=False, as_json=False, out=out, clock=clock, client=client
        )
    assert code == 0
    assert out.getvalue() == (
        "746139 TEX @ LAD  live (In Progress)  TEX 2 - LAD 14  Top 7, 2 out  ts 20240612_041248\n"
    )


async def test_follow_prints_each_new_version_until_final() -> None:
    router = new_router()
    router.get(FEED_PATH).mock(return_value=json_response(fixture_bytes(FEED_T7)))
    diffs = router.get(DIFF_PATH).mock(
        side_effect=[
            json_response(fixture_bytes(DIFF_T7)),
            json_response(b"[]"),
            httpx.Response(404),  # a failed poll is reported, then polling goes on
            json_response(derived_final_block()),
        ]
    )
    out, err = io.StringIO(), io.StringIO()
    clock = ManualClock()
    async with make_client(router, clock=clock) as client:
        work = follow_game(
            SETTINGS,
            746139,
            follow=True,
            as_json=True,
            out=out,
            err=err,
            clock=clock,
            client=client,
        )
        code = await run_follow(clock, work)
    assert code == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["timecode"], r["update"], r["state"]) for r in lines] == [
        ("20240612_041248", "full", "live"),
        ("20240612_041302", "diff", "live"),
        ("20240612_050102", "diff", "final"),
    ]
    assert lines[1]["outs"] == 2 and lines[1]["inning_half"] == "Top"
    assert diffs.call_count == 4
    assert "not found (HTTP 404)" in err.getvalue()
    assert clock.monotonic() == 40.0  # metaData.wait of 10 s between the four polls


async def test_unknown_game_is_a_one_line_error() -> None:
    router = new_router()
    router.get("/v1.1/game/1/feed/live").mock(return_value=httpx.Response(404))
    clock = ManualClock()
    async with make_client(router, clock=clock) as client:
        with pytest.raises(MlbdashError, match=r"game 1 not found at https://statsapi\.test/api"):
            await follow_game(SETTINGS, 1, follow=False, as_json=False, clock=clock, client=client)


def test_cli_rejects_a_bad_game_pk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["game", "0"]) == 2
    assert capsys.readouterr().err == "mlbdash: GAMEPK must be a positive number, got 0\n"
    with pytest.raises(SystemExit) as caught:
        main(["game", "abc"])
    assert caught.value.code == 2


def test_cli_network_error_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MLBDASH_RETRY_ATTEMPTS", "1")
    # Port 9 (discard) on the loopback: nothing listens, the connection is refused at once.
    code = main(["game", "746139", "--api-url", "http://127.0.0.1:9/api"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("mlbdash: gave up after 1 attempts: connection refused by 127.0.0.1:9")


def test_cli_says_each_retry_while_it_waits(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MLBDASH_RETRY_ATTEMPTS", "2")
    code = main(["game", "746139", "--api-url", "http://127.0.0.1:9/api"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    first, last = captured.err.splitlines()
    assert first.startswith(
        "mlbdash: game 746139: attempt 1 failed (connection refused by 127.0.0.1:9); "
        "trying again in "
    )
    assert last.startswith("mlbdash: gave up after 2 attempts: connection refused by 127.0.0.1:9")
