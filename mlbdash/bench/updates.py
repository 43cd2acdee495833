"""CPU per feed update: ``python -m mlbdash.bench.updates [--speed X] [--games PK,PK]``.

A replay server (its own process, so its CPU is not counted) plays bundled demo games from
Warmup to Final; the ingest runtime runs in this process against it. Every poll of a game is
timed in process CPU seconds (this process's threads, so the database thread counts too):
the diff fetch's decoding, the patch, the facts, the validation and the store. Reported for
the polls that stored exactly one diff version (the steady state of a live game): count,
median, p99 and max, and the whole ingest's CPU over its wall time. Each diff block's own
share (patch, facts, validation, store; no fetch, no scheduling) is timed apart, as
``block_cpu_ms_*``, and each of those four parts' median within a block as
``block_parts_cpu_ms_median`` (process CPU too: a part's figure includes whatever the
database thread did meanwhile; the rest of a block is the merge check and the hand-over).

Games are spaced four virtual hours apart so one is live at a time and a poll's CPU is its
own. Not a test: figures depend on the machine; run it before and after a change, in one
session, and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from mlbdash.bench.layout import BENCH_DATE, BenchLayout
from mlbdash.config import PollSettings, Settings
from mlbdash.ingest.monitor.windows import percentile
from mlbdash.ingest.scheduler.tracked import TrackedDates
from mlbdash.replay.demo import demo_data_path

DEFAULT_GAMES = (718322,)


# Where the code that brings a game's feed up to date, and the code that polls one game (one
# feed update, stored and validated), live; the older places come last, so the same script
# times the code before and after the ingest core was reshaped (issue 11).
FOLLOWERS = (
    ("mlbdash.ingest.follower", "GameFollower", "_apply_block"),
    ("mlbdash.ingest.scheduler.recorder", "GameRecorder", "_apply_one"),
)
POLLERS = (
    ("mlbdash.ingest.runtime.versions", "VersionKeeper", "poll_game"),
    ("mlbdash.ingest.runtime.versions", "VersionRuntime", "_poll_game"),
)
# The parts of a diff block timed apart (inside a block only): (part, module, attribute path
# of the function the block calls there). A part a version of the code lacks is left out.
BLOCK_PARTS = (
    ("patch", "mlbdash.ingest.follower", "apply_diff_blocks"),
    ("facts", "mlbdash.ingest.runtime.versions", "version_facts"),
    ("validation", "mlbdash.ingest.runtime.versions", "check_version"),
    ("store", "mlbdash.ingest.store.database", "Store.store_version"),
)


def _find(candidates: tuple[tuple[str, ...], ...]) -> tuple[Any, ...]:
    for module_name, class_name, *rest in candidates:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, class_name, None)
        if found is not None and all(hasattr(found, name) for name in rest):
            return (found, *rest)
    raise SystemExit(f"none of {candidates} found")


class _PartTimer:
    """Process CPU of each of BLOCK_PARTS while a diff block runs, summed per block."""

    def __init__(self) -> None:
        self.current: dict[str, float] | None = None
        self.blocks: list[dict[str, float]] = []
        self._undo: list[tuple[Any, str, Any]] = []  # (owner, name, original)

    def install(self) -> None:
        for part, module_name, attribute in BLOCK_PARTS:
            try:
                owner: Any = importlib.import_module(module_name)
            except ImportError:
                continue
            *path, name = attribute.split(".")
            for step in path:
                owner = getattr(owner, step, None)
            original = getattr(owner, name, None) if owner is not None else None
            if original is None:
                continue
            wrapped = (
                self._async(part, original)
                if asyncio.iscoroutinefunction(original)
                else self._sync(part, original)
            )
            setattr(owner, name, wrapped)
            self._undo.append((owner, name, original))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def _add(self, part: str, spent: float) -> None:
        if self.current is not None:
            self.current[part] = self.current.get(part, 0.0) + spent

    def _sync(self, part: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self._add(part, time.process_time() - start)

        return timed

    def _async(
        self, part: str, original: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return await original(*args, **kwargs)
            finally:
                self._add(part, time.process_time() - start)

        return timed

    def medians(self) -> dict[str, float | None]:
        names = sorted({part for block in self.blocks for part in block})
        return {
            name: _round(percentile([b.get(name, 0.0) * 1000 for b in self.blocks], 0.5))
            for name in names
        }


async def _server(layout: BenchLayout, stack: AsyncExitStack) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mlbdash.bench.server",
        *layout.argv(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )

    async def stop() -> None:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()

    stack.push_async_callback(stop)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
    if not line.startswith("http"):
        raise SystemExit(f"bench server did not start: {line!r}")
    return line


def _slate(folder: Path, games: tuple[int, ...]) -> Path:
    """A recordings folder holding only these bundled final games (so every game ends)."""
    demo = demo_data_path()
    (folder / "feed").mkdir(parents=True)
    shutil.copytree(demo / "other", folder / "other")
    for game_pk in games:
        name = f"feed_{game_pk}_final.json.gz"
        shutil.copyfile(demo / "feed" / name, folder / "feed" / name)
    return folder


async def measure(games: tuple[int, ...], speed: float, tmp: Path) -> dict[str, Any]:
    from mlbdash.ingest.runtime import Runtime

    layout = BenchLayout(
        speed=speed,
        first_pitch_s=60.0,
        spacing_s=4 * 3600.0,
        data=_slate(tmp / "data", games),
        games=games,
    )
    db = tmp / "bench.sqlite3"
    follower, apply_name = _find(FOLLOWERS)
    owner, method = _find(POLLERS)
    samples: list[float] = []
    applied: list[float] = []
    last: dict[int, Any] = {}
    original_update: Callable[..., Awaitable[Any]] = follower.update
    original_poll: Callable[..., Awaitable[Any]] = getattr(owner, method)
    original_apply: Callable[..., Awaitable[Any]] = getattr(follower, apply_name)

    parts = _PartTimer()

    async def apply(self: Any, block: Any) -> Any:
        # One diff block: patch, then (through the store callback) facts, validation, store.
        parts.current = {}
        start = time.process_time()
        out = await original_apply(self, block)
        applied.append(time.process_time() - start)
        parts.blocks.append(parts.current)
        parts.current = None
        return out

    async def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original_update(self, *args, **kwargs)
        last[self.game_pk] = result
        return result

    async def poll(self: Any, game_pk: int, *args: Any, **kwargs: Any) -> Any:
        last.pop(game_pk, None)
        start = time.process_time()
        out = await original_poll(self, game_pk, *args, **kwargs)
        spent = time.process_time() - start
        result = last.get(game_pk)
        if result is not None and result.diff_versions == 1 and result.full_versions == 0:
            samples.append(spent)
        return out

    follower.update = update
    setattr(owner, method, poll)
    setattr(follower, apply_name, apply)
    parts.install()
    try:
        async with AsyncExitStack() as stack:
            url = await _server(layout, stack)
            settings = Settings(
                api_url=url,
                db_path=db,
                requests_per_second=1000,
                burst=200,
                poll=PollSettings(final_recheck_after_s=60),
            )
            cpu0, wall0 = time.process_time(), time.perf_counter()
            async with Runtime(settings, tracked=TrackedDates.single(BENCH_DATE)) as rt:
                summary = await rt.run(until_done=True)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        follower.update = original_update
        setattr(owner, method, original_poll)
        setattr(follower, apply_name, original_apply)
        parts.uninstall()
    ms = [s * 1000 for s in samples]
    block_ms = [s * 1000 for s in applied]
    return {
        "games": list(games),
        "speed": speed,
        "versions": sum(g.versions for g in summary.games),
        "diff_updates_timed": len(ms),
        "cpu_ms_median": _round(percentile(ms, 0.5)),
        "cpu_ms_p99": _round(percentile(ms, 0.99)),
        "cpu_ms_max": _round(max(ms) if ms else None),
        "blocks_timed": len(block_ms),
        "block_cpu_ms_median": _round(percentile(block_ms, 0.5)),
        "block_cpu_ms_p99": _round(percentile(block_ms, 0.99)),
        "block_parts_cpu_ms_median": parts.medians(),
        "ingest_cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "ingest_cores": round(cpu / wall, 3) if wall else None,
        "stop_reason": summary.stop_reason,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlbdash.bench.updates")
    parser.add_argument("--speed", type=float, default=200.0, help="replay speed (default 200)")
    parser.add_argument(
        "--games",
        default=",".join(str(g) for g in DEFAULT_GAMES),
        help="bundled final games to replay, comma separated (default 718322)",
    )
    args = parser.parse_args(argv)
    games = tuple(int(g) for g in args.games.split(",") if g)
    os.environ.setdefault("MLBDASH_CONFIG", os.devnull)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(games, args.speed, Path(tmp)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
