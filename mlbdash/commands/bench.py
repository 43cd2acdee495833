"""``mlbdash bench``: mlbdash against "the common way" of polling, on the bundled replay slate.

Runs a replay server, client A (full feeds every ``metaData.wait``) and ``mlbdash ingest``
(B), each in its own process, over the same virtual window; then B alone at 100, 300 and 1000
live games. With ``--whole-games``, instead: A, B-poll (push off) and B-push (push auto)
follow two real games from pre-game to Final, side by side, ``--repeats`` times (speed 60 by
default, about seven minutes a repeat). Prints a table (``--json``: one object). Exit 0 when
every part ran (a missed target is a result, not an error), 1 when a part failed to run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from mlbdash.errors import UsageError


def _scale(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use numbers such as 100,300,1000") from None
    if any(v < 1 or v > 5000 for v in values):
        raise argparse.ArgumentTypeError("each scale must be between 1 and 5000 games")
    return values


def register(subparsers: Any) -> None:
    from mlbdash.bench import defaults as bench

    parser = subparsers.add_parser(
        "bench",
        help="measure mlbdash against the common way of polling (replay, ~9 min)",
        # The module docstring, without its reStructuredText double backticks.
        description=__doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None,
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument(
        "--minutes",
        type=float,
        default=bench.DEFAULT_MINUTES,
        help=f"virtual minutes of the A/B window (default {bench.DEFAULT_MINUTES:g})",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=None,
        help=f"replay speed of the A/B comparison (default {bench.DEFAULT_SPEED:g}; "
        f"{bench.WHOLE_SPEED:g} with --whole-games)",
    )
    parser.add_argument(
        "--whole-games",
        action="store_true",
        help="A, B-poll and B-push over whole games (pre-game to Final) instead",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=bench.WHOLE_REPEATS,
        help=f"repeats of --whole-games (default {bench.WHOLE_REPEATS})",
    )
    parser.add_argument(
        "--scale",
        type=_scale,
        default=bench.DEFAULT_SCALE,
        help="live games of the scale runs, comma separated (default 100,300,1000; '' for none)",
    )
    parser.add_argument(
        "--scale-seconds",
        type=float,
        default=bench.SCALE_SECONDS,
        help=f"virtual seconds measured per scale run (default {bench.SCALE_SECONDS:g})",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep logs and databases in DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlbdash.bench import defaults, report
    from mlbdash.bench import run as bench

    speed = args.speed
    if speed is None:
        speed = defaults.WHOLE_SPEED if args.whole_games else defaults.DEFAULT_SPEED
    if args.whole_games:
        if not 0 < speed <= 120:
            raise UsageError("--speed must be between 0 and 120 with --whole-games")
        if not 1 <= args.repeats <= 20:
            raise UsageError("--repeats must be between 1 and 20")
        return _whole_games(args, speed)
    if not 0 < args.minutes <= 90:
        raise UsageError("--minutes must be between 0 and 90 (every game stays live that long)")
    if not 0 < speed <= 100:
        raise UsageError("--speed must be between 0 and 100")
    if args.scale_seconds <= 0:
        raise UsageError("--scale-seconds must be positive")

    def progress(line: str) -> None:
        print(f"bench: {line}", file=sys.stderr, flush=True)

    async def go(workdir: Path) -> dict[str, Any]:
        return await bench.run_bench(
            workdir,
            minutes=args.minutes,
            speed=speed,
            scale=args.scale,
            scale_seconds=args.scale_seconds,
            progress=progress,
        )

    return _run_and_report(args, go, report.write_table)


def _whole_games(args: argparse.Namespace, speed: float) -> int:
    from mlbdash.bench import report, whole

    def progress(line: str) -> None:
        print(f"bench: {line}", file=sys.stderr, flush=True)

    async def go(workdir: Path) -> dict[str, Any]:
        return await whole.whole_games(
            workdir, speed=speed, repeats=args.repeats, progress=progress
        )

    return _run_and_report(args, go, report.write_whole_games)


def _run_and_report(
    args: argparse.Namespace,
    go: Callable[[Path], Coroutine[Any, Any, dict[str, Any]]],
    write: Callable[[dict[str, Any], TextIO], None],
) -> int:
    """Run a bench in ``--keep``'s folder (or a temporary one), print its result as a table
    (``write``) or one JSON object, and exit 1 when a part failed to run."""
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(go(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="mlbdash-bench-") as tmp:
            result = asyncio.run(go(Path(tmp)))
    if args.json:
        sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
    else:
        write(result, sys.stdout)
    return 1 if result["failed"] else 0
