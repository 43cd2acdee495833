"""A start with more games due than polls may run at once (a 1000-game start, in small): each
game met then is archived from the present first, one request, and its history after, so no
game waits for the others' histories before its first version is stored."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from conftest import fixture_path
from runtime_harness import DAY, GAME

from mlbdash.config import Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import ReplayServer, start_replay_server

GAMES = (GAME, 9000000, 9000001)  # the recorded game and two clones


@asynccontextmanager
async def _server(tmp_path: Path) -> AsyncIterator[tuple[ReplayServer, ManualClock]]:
    data = tmp_path / "data"
    (data / "feed").mkdir(parents=True)
    shutil.copyfile(
        fixture_path("feed/feed_662751_final.json.gz"), data / "feed" / "feed_662751_final.json.gz"
    )
    clocks: list[ManualClock] = []

    def make_clock(start: object) -> ManualClock:
        clocks.append(ManualClock(start))  # type: ignore[arg-type]
        return clocks[0]

    async with start_replay_server(data, clock=make_clock, rebase_date=DAY, clones=2) as server:
        await clocks[0].advance(32 * 60)  # two minutes after the first pitch
        yield server, clocks[0]


async def _run(
    server: ReplayServer, clock: ManualClock, db: Path, max_concurrency: int, *, whole: bool
) -> dict[int, tuple[str, str, bool]]:
    """Poll until every game has a version stored (``whole``: and its history); per game
    (first version logged, the server's first version, every version the server lists
    before the first logged one is stored)."""
    settings = Settings(
        api_url=server.base_url,
        requests_per_second=1000,
        burst=1000,
        max_concurrency=max_concurrency,
        push="off",
    )
    async with Runtime(settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=db) as rt:
        run = asyncio.create_task(rt.run())
        held: dict[int, tuple[str, str, bool]] = {}
        for _ in range(40):
            await rt.wait_idle()
            held = {}
            for game in GAMES:
                versions = await rt.store.list_versions(game)
                if versions:
                    listed = await rt.client.timestamps(game)
                    logged = min(versions, key=lambda v: v.id).timecode
                    stored = {v.timecode for v in versions}
                    # Every version listed before the first one logged: the history.
                    history = {t for t in listed if t < logged}
                    held[game] = (logged, listed[0], history <= stored)
            if len(held) == len(GAMES) and (not whole or all(h[2] for h in held.values())):
                break
            await clock.advance(5)
        rt.stop()
        await run
    return held


async def test_games_met_while_polls_wait_store_the_present_first_then_their_history(
    tmp_path: Path,
) -> None:
    async with _server(tmp_path / "roomy") as (server, clock):
        # Room for every game's poll: each archived from its first version, in order.
        held = await _run(server, clock, tmp_path / "roomy.sqlite3", 16, whole=True)
    assert all(logged == first for logged, first, _ in held.values())

    async with _server(tmp_path / "held") as (server, clock):
        db = tmp_path / "held.sqlite3"
        # One poll at a time: games met while others wait store the present first.
        held = await _run(server, clock, db, 1, whole=False)
        present_first = [g for g, (logged, first, whole) in held.items() if logged > first]
        assert len(present_first) == 2 and not any(held[g][2] for g in present_first)
        # The last one met, with no poll waiting behind it, from its first version.
        (last,) = set(GAMES) - set(present_first)
        assert held[last][0] == held[last][1]
        # Their history is owed (said in the store, so a restart takes it up) and fetched
        # once polls no longer wait: in the end every version is stored.
        held = await _run(server, clock, db, 16, whole=True)
    assert all(whole for _, _, whole in held.values())
