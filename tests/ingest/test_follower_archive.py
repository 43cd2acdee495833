"""GameFollower archiving a game against the replay server (loopback HTTP, virtual time on a
ManualClock).

One recorded game (CWS @ HOU, 2022-06-19, gamePk 662751) replays from its first version; the
follower must store every version the server has, one per timecode, whatever happens between
polls: steady polling, a long gap (the server answers with the whole feed), a restart from a
stored version, a patch that does not apply.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import fixture_path

from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import NotFound
from mlbdash.ingest.events import Event, FeedRefetched, RequestFinished
from mlbdash.ingest.follower import (
    HISTORY_CHUNK,
    HISTORY_MAX_VERSIONS,
    GameFollower,
    Settled,
    StoredCopies,
    VersionKind,
)
from mlbdash.ingest.validator.service import feed_model_check
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import ReplayServer, start_replay_server

GAME = 662751


class Archive:
    """What the follower stored: (timecode, kind) in order, and the feed of each."""

    def __init__(self) -> None:
        self.versions: list[tuple[str, str]] = []
        self.feeds: dict[str, dict[str, Any]] = {}

    async def store(
        self, timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
    ) -> bool:
        if timecode in self.feeds:
            return False
        assert (kind == "diff") == (ops is not None)
        self.versions.append((timecode, kind))
        # A deep copy: the follower patches its feed in place afterwards.
        self.feeds[timecode] = json.loads(json.dumps(feed))
        return True

    @property
    def timecodes(self) -> list[str]:
        return [t for t, _ in self.versions]

    def copies(self) -> StoredCopies:
        """Read back and replace stored versions, as the store does (deep copies both ways)."""

        async def load(timecode: str) -> dict[str, Any] | None:
            return json.loads(json.dumps(self.feeds[timecode]))

        async def replace(timecode: str, feed: dict[str, Any]) -> None:
            self.feeds[timecode] = json.loads(json.dumps(feed))

        return StoredCopies(load, replace)


@pytest.fixture
async def replay(tmp_path: Path) -> AsyncIterator[tuple[ReplayServer, ManualClock]]:
    data = tmp_path / "data"
    (data / "feed").mkdir(parents=True)
    shutil.copyfile(
        fixture_path("feed/feed_662751_final.json.gz"), data / "feed" / "feed_662751_final.json.gz"
    )
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(data, clock=make_clock) as server:
        yield server, clocks[0]


def _client(server: ReplayServer, clock: ManualClock) -> MlbApiClient:
    # The default budget (5 requests a second, real time) would make a backfill crawl.
    budget = RequestBudget(1000, 1000, clock=clock)
    return MlbApiClient(server.base_url, clock=clock, budget=budget)


async def _server_timecodes(client: MlbApiClient) -> list[str]:
    return await client.timestamps(GAME)


async def _to_first_pitch(clock: ManualClock, client: MlbApiClient, plus_s: float) -> None:
    """Move virtual time to ``plus_s`` seconds after the game's first pitch."""
    feed = (await client.feed(GAME, timecode=None)).data
    first_pitch = datetime.fromisoformat(feed["gameData"]["datetime"]["dateTime"])
    await clock.advance((first_pitch - clock.now()).total_seconds() + plus_s)


async def test_a_game_met_early_is_archived_from_its_first_version(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 5 * 60)
        recorder = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        result = await recorder.update()
        expected = await _server_timecodes(client)
        assert archive.timecodes == expected  # scheduled, pre-game, warmup, every pitch so far
        assert result.new_versions == len(expected)
        assert result.full_versions + result.diff_versions == len(expected)
        assert result.diff_versions > result.full_versions
        assert recorder.timecode == expected[-1]

        # Steady polling at metaData.wait: each poll brings the versions made since, as diffs.
        for _ in range(30):
            await clock.advance(10)
            result = await recorder.update()
            assert result.full_versions == 0
        expected = await _server_timecodes(client)
        assert archive.timecodes == expected
        # Each stored version is exactly the server's version of that timecode.
        for timecode in expected[-5:]:
            served = (await client.feed(GAME, timecode=timecode)).data
            assert archive.feeds[timecode] == served


