"""The replay server over real loopback HTTP: endpoints, shapes, virtual time."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from replay_helpers import FIXTURES, demo_options, serve

from mlbdash.mlb.patch import apply_diff_blocks
from mlbdash.mlb.timecode import format_timecode as to_timecode
from mlbdash.mlb.timecode import timecode_instant as parse_timecode

ERROR_KEYS = {"messageNumber", "message", "timestamp", "traceId"}


def _games(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {g["gamePk"]: g for day in doc["dates"] for g in day["games"]}


async def test_demo_schedule_both_date_formats_and_game_day_layout() -> None:
    async with serve(demo_options()) as (_, client, _clock):
        iso = (await client.get("/v1/schedule", params={"sportId": 1, "date": "2026-11-25"})).json()
        us = (await client.get("/v1/schedule", params={"sportId": 1, "date": "11/25/2026"})).json()
    assert iso == us
    games = _games(iso)
    assert len(games) == 12
    states = [g["status"]["abstractGameState"] for g in games.values()]
    postponed = [pk for pk, g in games.items() if g["status"]["codedGameState"] == "D"]
    assert sorted(postponed) == [661333, 661750]
    assert states.count("Live") >= 3
    assert sum(1 for s in states if s == "Preview") >= 2
    assert sum(1 for g in games.values() if g["status"]["detailedState"] == "Final") >= 2
    assert iso["totalGames"] == 12 and iso["totalGamesInProgress"] == states.count("Live")
    assert games[661333]["officialDate"] == "2026-11-26", "rescheduled to the next day"


async def test_schedule_filters_ranges_and_linescore_hydration() -> None:
    async with serve(demo_options()) as (_, client, _clock):
        ranged = await client.get(
            "/v1/schedule", params={"startDate": "11/24/2026", "endDate": "2026-11-26"}
        )
        assert [d["date"] for d in ranged.json()["dates"]] == ["2026-11-25"]
        by_pk = await client.get("/v1/schedule", params={"gamePks": "718096,744914"})
        assert sorted(_games(by_pk.json())) == [718096, 744914]
        team = await client.get("/v1/schedule", params={"date": "2026-11-25", "teamId": 117})
        assert sorted(_games(team.json())) == [662751, 744914]  # both Houston games
        other_sport = await client.get("/v1/schedule", params={"date": "2026-11-25", "sportId": 11})
        assert other_sport.json()["dates"] == []
        hydrated = await client.get(
            "/v1/schedule",
            params={"date": "2026-11-25", "hydrate": "linescore,team", "fields": "dates"},
        )
        live = _games(hydrated.json())[718096]
        feed = (await client.get("/v1.1/game/718096/feed/live")).json()
    assert live["status"]["detailedState"] == "In Progress"
    assert live["linescore"] == feed["liveData"]["linescore"]
    assert live["teams"]["away"]["score"] == feed["liveData"]["linescore"]["teams"]["away"]["runs"]
    assert "isWinner" not in live["teams"]["away"]


async def test_team_hydration_gives_each_team_as_v1_teams_has_it() -> None:
    """hydrate=team: MLB's abbreviation in the schedule, before any feed is read (the name
    mlbdash shows for a team, mlb.facts.team_label); without it only id, name and link."""
    async with serve(demo_options()) as (_, client, _clock):
        day = {"date": "2026-11-25"}
        plain = _games((await client.get("/v1/schedule", params=day)).json())
        hydrated = await client.get("/v1/schedule", params={**day, "hydrate": "team,linescore"})
        teams = _games(hydrated.json())
    postponed = teams[661333]["teams"]  # BOS @ NYY, a real schedule entry
    labels = [postponed[side]["team"]["abbreviation"] for side in ("away", "home")]
    assert labels == ["BOS", "NYY"]
    assert postponed["away"]["team"]["name"] == "Boston Red Sox"
    assert set(plain[661333]["teams"]["away"]["team"]) == {"id", "name", "link"}
    assert "linescore" in teams[718096]  # the other hydrations still apply


async def test_schedule_status_follows_the_game_through_virtual_time() -> None:
    async with serve(demo_options()) as (_, client, clock):

        async def state() -> str:
            answer = await client.get("/v1/schedule", params={"gamePk": 718322})
            return str(_games(answer.json())[718322]["status"]["detailedState"])

        seen = [await state()]
        for _ in range(40):
            await clock.advance(600)
            if seen[-1] != (now := await state()):
                seen.append(now)
    assert seen == ["Pre-Game", "Warmup", "In Progress", "Final"]


async def test_feed_answers_versions_by_time_and_timecode() -> None:
    async with serve(demo_options()) as (server, client, clock):
        first = (await client.get("/v1.1/game/718263/feed/live")).json()
        await clock.advance(900)
        later = (await client.get("/v1.1/game/718263/feed/live")).json()
        again = await client.get(
            "/v1.1/game/718263/feed/live", params={"timecode": first["metaData"]["timeStamp"]}
        )
        v1 = await client.get("/v1/game/718263/feed/live")
        stamps = (await client.get("/v1.1/game/718263/feed/live/timestamps")).json()
    assert later["metaData"]["timeStamp"] > first["metaData"]["timeStamp"]
    assert len(later["liveData"]["plays"]["allPlays"]) > len(first["liveData"]["plays"]["allPlays"])
    assert again.json() == first
    assert v1.json() == later
    assert stamps[-1] == later["metaData"]["timeStamp"] and stamps == sorted(stamps)
    now = server.clock.now()
    assert parse_timecode(stamps[-1]) <= now  # type: ignore[operator]


async def test_diffpatch_answers_all_three_shapes_and_chains_exactly() -> None:
    async with serve(demo_options()) as (_, client, clock):
        url = "/v1.1/game/718096/feed/live"
        base = (await client.get(url)).json()
        start = base["metaData"]["timeStamp"]
        empty = await client.get(f"{url}/diffPatch", params={"startTimecode": start})
        await clock.advance(120)
        blocks = (await client.get(f"{url}/diffPatch", params={"startTimecode": start})).json()
        current = (await client.get(url)).json()
        whole = (await client.get(f"{url}/diffPatch")).json()
        unknown = await client.get(f"{url}/diffPatch", params={"startTimecode": "20200101_000000"})
        await clock.advance(400)
        stale = (await client.get(f"{url}/diffPatch", params={"startTimecode": start})).json()
        later = (await client.get(url)).json()
    assert empty.json() == [] and empty.content == b"[]"
    assert isinstance(blocks, list) and len(blocks) >= 2
    assert all(block["diff"][0]["path"] == "/metaData/timeStamp" for block in blocks)
    assert apply_diff_blocks(base, blocks) == current
    assert "copyright" not in whole and whole["gamePk"] == 718096
    assert whole == {k: v for k, v in current.items() if k != "copyright"}
    assert unknown.json()["metaData"] == current["metaData"]
    assert isinstance(stale, dict) and stale["metaData"] == later["metaData"], "window passed"


async def test_end_timecode_bounds_the_patch() -> None:
    async with serve(demo_options()) as (_, client, clock):
        url = "/v1.1/game/718096/feed/live"
        base = (await client.get(url)).json()
        await clock.advance(60)
        middle = (await client.get(url)).json()
        await clock.advance(60)
        blocks = await client.get(
            f"{url}/diffPatch",
            params={
                "startTimecode": base["metaData"]["timeStamp"],
                "endTimecode": middle["metaData"]["timeStamp"],
            },
        )
    assert apply_diff_blocks(base, blocks.json()) == middle


async def test_unknown_games_and_paths_answer_404_json() -> None:
    async with serve(demo_options()) as (_, client, _clock):
        no_feed = await client.get("/v1.1/game/661333/feed/live")  # scheduled, not recorded
        unknown = await client.get("/v1.1/game/1/feed/live/diffPatch")
        path = await client.get("/v1/nothing/here")
        bad = await client.get("/v1.1/game/718096/feed/live", params={"timecode": "yesterday"})
    for answer in (no_feed, unknown, path):
        assert answer.status_code == 404
        assert set(answer.json()) == ERROR_KEYS
    assert bad.status_code == 400 and set(bad.json()) == ERROR_KEYS


async def test_gzip_when_asked() -> None:
    async with serve(demo_options()) as (server, _client, _clock), httpx.AsyncClient() as raw:
        url = f"{server.base_url}/v1.1/game/744914/feed/live"
        zipped = await raw.get(url, headers={"Accept-Encoding": "gzip"})
        plain = await raw.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert zipped.json() == plain.json()
    assert int(zipped.headers["Content-Length"]) < len(plain.content) / 3


async def test_conditional_requests_on_schedule_and_reference_data() -> None:
    async with serve(data=FIXTURES) as (_, client, _clock):
        for path, params in (
            ("/v1/schedule", {"date": "2024-07-01"}),
            ("/v1/teams", {"sportId": 1}),
            ("/v1/gameStatus", {}),
        ):
            first = await client.get(path, params=params)
            assert first.status_code == 200
            etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
            same = await client.get(path, params=params, headers={"If-None-Match": etag})
            assert same.status_code == 304 and same.content == b""
            since = await client.get(path, params=params, headers={"If-Modified-Since": modified})
            assert since.status_code == 304
        statuses = (await client.get("/v1/gameStatus")).json()
        teams = (await client.get("/v1/teams", params={"sportId": 1})).json()["teams"]
    assert len(statuses) == 201
    assert len(teams) == 30


async def test_fixtures_directory_serves_recorded_games_and_diffpatches() -> None:
    start = datetime(2024, 6, 12, 4, 13, 2, tzinfo=UTC)
    async with serve(data=FIXTURES, start=start) as (server, client, _clock):
        recorded = await client.get(
            "/v1.1/game/746139/feed/live/diffPatch",
            params={"startTimecode": "20240612_041248"},
        )
        snapshot = (await client.get("/v1.1/game/746139/feed/live")).json()
        stamps = (await client.get("/v1.1/game/776567/feed/live/timestamps")).json()
        changes = await client.get(
            "/v1/game/changes", params={"updatedSince": "2024-06-12T00:00:00Z"}
        )
        linescore = (await client.get("/v1/game/746139/linescore")).json()
        postponed = await client.get("/v1/schedule", params={"date": "2022-04-07"})
        derived = await client.get("/v1/schedule", params={"gamePk": 662751})
    raw = (FIXTURES / "diffpatch/diffpatch_746139_20240612_041248_to_041302.json").read_bytes()
    assert recorded.json() == httpx.Response(200, content=raw).json(), "served as recorded"
    assert snapshot["metaData"]["timeStamp"] == "20240612_041248"
    assert linescore["currentInning"] == snapshot["liveData"]["linescore"]["currentInning"]
    assert stamps == [], "recorded timestamps only up to virtual now (2024)"
    assert 746139 in _games(changes.json())
    kept = [g for g in _games(postponed.json()).values() if g["status"]["codedGameState"] == "D"]
    assert len(kept) == 2
    assert derived.headers["X-Replay-Derived-Games"] == "662751"
    assert server.world.start == start


async def test_clock_endpoint_advertises_virtual_time() -> None:
    async with serve(demo_options()) as (server, client, clock):
        before = (await client.get("/../replay/clock")).json()
        await clock.advance(90)
        after = (await client.get(f"{server.root_url}/replay/clock")).json()
    assert before["start"] == "2026-11-26T00:00:00Z" and before["speed"] == 1.0
    moved = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert moved == timedelta(seconds=90)


async def test_many_concurrent_clients() -> None:
    async with serve(demo_options()) as (server, client, _clock):
        stamps = {}
        for pk in (718096, 662751, 718263):
            feed = (await client.get(f"/v1.1/game/{pk}/feed/live")).json()
            stamps[pk] = feed["metaData"]["timeStamp"]
        limits = httpx.Limits(max_connections=150)
        async with httpx.AsyncClient(base_url=server.base_url, limits=limits) as many:
            answers = await asyncio.gather(
                *(
                    many.get(
                        f"/v1.1/game/{pk}/feed/live/diffPatch", params={"startTimecode": stamp}
                    )
                    for pk, stamp in stamps.items()
                    for _ in range(50)
                )
            )
    assert [(a.status_code, a.content) for a in answers] == [(200, b"[]")] * 150


async def test_clones_replay_base_games_under_new_game_pks() -> None:
    async with serve(demo_options(clones=20, clone_stagger=60)) as (server, client, clock):
        await clock.advance(3 * 3600)
        games = _games((await client.get("/v1/schedule", params={"date": "2026-11-25"})).json())
        feed = (await client.get("/v1.1/game/9000019/feed/live")).json()
    clones = sorted(pk for pk in games if pk >= 9_000_000)
    assert clones == list(range(9_000_000, 9_000_020))
    assert feed["gamePk"] == 9_000_019 and feed["gameData"]["game"]["pk"] == 9_000_019
    stamp = parse_timecode(feed["metaData"]["timeStamp"])
    assert stamp is not None and stamp <= server.clock.now()
    assert to_timecode(stamp) == feed["metaData"]["timeStamp"]


async def test_gzip_bytes_are_real_gzip() -> None:
    async with (
        serve(demo_options()) as (server, _client, _clock),
        httpx.AsyncClient() as raw,
        raw.stream(
            "GET", f"{server.base_url}/v1/teams", headers={"Accept-Encoding": "gzip"}
        ) as answer,
    ):
        body = b"".join([chunk async for chunk in answer.aiter_raw()])
    assert gzip.decompress(body).startswith(b"{")
