"""A date long over finishes as soon as its finals are stored: no 30-minute wait for the
late re-check, which is timed from the game's end (replay server, ManualClock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from runtime_harness import DAY, GAME, Harness, drive, replay_harness

from mlbdash.config import PollSettings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with replay_harness(tmp_path) as built:
        yield built


async def test_a_past_date_finishes_without_waiting_for_the_recheck(harness: Harness) -> None:
    clock = harness.clock
    await clock.advance(6 * 3600)  # the game ended hours ago
    settings = harness.settings.model_copy(
        update={"poll": PollSettings(final_recheck_after_s=1800)}
    )
    started = clock.now()
    async with Runtime(
        settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        summary = await run
    assert summary.stop_reason == "done" and summary.complete
    assert summary.requests["by_kind"]["feed"] == 1  # the final feed, no re-check
    # Done within the drive's first steps, not 1800 s of clock later.
    assert (clock.now() - started).total_seconds() < 300


async def test_a_finished_game_keeps_no_feed_in_memory(harness: Harness) -> None:
    """Followed live from its start to its re-check; once done its feed is dropped from
    memory (a season of them would pile up) and read back from the store when asked."""
    clock = harness.clock
    await clock.advance(75 * 60)  # in progress
    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        summary = await run
        assert summary.complete and summary.games[0].versions > 1
        assert rt.follower_feed(GAME) is None
        detail = await rt.game_detail(GAME)
        assert detail.feed is not None
        assert detail.feed["gameData"]["status"]["abstractGameState"] == "Final"
