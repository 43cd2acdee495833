"""Child process for test_store_sigkill: writes feed versions until it is killed.

Usage: python sigkill_writer.py DB_PATH. After each committed version it prints one line
``game_pk timecode kind sha256-of-the-feed`` and flushes, so the parent knows exactly what was
committed before it sent SIGKILL. Versions alternate between two games; every 7th version of a
game is a full feed, the others diffs derived from the real feed (timestamp and count changes).
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.store import Store, VersionKind
from mlbdash.ingest.store.codec import compact_json
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.patch import apply_diff_blocks

FEED = Path(__file__).parents[2] / "fixtures/feed/feed_746139_live_t7_20240612_041248.json.gz"
START = datetime(2024, 6, 12, 4, 12, 48, tzinfo=UTC)


def timecode(at: datetime) -> str:
    return at.strftime("%Y%m%d_%H%M%S")


async def main(path: Path) -> None:
    base = json.loads(gzip.decompress(FEED.read_bytes()))
    feeds: dict[int, dict[str, Any]] = {746139: base, 999001: copy.deepcopy(base)}
    clock = ManualClock(START)
    async with Store.open(path, clock=clock, checkpoint_every=3) as store:
        for n in range(100_000):
            game_pk = 746139 if n % 2 == 0 else 999001
            i = n // 2
            tc = timecode(START + timedelta(seconds=10 * i))
            feed = feeds[game_pk]
            kind: VersionKind
            ops: list[dict[str, Any]] | None
            if i % 7 == 0:
                feed["metaData"]["timeStamp"] = tc
                feed["liveData"]["linescore"]["balls"] = i % 4
                kind, ops = "full", None
            else:
                ops = [
                    {
                        "diff": [
                            {"op": "replace", "path": "/metaData/timeStamp", "value": tc},
                            {"op": "replace", "path": "/liveData/linescore/outs", "value": i % 3},
                            {"op": "add", "path": "/metaData/gameEvents/-", "value": f"e{i}"},
                        ]
                    }
                ]
                feed = apply_diff_blocks(feed, copy.deepcopy(ops))
                kind = "diff"
            feeds[game_pk] = feed
            requests = [
                RequestFinished(clock.now(), "feed", f"http://127.0.0.1/{game_pk}/{i}/{k}", 200,
                                0.01, 1000, 5000)
                for k in range(20)
            ]  # fmt: skip
            await store.log_requests(requests)
            await store.store_version(game_pk, tc, kind, feed, ops, {"outs": i % 3})
            digest = hashlib.sha256(compact_json(feed)).hexdigest()
            print(game_pk, tc, kind, digest, flush=True)
            await clock.advance(1)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
