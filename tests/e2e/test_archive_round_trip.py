"""Round trip, exact: record a night, export it, replay the export, record the replay.

The bundled demo slate is ingested into a first database (``A``) from the replay server, on a
ManualClock stepped whenever the runtime is idle, until every version the slate will ever make
is stored. ``mlbdash archive export`` writes A's league date as a folder; the replay server
serves that folder (its default start: the first stored version) and a second ingest records
it into ``B``. B must hold the same versions as A, timecode by timecode and byte for byte (each
whole feed and each diff block), and exporting B must write the same folder, file for file.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mlbdash.cli import main
from mlbdash.config import PollSettings, Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.demo import demo_server_options
from mlbdash.replay.exact import compact
from mlbdash.replay.server import start_replay_server
from mlbdash.replay.world import ReplayOptions

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 25)
STEP_S = 120.0
AFTER_LAST_S = 600.0


async def _record(options: ReplayOptions, db: Path) -> None:
    """Ingest the replay from its start until ten minutes after its last version."""
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(options=options, clock=make_clock) as server:
        clock = clocks[0]
        games = server.world.games.values()
        last = max(g.timeline.times[-1] for g in games if g.timeline is not None)
        settings = Settings(
            api_url=server.base_url,
            requests_per_second=1000,
            burst=1000,
            poll=PollSettings(final_recheck_after_s=120),
        )
        tracked = TrackedDates.single(DAY)
        async with Runtime(settings, clock=clock, tracked=tracked, db_path=db) as rt:
            run = asyncio.create_task(rt.run())
            while clock.now().timestamp() < last + AFTER_LAST_S:
                await rt.wait_idle()
                await clock.advance(STEP_S)
            await rt.wait_idle()
            rt.stop()
            await run


async def _archive(db: Path) -> dict[int, list[tuple[str, str, Any, Any]]]:
    """Per game: every stored version as (timecode, kind, whole feed, diff blocks)."""
    out: dict[int, list[tuple[str, str, Any, Any]]] = {}
    async with Store.open(db, clock=ManualClock(datetime.now(UTC))) as store:
        for entry in await store.schedule_for_date(DAY):
            payloads = await store.version_payloads(entry.game_pk)
            out[entry.game_pk] = [(p.timecode, p.kind, p.feed, p.blocks) for p in payloads]
            latest = await store.load_latest_feed(entry.game_pk)
            if payloads:
                assert latest is not None
                # The store's own rebuild of the last version, as bytes.
                out[entry.game_pk].append(("latest", latest[0], compact(latest[1]), None))
    return out


def _export(db: Path, out: Path) -> dict[str, bytes]:
    assert main(["archive", "export", "--db", str(db), "--date", str(DAY), "--out", str(out)]) == 0
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_replayed_archive_records_the_same_versions_and_exports_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    # Every bundled recording (the demo's slate and plan of trouble are a subset of it).
    asyncio.run(_record(demo_server_options(DAY, plan=False), first))
    folder_a = _export(first, tmp_path / "a")
    asyncio.run(_record(ReplayOptions(data=tmp_path / "a"), second))
    folder_b = _export(second, tmp_path / "b")

    recorded, replayed = asyncio.run(_archive(first)), asyncio.run(_archive(second))
    # Not vacuous: the night has its games and thousands of versions, most of them diffs.
    versions = sum(len(v) - 1 for v in recorded.values() if v)
    assert len(recorded) == 12 and versions > 2000
    assert sum(1 for v in recorded.values() if len(v) > 100) >= 6
    kinds = [row[1] for rows in recorded.values() for row in rows[:-1]]
    assert kinds.count("diff") > 0.9 * len(kinds)
    assert set(replayed) == set(recorded)
    for game_pk, rows in recorded.items():
        assert [r[:2] for r in replayed[game_pk]] == [r[:2] for r in rows], game_pk
        assert replayed[game_pk] == rows, game_pk

    assert sorted(folder_b) == sorted(folder_a)
    assert folder_b == folder_a
