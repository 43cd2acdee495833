"""A small archive for the archive tests: one real recorded game, stored version by version.

CWS @ HOU 2022-06-19 (gamePk 662751, a real final feed) moved onto 2026-05-01 and replayed by
the replay server's timeline; its first ``COUNT`` versions are stored in a database as an
ingest would store them: the first and the ``FULL_AT``-th as whole feeds, the others as the
diff block that leads to each. The versions are derived from the real feed (pitch by pitch),
and so is the schedule answer around the game's derived schedule entry.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from conftest import fixture_path

from mlbdash.ingest.store import ScheduleEntry, Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.patch import apply_diff_blocks, copy_json
from mlbdash.replay.exact import StoredVersion, compact
from mlbdash.replay.world import ReplayOptions, World

GAME = 662751
DAY = date(2026, 5, 1)
COUNT = 40
FULL_AT = 20
STORED_AT = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Archived:
    db: Path
    versions: list[StoredVersion]
    feeds: list[dict[str, Any]]
    """Each stored version's whole feed, as a follower of the versions has it."""
    schedule: dict[str, Any]


def recorded_game(tmp_path: Path) -> tuple[list[StoredVersion], list[dict[str, Any]], Any]:
    data = tmp_path / "recorded"
    (data / "feed").mkdir(parents=True)
    name = "feed_662751_final.json.gz"
    shutil.copyfile(fixture_path(f"feed/{name}"), data / "feed" / name)
    world = World(ReplayOptions(data=data, rebase_date=DAY))
    game = world.games[GAME]
    timeline = game.timeline
    assert timeline is not None
    versions: list[StoredVersion] = []
    feeds: list[dict[str, Any]] = []
    for index in range(COUNT):
        if index in (0, FULL_AT):
            feed = copy_json(timeline.build(index))
            versions.append(StoredVersion(timeline.timecode(index), feed=compact(feed)))
        else:
            # What a follower stores: the version before with the block applied (keys it
            # adds come last, whatever their place in the server's own version).
            block = {"diff": copy_json(timeline.diff_ops(index - 1))}
            feed = apply_diff_blocks(copy_json(feeds[-1]), [block])
            versions.append(StoredVersion(timeline.timecode(index), blocks=[block]))
        feeds.append(feed)
    entry = game.entries[0].game
    schedule = {
        "copyright": feeds[0]["copyright"],
        "totalItems": 1,
        "totalEvents": 0,
        "totalGames": 1,
        "totalGamesInProgress": 0,
        "dates": [
            {
                "date": DAY.isoformat(),
                "totalItems": 1,
                "totalEvents": 0,
                "totalGames": 1,
                "totalGamesInProgress": 0,
                "games": [entry],
                "events": [],
            }
        ],
    }
    return versions, feeds, schedule


async def fill_archive(tmp_path: Path) -> Archived:
    """The database ``tmp_path/archive.sqlite3`` holding the game's first COUNT versions."""
    versions, feeds, schedule = recorded_game(tmp_path)
    db = tmp_path / "archive.sqlite3"
    async with Store.open(db, clock=ManualClock(STORED_AT)) as store:
        await store.upsert_schedule_games([ScheduleEntry(GAME, DAY)])
        url = f"http://127.0.0.1:1/api/v1/schedule?sportId=1&date={DAY.isoformat()}"
        await store.store_schedule_snapshot(url, compact(schedule))
        for version, feed in zip(versions, feeds, strict=True):
            ops = version.blocks
            await store.store_version(GAME, version.timecode, version.kind, feed, ops, {})
    return Archived(db, versions, feeds, schedule)
