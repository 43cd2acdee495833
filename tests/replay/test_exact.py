"""An archive's exact versions: rebuilt, served and written to a folder as they were stored.

The archive is ``archive_helpers``: the first 40 versions of a real recorded game, two of them
stored as whole feeds (the first and the 20th), the others as diff blocks.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import httpx
import pytest
from archive_helpers import COUNT, DAY, FULL_AT, GAME, recorded_game

from mlbdash.errors import UsageError
from mlbdash.mlb.patch import apply_diff_blocks, copy_json
from mlbdash.replay.data import archived_data, load_data
from mlbdash.replay.exact import (
    ExactTimeline,
    ExactVersionsError,
    StoredVersion,
    check_versions,
    compact,
)
from mlbdash.replay.folder import FolderError, write_folder
from mlbdash.replay.server import start_replay_server
from mlbdash.replay.timeutil import from_epoch
from mlbdash.replay.world import ReplayOptions, World


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    return recorded_game(tmp_path_factory.mktemp("recorded"))


def test_every_version_rebuilds_byte_for_byte_in_any_order(archive: tuple[Any, ...]) -> None:
    versions, feeds, _ = archive
    timeline = ExactTimeline(GAME, versions)
    assert [timeline.timecode(i) for i in range(COUNT)] == [v.timecode for v in versions]
    for index in [*range(COUNT), 39, 3, 25, 19, 20, 21, 0]:
        assert compact(timeline.build(index)) == compact(feeds[index]), index
    assert timeline.status(5) == feeds[5]["gameData"]["status"]
    assert timeline.linescore(30) == feeds[30]["liveData"]["linescore"]


def test_diffpatch_from_a_version_follows_how_each_version_was_stored(
    archive: tuple[Any, ...],
) -> None:
    versions, _, _ = archive
    timeline = ExactTimeline(GAME, versions)
    # A run of diff versions: their stored blocks, stopping before the version stored whole.
    answer = timeline.answer(5, 30)
    assert answer.index == FULL_AT - 1
    assert answer.blocks == [b for v in versions[6:FULL_AT] for b in v.blocks or []]
    # The next version was stored whole: the whole feed, so a follower stores it whole too.
    assert timeline.answer(FULL_AT - 1, 30) == type(answer)(None, FULL_AT)
    assert timeline.answer(FULL_AT, 30).blocks == [
        b for v in versions[FULL_AT + 1 : 31] for b in v.blocks or []
    ]


def test_versions_that_cannot_be_a_timeline_are_named() -> None:
    feed = compact({"gamePk": 1})
    with pytest.raises(ExactVersionsError, match="not a whole feed"):
        check_versions(1, [StoredVersion("20260501_120000", blocks=[])])
    with pytest.raises(ExactVersionsError, match="not later than the one before"):
        check_versions(
            1, [StoredVersion("20260501_120000", feed=feed), StoredVersion("20260501_115959", feed)]
        )
    with pytest.raises(ExactVersionsError, match="not a timecode"):
        check_versions(1, [StoredVersion("noon", feed=feed)])


async def _get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_server_answers_every_endpoint_as_stored(archive: tuple[Any, ...]) -> None:
    versions, feeds, schedule = archive
    from mlbdash.mlb.clock import ManualClock

    clocks: list[ManualClock] = []

    def make_clock(start: Any) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    recorded = archived_data(schedule, {GAME: versions})
    options = ReplayOptions(data=Path("archive"), speed=60)
    async with (
        start_replay_server(options=options, recorded=recorded, clock=make_clock) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
    ):
        clock = clocks[0]
        timeline = server.world.games[GAME].timeline
        assert isinstance(timeline, ExactTimeline)
        # The replay starts at the first stored version.
        assert server.world.start == from_epoch(timeline.times[0])
        game = f"/v1.1/game/{GAME}/feed/live"
        assert await _get(client, f"{game}/timestamps") == [versions[0].timecode]
        await clock.advance(timeline.times[30] - timeline.times[0])
        now = versions[30].timecode
        assert (await client.get(game)).content == compact(feeds[30])
        older = await client.get(game, params={"timecode": versions[7].timecode})
        assert older.content == compact(feeds[7])
        assert await _get(client, f"{game}/timestamps") == [v.timecode for v in versions[:31]]
        # The three answer shapes of diffPatch.
        blocks = await _get(client, f"{game}/diffPatch", startTimecode=versions[3].timecode)
        patched = apply_diff_blocks(copy_json(feeds[3]), blocks)
        assert compact(patched) == compact(feeds[FULL_AT - 1])
        whole = await _get(client, f"{game}/diffPatch", startTimecode=versions[19].timecode)
        assert whole == {k: v for k, v in feeds[FULL_AT].items() if k != "copyright"}
        assert await _get(client, f"{game}/diffPatch", startTimecode=now) == []
        unknown = await _get(client, f"{game}/diffPatch", startTimecode="20200101_000000")
        assert unknown["metaData"]["timeStamp"] == now
        upto = await _get(
            client,
            f"{game}/diffPatch",
            startTimecode=versions[FULL_AT].timecode,
            endTimecode=versions[25].timecode,
        )
        assert upto == [b for v in versions[FULL_AT + 1 : 26] for b in v.blocks or []]
        # The schedule lists the game with the state and score of the version current now.
        listed = (await _get(client, "/v1/schedule", date=DAY.isoformat()))["dates"][0]["games"]
        assert listed[0]["status"] == feeds[30]["gameData"]["status"]
        assert listed[0]["gamePk"] == GAME


def _bodies(tmp: Path, folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.gz")}


def test_a_written_folder_reads_back_as_the_same_exact_versions(
    archive: tuple[Any, ...], tmp_path: Path
) -> None:
    versions, _, schedule = archive
    out = tmp_path / "day"
    summary = write_folder(out, DAY, schedule, {GAME: versions, 661333: []})
    assert (summary.games, summary.versions, summary.full, summary.diff) == (2, COUNT, 2, 38)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "SOURCES.md" in names
    assert f"schedule/schedule_{DAY.isoformat()}.json.gz" in names
    assert f"feed/feed_{GAME}_{versions[FULL_AT].timecode}.json.gz" in names
    first_diff = f"diffpatch/diffpatch_{GAME}_from_{versions[0].timecode}_to_{versions[1].timecode}"
    assert f"{first_diff}.json.gz" in names
    assert len(names) == 1 + 1 + 2 + 38 + 1
    # gzip with mtime 0: the same versions always give the same bytes.
    again = write_folder(tmp_path / "again", DAY, schedule, {GAME: versions, 661333: []})
    assert _bodies(tmp_path, out) == _bodies(tmp_path, again.path)
    assert gzip.decompress((out / f"{first_diff}.json.gz").read_bytes()) == compact(
        versions[1].blocks
    )
    loaded = load_data(out)
    assert loaded.exact[GAME] == versions
    assert loaded.finals == {} and loaded.snapshots == {}


def test_a_folder_is_not_written_over_unless_forced(
    archive: tuple[Any, ...], tmp_path: Path
) -> None:
    versions, _, schedule = archive
    out = tmp_path / "day"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FolderError, match="not empty; use --force"):
        write_folder(out, DAY, schedule, {GAME: versions})
    assert (out / "notes.txt").read_text() == "mine"
    write_folder(out, DAY, schedule, {GAME: versions}, force=True)
    assert not (out / "notes.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["day"], "no half-written folder left over"


def test_an_archive_is_never_moved_in_time(archive: tuple[Any, ...]) -> None:
    versions, _, schedule = archive
    recorded = archived_data(schedule, {GAME: versions})
    with pytest.raises(UsageError, match="cannot be moved"):
        World(ReplayOptions(data=Path("archive"), rebase_date=DAY), recorded)


def test_a_diffpatch_file_may_end_on_the_next_day(tmp_path: Path) -> None:
    """A game crossing midnight UTC: the end timecode in the file name carries its own date."""
    feed = {
        "copyright": "c",
        "gamePk": 1,
        "metaData": {"timeStamp": "20260501_235959"},
        "gameData": {"status": {}},
        "liveData": {},
    }
    block = [
        {"diff": [{"op": "replace", "path": "/metaData/timeStamp", "value": "20260502_000001"}]}
    ]
    versions = [
        StoredVersion("20260501_235959", feed=compact(feed)),
        StoredVersion("20260502_000001", blocks=block),
    ]
    write_folder(tmp_path / "day", DAY, None, {1: versions})
    assert load_data(tmp_path / "day").exact[1] == versions


async def test_an_archive_gets_the_same_faults_as_recordings(archive: tuple[Any, ...]) -> None:
    from mlbdash.replay.server import make_options

    versions, _, schedule = archive
    recorded = archived_data(schedule, {GAME: versions})
    options = make_options("archive", faults="error=1:codes=503", speed=600)
    async with (
        start_replay_server(options=options, recorded=recorded) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
    ):
        response = await client.get(f"/v1.1/game/{GAME}/feed/live")
        clock = server.clock
    assert response.status_code == 503
    assert response.headers["X-Replay-Fault"] == "error"
    assert clock.speed == 600


async def test_the_push_socket_announces_each_stored_version(archive: tuple[Any, ...]) -> None:
    """An archive holds no push messages; the socket derives one per stored version, at its
    stored timecode, as for any replayed game."""
    import json

    import aiohttp

    from mlbdash.mlb.clock import ManualClock

    versions, _, schedule = archive
    clocks: list[ManualClock] = []

    def make_clock(start: Any) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    recorded = archived_data(schedule, {GAME: versions})
    async with (
        start_replay_server(
            options=ReplayOptions(data=Path("archive")), recorded=recorded, clock=make_clock
        ) as server,
        aiohttp.ClientSession() as session,
    ):
        root = server.root_url.replace("http://", "ws://", 1)
        url = f"{root}/api/v1/game/push/subscribe/gameday/{GAME}"
        timeline = server.world.games[GAME].timeline
        assert timeline is not None
        async with session.ws_connect(url) as ws:
            await clocks[0].advance(timeline.times[10] - timeline.times[0])
            got = [json.loads((await ws.receive(timeout=10)).data) for _ in range(10)]
    assert [m["timeStamp"] for m in got] == [v.timecode for v in versions[1:11]]
