"""Feed versions: append-only log, checkpoints, rebuild of any version, the games row."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import load_fixture
from store_helpers import START, feed_digest, game_fields_of, sqlite_rows

from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.patch import apply_diff_blocks

BASE = "feed/feed_746139_live_t7_20240612_041248.json.gz"
DIFF = "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"


def tick_block(timecode: str, outs: int) -> list[dict[str, Any]]:
    """A diff block derived from the real shape (first op sets the timestamp), not recorded."""
    return [
        {
            "diff": [
                {"op": "replace", "path": "/metaData/timeStamp", "value": timecode},
                {"op": "replace", "path": "/liveData/linescore/outs", "value": outs},
            ]
        }
    ]


async def test_real_diff_pair_is_stored_and_rebuilt(tmp_path: Path) -> None:
    base = load_fixture(BASE)
    blocks = load_fixture(DIFF)
    after = apply_diff_blocks(copy.deepcopy(base), copy.deepcopy(blocks))
    assert after["metaData"]["timeStamp"] == "20240612_041302"
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        first = await store.store_version(
            746139, "20240612_041248", "full", base, None, game_fields_of(base)
        )
        second = await store.store_version(
            746139, "20240612_041302", "diff", after, blocks, game_fields_of(after)
        )
        assert first.checkpoint and not second.checkpoint
        latest = await store.load_latest_feed(746139)
        assert latest is not None
        assert latest[0] == "20240612_041302"
        assert latest[1] == after
        assert await store.load_version(746139, "20240612_041248") == base
        assert await store.load_version(746139, "20240612_999999") is None
        game = await store.get_game(746139)
    assert game is not None
    assert (game.versions, game.full_updates, game.diff_updates) == (2, 1, 1)
    assert game.last_timecode == "20240612_041302"
    assert (game.away_abbrev, game.home_abbrev) == ("TEX", "LAD")
    assert game.abstract_game_state == "Live"
    assert not game.final_stored


async def test_same_timecode_twice_is_a_no_op(tmp_path: Path) -> None:
    base = load_fixture(BASE)
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        args = (746139, "20240612_041248", "full", base, None, game_fields_of(base))
        assert (await store.store_version(*args)).version_id is not None  # type: ignore[arg-type]
        again = await store.store_version(*args)  # type: ignore[arg-type]
        assert again.version_id is None
        game = await store.get_game(746139)
    assert game is not None and game.versions == 1 and game.full_updates == 1
    assert sqlite_rows(path, "SELECT COUNT(*) FROM feed_versions") == [(1,)]
    assert sqlite_rows(path, "SELECT COUNT(*) FROM feed_checkpoints") == [(1,)]


async def test_checkpoint_every_n_diffs_and_every_version_rebuilds(tmp_path: Path) -> None:
    feed = load_fixture(BASE)
    expected: dict[str, str] = {}
    async with Store.open(
        tmp_path / "db.sqlite3", clock=ManualClock(START), checkpoint_every=4
    ) as store:
        await store.store_version(746139, "20240612_041248", "full", feed, None, {})
        expected["20240612_041248"] = feed_digest(feed)
        for n in range(1, 11):
            timecode = f"20240612_0413{n:02d}"
            blocks = tick_block(timecode, n % 3)
            feed = apply_diff_blocks(feed, copy.deepcopy(blocks))
            await store.store_version(746139, timecode, "diff", feed, blocks, {"outs": n % 3})
            expected[timecode] = feed_digest(feed)
        versions = await store.list_versions(746139)
        rebuilt = {
            v.timecode: feed_digest(await store.load_version(746139, v.timecode) or {})
            for v in versions
        }
    assert rebuilt == expected
    # full at 0, then the 4th and 8th diff after each checkpoint.
    assert [v.checkpoint for v in versions] == [
        True, False, False, False, True, False, False, False, True, False, False,
    ]  # fmt: skip
    assert [v.kind for v in versions] == ["full"] + ["diff"] * 10


async def test_final_version_always_checkpoints_and_marks_the_game(tmp_path: Path) -> None:
    live = load_fixture(BASE)
    final = load_fixture("feed/feed_744914_final.json.gz")
    clock = ManualClock(START)
    async with Store.open(tmp_path / "db.sqlite3", clock=clock, checkpoint_every=100) as store:
        await store.store_version(744914, "20240701_200000", "full", live, None, {})
        # A diff that lands on the real Final document (its ops are not replayed here: the
        # rebuild test below uses the checkpoint written because the feed is Final).
        await clock.advance(60)
        blocks = [{"diff": [{"op": "replace", "path": "", "value": final}]}]
        result = await store.store_version(
            744914, "20240701_214404", "diff", final, blocks, game_fields_of(final)
        )
        assert result.checkpoint
        latest = await store.load_latest_feed(744914)
        game = await store.get_game(744914)
    assert latest is not None and latest[1] == final
    assert game is not None and game.final_stored and game.final_stored_at == clock.now()
    assert (game.away_score, game.home_score) == (3, 1)


async def test_diff_as_first_version_of_a_game_gets_a_checkpoint(tmp_path: Path) -> None:
    feed = load_fixture(BASE)
    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        result = await store.store_version(
            746139, "20240612_041248", "diff", feed, tick_block("20240612_041248", 1), {}
        )
        assert result.checkpoint
        latest = await store.load_latest_feed(746139)
    assert latest == ("20240612_041248", feed)


async def test_bad_arguments_are_refused_before_writing(tmp_path: Path) -> None:
    feed = load_fixture(BASE)
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        with pytest.raises(ValueError, match="ops"):
            await store.store_version(1, "20240612_041248", "diff", feed, None, {})
        with pytest.raises(ValueError, match="kind"):
            await store.store_version(1, "20240612_041248", "patch", feed, None, {})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not settable"):
            await store.store_version(1, "20240612_041248", "full", feed, None, {"versions": 9})
        assert await store.list_versions(1) == []
        assert await store.load_latest_feed(1) is None
    # The rejected game-field write rolled back the version row of the same transaction.
    assert sqlite_rows(path, "SELECT COUNT(*) FROM feed_versions") == [(0,)]


async def test_checkpoint_is_compressed_compact_json(tmp_path: Path) -> None:
    feed = load_fixture(BASE)
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        await store.store_version(746139, "20240612_041248", "full", feed, None, {})
    [(stored, raw)] = sqlite_rows(path, "SELECT length(feed), json_bytes FROM feed_checkpoints")
    assert 600_000 < raw < 700_000
    assert stored < raw / 4


async def test_a_replaced_version_rebuilds_to_its_new_content_and_so_do_the_diffs_after(
    tmp_path: Path,
) -> None:
    feed = load_fixture(BASE)
    stamps = ["20240612_041250", "20240612_041251"]
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        await store.store_version(746139, "20240612_041248", "full", feed, None, {})
        for outs, stamp in enumerate(stamps, start=1):
            block = tick_block(stamp, outs)
            feed = apply_diff_blocks(feed, block)
            await store.store_version(746139, stamp, "diff", feed, block, {"outs": outs})
        # The first diff was stored from a bad answer; the server's own copy goes in its place.
        right = await store.load_version(746139, stamps[0])
        assert right is not None
        right["liveData"]["linescore"]["balls"] = 3
        assert await store.replace_version(746139, stamps[0], right, {"outs": 1})
        assert not await store.replace_version(746139, "20240612_999999", right, {})
        assert await store.load_version(746139, stamps[0]) == right
        after = await store.load_version(746139, stamps[1])
        assert after is not None and after["liveData"]["linescore"]["balls"] == 3
        assert after["liveData"]["linescore"]["outs"] == 2
        game = await store.get_game(746139)
    assert game is not None
    assert (game.versions, game.full_updates, game.diff_updates) == (3, 2, 1)
    assert sqlite_rows(path, "SELECT kind FROM feed_versions ORDER BY id") == [
        ("full",),
        ("full",),
        ("diff",),
    ]
