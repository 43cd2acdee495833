"""Running a replay server and ``mlbdash ingest`` as real processes, for the slow tests.

Nothing here sleeps to wait for work: servers are waited for by their first stdout line,
ingests by their stderr lines and their exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import fixture_path

from mlbdash.bench.layout import BENCH_DATE, BenchLayout
from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.exact import ExactTimeline, StoredVersion
from mlbdash.replay.world import World

# Real recorded final games; each replays pitch by pitch, about three virtual hours.
SLATE = (744914, 777687, 662751)
TRACEBACK = "Traceback (most recent call last)"
FAST_LEAD_S = 5.0
"""Real seconds before first pitch for runs at speed 400 and more (see ``slate_layout``)."""


def make_slate(folder: Path, games: tuple[int, ...] = SLATE) -> Path:
    """A recordings folder holding only these final feeds (so every game can finish)."""
    feeds = folder / "feed"
    feeds.mkdir(parents=True)
    for game_pk in games:
        shutil.copy(fixture_path(f"feed/feed_{game_pk}_final.json.gz"), feeds)
    return folder


def slate_layout(
    data: Path,
    speed: float,
    games: tuple[int, ...] = SLATE,
    *,
    lead_s: float = 2.5,
    **fields: Any,
) -> BenchLayout:
    # First pitch ``lead_s`` real seconds after the server starts, plus a virtual minute: a
    # game met past its first 40 versions is archived from the present (the follower's warm-up
    # rule), so an ingest that starts slowly on a loaded machine must still meet every game
    # near its start. At speed 600 those 40 versions take only ~1.4 real seconds: runs that
    # fast give the ingest a longer lead (``FAST_LEAD_S``).
    return BenchLayout(
        speed=speed,
        first_pitch_s=60.0 + lead_s * speed,
        spacing_s=60.0,
        data=data,
        games=games,
        **fields,
    )


def final_feeds(layout: BenchLayout) -> dict[int, dict[str, Any]]:
    """What the server ends up serving for each game: the truth a finished ingest must hold."""
    world = World(layout.options())
    out = {}
    for game_pk in layout.games:
        timeline = world.games[game_pk].timeline
        assert timeline is not None
        out[game_pk] = timeline.build(len(timeline.times) - 1)
    return out


async def stored_finals(db: Path, games: tuple[int, ...]) -> dict[int, dict[str, Any] | None]:
    async with Store.open(db, clock=ManualClock()) as store:
        out: dict[int, dict[str, Any] | None] = {}
        for game_pk in games:
            latest = await store.load_latest_feed(game_pk)
            out[game_pk] = None if latest is None else latest[1]
    return out


def ingest_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLBDASH_CONFIG=str(tmp / "no-config.toml"),
        MLBDASH_DATA_DIR=str(tmp / "data"),
        # Re-check finals one virtual minute after (not half an hour), so --until-done ends.
        MLBDASH_POLL__FINAL_RECHECK_AFTER_S="60",
    )
    return env


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


@contextlib.asynccontextmanager
async def replay_server(layout: BenchLayout, log: Path) -> AsyncIterator[str]:
    """``python -m mlbdash.bench.server`` for this layout; yields its API base URL."""
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mlbdash.bench.server",
            *layout.argv(),
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        assert line.startswith("http"), _read(log)
        yield line
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)


@dataclass
class IngestRun:
    exit_code: int | None = None
    stdout: str = ""
    stderr_lines: list[str] = field(default_factory=list)
    killed: bool = False

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)


def ingest_argv(url: str, db: Path, stop: tuple[str, ...] = ("--until-done",)) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlbdash",
        "ingest",
        "--api-url",
        url,
        "--db",
        str(db),
        "--date",
        BENCH_DATE.isoformat(),
        *stop,
        "--json",
    ]


async def run_ingest(
    url: str,
    db: Path,
    env: dict[str, str],
    *,
    kill_after_lines: int | None = None,
    timeout_s: float = 240.0,
    stop: tuple[str, ...] = ("--until-done",),
    signum: int = signal.SIGKILL,
) -> IngestRun:
    """``mlbdash ingest --until-done`` (or ``stop``'s flags); sent ``signum`` (SIGKILL) after
    ``kill_after_lines`` stderr lines if asked."""
    proc = await asyncio.create_subprocess_exec(
        *ingest_argv(url, db, stop),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    run = IngestRun()
    stdout_task = asyncio.ensure_future(proc.stdout.read())

    async def follow() -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            run.stderr_lines.append(line.decode(errors="replace"))
            if kill_after_lines is not None and len(run.stderr_lines) == kill_after_lines:
                proc.send_signal(signum)
                run.killed = True

    try:
        await asyncio.wait_for(follow(), timeout_s)
        run.exit_code = await asyncio.wait_for(proc.wait(), 30)
        run.stdout = (await stdout_task).decode(errors="replace")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        if not stdout_task.done():
            stdout_task.cancel()
    return run


@dataclass(frozen=True)
class VersionDiff:
    """A game's stored versions against the server's, version by version."""

    server: int
    stored: int
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    differing: tuple[str, ...]  # stored under a server timecode with other content

    @property
    def exact(self) -> bool:
        return not (self.missing or self.extra or self.differing)


def _comparable(feed: dict[str, Any]) -> dict[str, Any]:
    # diffPatch's whole-feed answer has no copyright line (as on the real API); the version's
    # content is everything else.
    return {k: v for k, v in feed.items() if k != "copyright"}


async def compare_versions(
    db: Path, layout: BenchLayout, games: tuple[int, ...] | None = None
) -> dict[int, VersionDiff]:
    """Every version the server made for each game against what the database holds.

    The stored versions are read as the archive holds them (``Store.version_payloads``, what
    ``mlbdash archive export`` writes) and rebuilt in one pass in time order, each on the one
    before it, as an archive replay does: a game costs one block application per version, where
    ``Store.load_version`` per version would rebuild each from its checkpoint (tens of
    applications each). Callers also run ``verify_versions``, which holds every checkpoint
    to the feed rebuilt from the log, so ``load_version`` reads these same feeds.
    """
    world = World(layout.options())
    out: dict[int, VersionDiff] = {}
    async with Store.open(db, clock=ManualClock()) as store:
        for game_pk in games or layout.games:
            timeline = world.games[game_pk].timeline
            assert timeline is not None
            server = {timeline.timecode(i): i for i in range(len(timeline.times))}
            stored = [v.timecode for v in await store.list_versions(game_pk)]
            payloads = await store.version_payloads(game_pk)
            assert [p.timecode for p in payloads] == stored, game_pk
            held = set(stored)
            differing = []
            if payloads:
                archive = ExactTimeline(
                    game_pk, [StoredVersion(p.timecode, p.feed, p.blocks) for p in payloads]
                )
                for index, timecode in enumerate(stored):
                    if timecode not in server:
                        continue
                    mine = archive.build(index)
                    truth = timeline.build(server[timecode])
                    if _comparable(mine) != _comparable(truth):
                        differing.append(timecode)
            out[game_pk] = VersionDiff(
                server=len(server),
                stored=len(stored),
                missing=tuple(t for t in server if t not in held),
                extra=tuple(t for t in stored if t not in server),
                differing=tuple(differing),
            )
    return out
