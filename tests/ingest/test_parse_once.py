"""Each stored version is read once for its facts and validated exactly once (issue 11 point 2),
and the game screen gets a snapshot of the feed, never the follower's own dict.

The runtime follows a recorded game (662751) from an hour in to Final against the replay
server; every call of the facts derivation and of the validator's rules is counted and must
match the versions stored, one each, the sound ones and those with findings alike.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from runtime_harness import DAY, GAME, Harness, drive, replay_harness

from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.runtime import versions as version_storing
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.validator import service
from mlbdash.mlb import facts as version_facts_module
from mlbdash.mlb.facts import VersionFacts
from mlbdash.mlb.timecode import feed_timecode


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with replay_harness(tmp_path) as built:
        yield built


async def test_every_version_has_its_facts_derived_once_and_is_validated_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    derived: Counter[str | None] = Counter()
    validated: Counter[str | None] = Counter()
    real_facts = version_facts_module.version_facts
    real_findings = service._findings

    def counting_facts(feed: Mapping[str, Any], **kwargs: Any) -> VersionFacts:
        derived[feed_timecode(feed)] += 1
        return real_facts(feed, **kwargs)

    def counting_findings(feed: Mapping[str, Any], *args: Any) -> Any:
        validated[feed_timecode(feed)] += 1
        return real_findings(feed, *args)

    monkeypatch.setattr(version_storing, "version_facts", counting_facts)
    monkeypatch.setattr(service, "_findings", counting_findings)
    clock = harness.clock
    await clock.advance(75 * 60)
    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        run = asyncio.create_task(rt.run(until_done=True))
        for _ in range(3):  # a few polls into the game, still in progress
            await rt.wait_idle()
            await clock.advance(30)
        await rt.wait_idle()
        # The game screen gets a snapshot, never the dict the follower patches in place.
        detail = await rt.game_detail(GAME)
        live = rt.follower_feed(GAME)
        assert detail.feed is not None and live is not None and detail.feed is not live
        detail.feed["liveData"]["linescore"]["teams"]["away"]["runs"] = 99
        assert live["liveData"]["linescore"]["teams"]["away"]["runs"] != 99
        assert detail.linescore == version_facts_module.version_facts(live).linescore
        await drive(rt, clock, run)
        summary = await run
        stored = [v.timecode for v in await rt.store.list_versions(GAME)]
        assert rt.follower_feed(GAME) is None  # done: its feed left memory (the store has it)

    assert summary.complete and len(stored) > 100
    assert dict(derived) == dict.fromkeys(stored, 1)
    assert dict(validated) == dict.fromkeys(stored, 1)