async def test_a_game_met_early_asks_the_timestamps_list_once(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """Warm-up of a game: the list asked for its first version also says what fills the gap
    up to the present (the list only grows), so it is not asked again in the same update."""
    server, clock = replay
    asked: list[str] = []

    def sink(event: Event) -> None:
        if isinstance(event, RequestFinished):
            asked.append(event.kind)

    archive = Archive()
    budget = RequestBudget(1000, 1000, clock=clock)
    async with MlbApiClient(server.base_url, clock=clock, budget=budget, sink=sink) as client:
        await _to_first_pitch(clock, client, 5 * 60)
        asked.clear()
        follower = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        await follower.update()
        assert asked.count("timestamps") == 1
        assert archive.timecodes == await _server_timecodes(client)


async def test_a_game_met_mid_game_is_archived_from_the_present(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 90 * 60)
        recorder = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        result = await recorder.update()
        served = await _server_timecodes(client)
        assert len(served) > HISTORY_MAX_VERSIONS
        assert archive.timecodes == served[-1:]  # one whole feed, the current version
        assert (result.kind, result.full_versions) == ("full", 1)
        assert recorder.history_before == served[-1]  # said once, for the caller to keep


async def test_the_history_of_a_game_met_mid_game_is_fetched_after_the_present(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """Met 40 minutes in: the present first, then the earlier versions a chunk at a time (one
    whole, then diffPatch steps), polls of the present going on in between; in the end every
    version the server lists is held, each exactly as the server serves it. A call told it
    has done enough stops there."""
    server, clock = replay
    live, past = Archive(), Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 40 * 60)
        recorder = GameFollower(client, GAME, live.store, clock=clock, history=True)
        await recorder.update()
        met = recorder.history_before
        assert met is not None
        owed = [t for t in await _server_timecodes(client) if t < met]
        one = await recorder.backfill(owed, past.store, enough=lambda: len(past.versions) > 0)
        assert (one.new_versions, past.versions) == (1, [(owed[0], "full")])
        tries = 1
        while owed := [
            t for t in await _server_timecodes(client) if t < met and t not in past.feeds
        ]:
            present = (recorder.timecode, recorder.last_stored)
            result = await recorder.backfill(owed, past.store)
            assert result.new_versions == min(HISTORY_CHUNK, len(owed)) and not result.unfilled
            assert (recorder.timecode, recorder.last_stored) == present  # untouched
            await clock.advance(10)
            await recorder.update()  # the present goes on as diffs
            tries += 1
        served = await _server_timecodes(client)
        assert sorted([*past.timecodes, *live.timecodes]) == served
        assert len(past.timecodes) > HISTORY_MAX_VERSIONS
        assert tries == 1 + -(-(len(past.timecodes) - 1) // HISTORY_CHUNK)
        # Each call goes on by diffPatch from the past version the call before left in hand
        # (whole only where the server's diff window is passed: hours of pre-game).
        kinds = [k for _, k in past.versions]
        assert kinds.count("diff") > len(kinds) / 2
        assert [k for _, k in live.versions[1:]] == ["diff"] * (len(live.versions) - 1)
        for timecode in past.timecodes[:: HISTORY_CHUNK // 2]:
            assert past.feeds[timecode] == (await client.feed(GAME, timecode=timecode)).data


async def test_a_history_version_that_cannot_be_got_is_named(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    live, past = Archive(), Archive()
    client = _Refusing(server.base_url, clock=clock, budget=RequestBudget(1000, 1000, clock=clock))
    async with client:
        await _to_first_pitch(clock, client, 90 * 60)
        recorder = GameFollower(client, GAME, live.store, clock=clock, history=True)
        await recorder.update()
        owed = [t for t in await _server_timecodes(client) if t < (recorder.history_before or "")]
        client.refused = owed[0]
        result = await recorder.backfill(owed, past.store)
        assert result.unfilled == (owed[0],) and result.gap_left == 1
        assert past.timecodes == owed[1:HISTORY_CHUNK]  # the rest of the chunk, from owed[1]


async def test_a_long_gap_is_filled_version_by_version(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 20 * 60)
        recorder = GameFollower(client, GAME, archive.store, clock=clock)
        await recorder.update()
        assert len(archive.versions) == 1  # no history asked: the present only
        start = archive.timecodes[0]
        # Half an hour with no poll: far past the server's diff window (300 s).
        await clock.advance(30 * 60)
        result = await recorder.update()
        assert result.kind == "full"
        assert result.backfilled > 0 and result.gap_left == 0
        expected = [t for t in await _server_timecodes(client) if t >= start]
        assert archive.timecodes == expected
        # Versions that came as whole feeds are stored as feed/live serves them.
        newest = expected[-1]
        assert archive.feeds[newest] == (await client.feed(GAME, timecode=newest)).data


async def test_resume_from_a_stored_version_continues_through_diffpatch(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 60 * 60)
        first = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        await first.update()
        last = archive.timecodes[-1]
        stored_feed = archive.feeds[last]
        # "Restart": a new follower from the stored version; a minute later, diffs only.
        await clock.advance(60)
        resumed = GameFollower(client, GAME, archive.store, clock=clock, feed=stored_feed)
        result = await resumed.update()
        assert result.kind == "diff" and result.full_versions == 0
        served = await _server_timecodes(client)
        assert archive.timecodes == served[served.index(archive.timecodes[0]) :]
        assert len(set(archive.timecodes)) == len(archive.timecodes)  # nothing stored twice


async def test_a_patch_that_does_not_apply_refetches_the_whole_feed(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    events: list[Event] = []
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 30 * 60)
        recorder = GameFollower(
            client, GAME, archive.store, clock=clock, sink=events.append, history=True
        )
        await recorder.update()
        feed = recorder.feed
        assert feed is not None
        del feed["liveData"]["plays"]  # the merged feed is no longer what the server has
        await clock.advance(120)
        result = await recorder.update()
        assert result.refetch_reason is not None and result.refetch_reason.startswith("patch")
        assert any(isinstance(e, FeedRefetched) and e.game_pk == GAME for e in events)
        assert recorder.timecode == (await _server_timecodes(client))[-1]
        assert recorder.feed is not None and "plays" in recorder.feed["liveData"]


async def test_full_refresh_fetches_the_whole_feed_and_still_keeps_every_version(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """The push socket's ``full_refresh``: the whole feed instead of a diffPatch, through the
    same one step, so the versions made since the last one stored are still each stored."""
    server, clock = replay
    archive = Archive()
    events: list[Event] = []
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 5 * 60)
        follower = GameFollower(
            client, GAME, archive.store, clock=clock, history=True, sink=events.append
        )
        await follower.update()
        await clock.advance(120)
        result = await follower.update(refresh=True)
        expected = await _server_timecodes(client)
        served = (await client.feed(GAME)).data
    assert archive.timecodes == expected
    assert result.full_versions == 1 and result.new_versions > 1
    assert archive.feeds[expected[-1]] == served
    assert any(isinstance(e, FeedRefetched) and e.reason == "full_refresh" for e in events)


async def test_a_refetch_fills_every_version_in_between(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """After a doubt the merged feed is gone; the versions between the last stored one and the
    refetched present are still all stored, in order, each as the server serves it."""
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 30 * 60)
        follower = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        await follower.update()
        before = len(archive.versions)
        feed = follower.feed
        assert feed is not None
        del feed["liveData"]["plays"]
        await clock.advance(120)
        result = await follower.update()
        assert result.refetch_reason is not None
        served = await _server_timecodes(client)
        served = served[served.index(archive.timecodes[0]) :]  # met mid-game: from then on
        assert archive.timecodes == served  # nothing skipped before the refetched present
        assert result.backfilled == len(served) - before - 1 > 0
        assert result.gap_left == 0 and result.unfilled == ()
        for timecode in archive.timecodes[before : before + 3]:
            assert archive.feeds[timecode] == (await client.feed(GAME, timecode=timecode)).data


class _Refusing(MlbApiClient):
    """A client that cannot get one past version (as when the server will not serve it)."""

    refused: str | None = None

    async def feed(self, game_pk: int, timecode: str | None = None) -> Any:
        if timecode is not None and timecode == self.refused:
            raise NotFound(self.url_for(f"v1.1/game/{game_pk}/feed/live", {"timecode": timecode}))
        return await super().feed(game_pk, timecode)


async def test_a_version_that_cannot_be_got_is_named(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    client = _Refusing(server.base_url, clock=clock, budget=RequestBudget(1000, 1000, clock=clock))
    async with client:
        await _to_first_pitch(clock, client, 30 * 60)
        follower = GameFollower(client, GAME, archive.store, clock=clock, history=True)
        await follower.update()
        before = archive.timecodes[-1]
        feed = follower.feed
        assert feed is not None
        del feed["liveData"]["plays"]
        await clock.advance(120)
        gap = [t for t in await _server_timecodes(client) if t > before]
        client.refused = gap[0]
        result = await follower.update()
        assert result.unfilled == (gap[0],) and result.gap_left == 1
        assert gap[0] not in archive.timecodes
        assert archive.timecodes[-len(gap) + 1 :] == gap[1:]  # the rest, and the present


class ServedCopies:
    """The client, with each whole feed passed through ``serve(n, feed)`` (n counts feed/live
    answers from 1) and each diffPatch answer through ``serve_diff`` before the follower sees
    it: a server whose answers drift (replay's ``drift`` fault, scripted)."""

    def __init__(
        self,
        client: MlbApiClient,
        serve: Callable[[int, dict[str, Any]], dict[str, Any]],
        serve_diff: Callable[[list[Any]], list[Any]] = lambda blocks: blocks,
    ) -> None:
        self._client = client
        self._serve = serve
        self._serve_diff = serve_diff
        self.feeds = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def feed(self, game_pk: int, timecode: str | None = None, **kw: Any) -> Any:
        fetched = await self._client.feed(game_pk, timecode, **kw)
        self.feeds += 1
        return dataclasses.replace(fetched, data=self._serve(self.feeds, fetched.data))

    async def diff_patch(self, *args: Any) -> Any:
        fetched = await self._client.diff_patch(*args)
        answer = fetched.data
        blocks = self._serve_diff(answer.blocks) if answer.shape == "blocks" else answer.blocks
        return dataclasses.replace(fetched, data=dataclasses.replace(answer, blocks=blocks))


def _vet(feed: dict[str, Any]) -> frozenset[str]:
    return feed_model_check(feed).marks


def _without_link(feed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in feed.items() if k != "link"}


def _weather_renamed(feed: dict[str, Any]) -> dict[str, Any]:
    game = dict(feed["gameData"])
    game["weatherV2"] = game.pop("weather")
    return {**feed, "gameData": game}


async def test_a_drifted_whole_feed_is_fetched_again_and_the_servers_copy_kept(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 20 * 60)
        drifting = ServedCopies(client, lambda n, feed: _without_link(feed) if n == 1 else feed)
        follower = GameFollower(drifting, GAME, archive.store, clock=clock, vet=_vet)  # type: ignore[arg-type]
        result = await follower.update()
        (timecode,) = archive.timecodes
        assert result.settled == (Settled(timecode, "replaced", ("missing /link",)),)
        assert archive.feeds[timecode] == (await client.feed(GAME, timecode=timecode)).data
        assert drifting.feeds == 2  # the one served and the one fetched again
        # Sound answers cost nothing more: steady polling asks no whole feed.
        for _ in range(10):
            await clock.advance(10)
            assert (await follower.update()).settled == ()
        assert drifting.feeds == 2 and len(archive.timecodes) > 1


async def test_drift_the_server_serves_every_time_is_kept_and_not_doubted_again(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 20 * 60)
        drifting = ServedCopies(client, lambda n, feed: _weather_renamed(feed))
        follower = GameFollower(drifting, GAME, archive.store, clock=clock, vet=_vet)  # type: ignore[arg-type]
        first = await follower.update()
        (timecode,) = archive.timecodes
        assert [(s.timecode, s.outcome) for s in first.settled] == [(timecode, "confirmed")]
        assert "weatherV2" in archive.feeds[timecode]["gameData"]  # kept as the server serves it
        assert drifting.feeds == 3  # served, then twice alike
        await clock.advance(60)
        again = await follower.update(refresh=True)
        assert again.settled == () and drifting.feeds == 4  # the same drift: no doubt


async def test_a_number_sent_as_a_string_in_a_diff_block_is_not_stored(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    server, clock = replay
    archive = Archive()
    retyped: list[str] = []

    def number_as_string(blocks: list[Any]) -> list[Any]:
        if retyped:
            return blocks
        out = json.loads(json.dumps(blocks))
        ops = [op for block in out for op in block["diff"]]
        op = next(op for op in ops if op["op"] == "replace" and type(op.get("value")) is int)
        op["value"] = str(op["value"])
        retyped.append(op["path"])
        return out

    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 20 * 60)
        drifting = ServedCopies(client, lambda n, feed: feed, number_as_string)
        follower = GameFollower(drifting, GAME, archive.store, clock=clock, vet=_vet)  # type: ignore[arg-type]
        await follower.update()
        await clock.advance(120)
        result = await follower.update()
        assert retyped, "no numeric replace op in the answer"
        assert result.refetch_reason is not None
        assert result.refetch_reason.startswith("drift in a diff block"), result.refetch_reason
        for timecode in archive.timecodes:
            assert archive.feeds[timecode] == (await client.feed(GAME, timecode=timecode)).data


async def test_a_diff_block_served_with_a_field_dropped_is_found_and_replaced(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """A drift no model check can see (a field dropped inside an added play event): the next
    poll serves the block again, the copies differ, a third copy settles it, and the stored
    versions are rebuilt from the version before with the server's block."""
    server, clock = replay
    archive = Archive()
    dropped: list[str] = []

    def drop_a_field(blocks: list[Any]) -> list[Any]:
        if dropped:
            return blocks
        out = json.loads(json.dumps(blocks))
        for block in out:
            for op in block["diff"]:
                if op["op"] == "add" and isinstance(op.get("value"), dict) and op["value"]:
                    key = sorted(op["value"])[0]
                    del op["value"][key]
                    dropped.append(f"{op['path']}/{key}")
                    return out
        return out

    async with _client(server, clock) as client:
        await _to_first_pitch(clock, client, 20 * 60)
        drifting = ServedCopies(client, lambda n, feed: feed, drop_a_field)
        follower = GameFollower(
            drifting,  # type: ignore[arg-type]
            GAME,
            archive.store,
            clock=clock,
            vet=_vet,
            stored=archive.copies(),
        )
        await follower.update()
        settled: list[Settled] = []
        for _ in range(12):
            await clock.advance(10)
            settled.extend((await follower.update()).settled)
        assert dropped, "no add op with an object value in the answers"
        assert [s.outcome for s in settled] == ["replaced"]
        for timecode in archive.timecodes:
            assert archive.feeds[timecode] == (await client.feed(GAME, timecode=timecode)).data
        assert follower.feed == archive.feeds[archive.timecodes[-1]]


async def test_a_final_versions_block_is_served_again_at_once(
    replay: tuple[ReplayServer, ManualClock],
) -> None:
    """The Final is next asked half an hour later, past the diff window: its block is served
    again by a request of its own in the update that stores it, so a field dropped from it is
    found and replaced there and then, with no later poll."""
    server, clock = replay
    archive = Archive()
    timeline = server.world.games[GAME].timeline
    assert timeline is not None
    final = timeline.timecode(len(timeline.times) - 1)
    dropped: list[str] = []

    def drop_a_field_of_the_final(blocks: list[Any]) -> list[Any]:
        out = json.loads(json.dumps(blocks))
        last = out[-1] if out and not dropped else None
        if last is None or last["diff"][0].get("value") != final:
            return blocks
        for op in last["diff"]:
            if op["op"] in ("add", "replace") and isinstance(op.get("value"), dict) and op["value"]:
                key = sorted(op["value"])[0]
                del op["value"][key]
                dropped.append(f"{op['path']}/{key}")
                return out
        return blocks

    async with _client(server, clock) as client:
        await clock.advance(timeline.times[-2] - clock.now().timestamp() - 1)
        drifting = ServedCopies(client, lambda n, feed: feed, drop_a_field_of_the_final)
        follower = GameFollower(
            drifting,  # type: ignore[arg-type]
            GAME,
            archive.store,
            clock=clock,
            vet=_vet,
            stored=archive.copies(),
        )
        await follower.update()
        while archive.timecodes[-1] != final:
            await clock.advance(5)
            result = await follower.update()
        assert dropped, "the Final's block has no add or replace op with an object value"
        assert [s.outcome for s in result.settled] == ["replaced"]
        assert archive.feeds[final] == (await client.feed(GAME, timecode=final)).data
