"""How fast a time-travel step is, on a game with 500 stored versions.

``python -m mlbdash.bench.time_travel [--versions N] [--steps N]`` stores the first N versions of
a real recorded game from the bundled demo slate (WSH @ AZ 2023-05-07: 551 versions when the
replay server's timeline replays it pitch by pitch) in a new database as an ingest would (the
first as a whole feed, the rest as diff blocks, checkpoints where the store makes them), then
measures:

- **source**: ``version_view`` for one version (what the game screen asks for a step: the
  version list, the rebuild from the nearest checkpoint, its diff, its first findings), for
  single steps back from the newest, ten-steps, and random jumps;
- **screen**: a key press in the game screen (headless) until it shows the new version, beside
  the press of an unbound key (what the headless harness costs by itself).

Figures are real (wall) milliseconds on this machine: p50, p95 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mlbdash.ingest.history import version_view
from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.patch import apply_diff_blocks, copy_json
from mlbdash.replay.demo import demo_data_path
from mlbdash.replay.world import ReplayOptions, World

GAME = 718263
DAY = date(2026, 5, 1)


async def build_archive(db: Path, count: int) -> list[str]:
    """Store the game's first ``count`` versions; returns their timecodes."""
    world = World(ReplayOptions(data=demo_data_path(), rebase_date=DAY))
    timeline = world.games[GAME].timeline
    assert timeline is not None
    count = min(count, len(timeline.times))
    clock = ManualClock(datetime(2026, 5, 1, 22, 0, tzinfo=UTC))
    codes: list[str] = []
    async with Store.open(db, clock=clock) as store:
        feed: dict[str, Any] = copy_json(timeline.build(0))
        for index in range(count):
            code = timeline.timecode(index)
            if index == 0:
                await store.store_version(GAME, code, "full", feed, None, {})
            else:
                block = {"diff": copy_json(timeline.diff_ops(index - 1))}
                feed = apply_diff_blocks(feed, [block])
                await store.store_version(GAME, code, "diff", feed, [block], {})
            codes.append(code)
            await clock.advance(5)
    return codes


def _figures(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {ordered[-1]:6.1f} ms  ({len(ordered)} steps)"
    )


async def _timed(calls: Sequence[Callable[[], Awaitable[object]]]) -> list[float]:
    out: list[float] = []
    for call in calls:
        began = time.perf_counter()
        await call()
        out.append((time.perf_counter() - began) * 1000)
    return out


async def measure_source(db: Path, codes: list[str], steps: int) -> dict[str, list[float]]:
    rng = random.Random(16)
    async with Store.open(db, clock=ManualClock(datetime.now(UTC))) as store:

        def at(code: str) -> Callable[[], Awaitable[object]]:
            return lambda: version_view(store, GAME, code)

        back = [at(codes[-1 - i]) for i in range(min(steps, len(codes)))]
        tens = [at(codes[i]) for i in range(len(codes) - 1, -1, -10)]
        jumps = [at(rng.choice(codes)) for _ in range(steps)]
        return {
            "step back (←)": await _timed(back),
            "ten back ([)": await _timed(tens),
            "random version": await _timed(jumps),
        }


async def measure_screen(db: Path, codes: list[str], steps: int) -> tuple[list[float], list[float]]:
    """Key presses in the game screen, headless, each until the screen shows its version."""
    from mlbdash.bench.travel_screen import screen_steps

    return await screen_steps(db, GAME, DAY, min(steps, len(codes) - 1))


async def main(versions: int, steps: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mlbdash-travel-") as folder:
        db = Path(folder) / "travel.sqlite3"
        began = time.perf_counter()
        codes = await build_archive(db, versions)
        print(f"stored {len(codes)} versions of game {GAME} in {time.perf_counter() - began:.1f} s")
        for name, samples in (await measure_source(db, codes, steps)).items():
            print(f"source  {name:16} {_figures(samples)}")
        shown, idle = await measure_screen(db, codes, steps)
        print(f"screen  {'← → shown':16} {_figures(shown)}")
        print(f"screen  {'unbound key':16} {_figures(idle)}  (the headless harness alone)")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m mlbdash.bench.time_travel")
    parser.add_argument("--versions", type=int, default=500, help="versions to store (500)")
    parser.add_argument("--steps", type=int, default=200, help="steps to time (200)")
    args = parser.parse_args()
    asyncio.run(main(args.versions, args.steps))


if __name__ == "__main__":
    cli()
