"""One transaction per update: rollback on error or cancellation, no interleaving between tasks."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import load_fixture
from store_helpers import START, sqlite_rows

from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock

BASE = "feed/feed_746139_live_t7_20240612_041248.json.gz"


async def test_error_in_body_rolls_back_everything(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with Store.open(path, clock=ManualClock(START)) as store:
        with pytest.raises(RuntimeError, match="boom"):
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
                raise RuntimeError("boom")
        assert await store.get_meta("a") is None
        await store.set_meta("a", "2")
    assert sqlite_rows(path, "SELECT value FROM meta") == [("2",)]


async def test_cancelled_task_leaves_nothing_half_written(tmp_path: Path) -> None:
    inserted = asyncio.Event()
    never = asyncio.Event()

    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:

        async def writer() -> None:
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('half', '1')")
                inserted.set()
                await never.wait()

        task = asyncio.create_task(writer())
        await inserted.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await store.get_meta("half") is None
        await store.set_meta("after", "ok")
        assert await store.get_meta("after") == "ok"


async def test_a_write_cancelled_on_the_database_thread_ends_before_the_next_begins(
    tmp_path: Path,
) -> None:
    """A version's write runs whole on the database thread (one hand-off): a caller cancelled
    meanwhile does not let another transaction begin inside it; the write commits whole."""
    on_thread, release = threading.Event(), threading.Event()

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('whole', '1')")
        on_thread.set()
        release.wait(10)

    async with Store.open(tmp_path / "db.sqlite3", clock=ManualClock(START)) as store:
        task = asyncio.create_task(store._write_at_once(write))
        assert await asyncio.to_thread(on_thread.wait, 10)
        task.cancel()
        other = asyncio.create_task(store.set_meta("after", "ok"))
        await asyncio.sleep(0)  # the other task now waits for the store
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await other
        assert await store.get_meta("whole") == "1"
        assert await store.get_meta("after") == "ok"


async def test_concurrent_updates_do_not_interleave(tmp_path: Path) -> None:
    """Many tasks storing versions at once (the runtime's shape): every count adds up."""
    feed = load_fixture(BASE)
    async with Store.open(
        tmp_path / "db.sqlite3", clock=ManualClock(START), checkpoint_every=3
    ) as store:

        async def game(game_pk: int) -> None:
            doc = copy.deepcopy(feed)
            for i in range(6):
                timecode = f"20240612_0413{i:02d}"
                doc["metaData"]["timeStamp"] = timecode
                if i == 0:
                    await store.store_version(game_pk, timecode, "full", doc, None, {"outs": 0})
                else:
                    block = [
                        {
                            "diff": [
                                {"op": "replace", "path": "/metaData/timeStamp", "value": timecode}
                            ]
                        }
                    ]
                    await store.store_version(
                        game_pk, timecode, "diff", doc, block, {"outs": i % 3}
                    )
                await store.record_poll(game_pk, success=True)

        await asyncio.gather(*(game(pk) for pk in range(1, 21)))
        games = await store.list_games()
        counts = await store.table_counts()
        latest = await store.load_latest_feed(7)
    assert [(g.versions, g.polls, g.full_updates, g.diff_updates) for g in games] == [
        (6, 6, 1, 5)
    ] * 20
    assert counts["feed_versions"] == 120
    # Checkpoints at the full version and at every 3rd diff after one: versions 0 and 3.
    assert counts["feed_checkpoints"] == 40
    assert latest is not None and latest[0] == "20240612_041305"
    assert latest[1]["metaData"]["timeStamp"] == "20240612_041305"
