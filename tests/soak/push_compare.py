"""Push against polling over whole games: ``python tests/soak/push_compare.py [SPEED] [REPEATS]``.

Runs one replay server (two real recorded games, pre-game to Final) and, side by side, two
``mlbdash ingest --until-done --json`` processes against it: ``push = "off"`` (B-poll) and
``push = "auto"`` (B-push). Prints, per run, the requests and wire bytes per game and the
freshness ``ingest --json`` reports (clock seconds from a version's metaData.timeStamp to its
stored_at, as the database holds them). Not the common way (A): ``mlbdash bench`` measures that.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from soak_harness import (  # noqa: E402
    ingest_env,
    make_slate,
    replay_server,
    run_ingest,
    slate_layout,
)

GAMES = (744914, 777687)


async def compare(speed: float, root: Path) -> dict[str, dict[str, object]]:
    layout = slate_layout(make_slate(root / "slate", GAMES), speed, GAMES)
    out: dict[str, dict[str, object]] = {}
    async with replay_server(layout, root / "server.err") as url:

        async def one(mode: str) -> None:
            env = ingest_env(root / mode)
            env["MLBDASH_PUSH"] = mode
            run = await run_ingest(url, root / f"{mode}.sqlite3", env, timeout_s=7200)
            summary = json.loads(run.stdout)
            requests = summary["requests"]
            out[mode] = {
                "exit": run.exit_code,
                "requests_per_game": requests["total"] / len(GAMES),
                "diff_patch_per_game": requests["by_kind"].get("diff_patch", 0) / len(GAMES),
                "wire_bytes_per_game": requests["bytes_wire"] / len(GAMES),
                "freshness": summary["freshness"],
            }

        await asyncio.gather(one("off"), one("auto"))
    return out


def main() -> None:
    speed = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for repeat in range(repeats):
        root = Path(tempfile.mkdtemp(prefix="push-compare-"))
        try:
            result = asyncio.run(compare(speed, root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        for mode, figures in result.items():
            name = "B-push" if mode == "auto" else "B-poll"
            print(f"speed {speed:g} run {repeat + 1} {name}: {json.dumps(figures)}", flush=True)


if __name__ == "__main__":
    main()
