"""``python -m mlbdash.bench.server``: the bench slate's replay server, in its own process.

Prints the API base URL as its first line (like ``mlbdash replay serve``) and serves until
SIGTERM or SIGINT. Runs apart from the clients so its CPU is not counted as theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from mlbdash.bench.layout import SLATE_GAMES, BenchLayout
from mlbdash.replay.faults import FaultSpecError
from mlbdash.replay.server import start_replay_server


def parse(argv: Sequence[str] | None) -> BenchLayout:
    parser = argparse.ArgumentParser(prog="python -m mlbdash.bench.server")
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--first-pitch", type=float, default=60.0, help="virtual seconds")
    parser.add_argument("--spacing", type=float, default=10.0, help="between first pitches")
    parser.add_argument("--clones", type=int, default=0)
    parser.add_argument("--clone-stagger", type=float, default=1.0)
    parser.add_argument("--faults", default="")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="recordings instead of the bundled slate")
    parser.add_argument("--games", default="", help="their gamePks, in first-pitch order")
    args = parser.parse_args(argv)
    games = tuple(int(g) for g in args.games.split(",") if g) or SLATE_GAMES
    return BenchLayout(
        speed=args.speed,
        first_pitch_s=args.first_pitch,
        spacing_s=args.spacing,
        clones=args.clones,
        clone_stagger=args.clone_stagger,
        faults=args.faults,
        seed=args.seed,
        data=args.data,
        games=games,
    )


async def serve(layout: BenchLayout) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with start_replay_server(options=layout.options()) as server:
        print(server.base_url, flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        layout = parse(argv)
        asyncio.run(serve(layout))
    except FaultSpecError as exc:
        print(f"bench server: --faults: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
