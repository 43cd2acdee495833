"""Whole games: A, B-poll and B-push follow the same replayed games from pre-game to Final.

Two real recorded games of the bundled slate, met in Warmup before their first pitches (five
and six virtual minutes after the start) and followed to Final; three clients follow them side
by side, each in its own process and with a replay server process of its own (see
``one_repeat``): A (the common way, ``common_way``), B-poll (``mlbdash ingest --until-done``
with ``push = "off"``) and B-push (the same with ``push = "auto"``). Every figure is given per
game: requests, bytes on the wire and decoded, CPU seconds (all over the whole run), freshness
p50/p95/p99 and versions missed (``measure.freshness``: from a version's timecode to when the
client first held it or a later one), and where the requests and bytes went (``by_kind``).
Each repeat runs fresh servers; the report shows every repeat, so the spread shows.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mlbdash.bench import measure
from mlbdash.bench.layout import BENCH_DATE, VIRTUAL_START, WAIT_S, BenchLayout, version_times
from mlbdash.bench.processes import Child, isolated_env, start_child
from mlbdash.bench.run import BenchFailed
from mlbdash.bench.run import _failed as failed
from mlbdash.bench.run import _sample_until as sample_until
from mlbdash.bench.run import _server as start_server
from mlbdash.ingest.store import files as db_files
from mlbdash.replay.demo import demo_data_path
from mlbdash.replay.world import World

WHOLE_GAMES = (744914, 777687)
"""Two complete real games of the bundled slate (both pre-game to Final)."""
FIRST_PITCH_S = 300.0
"""Virtual seconds from the server's start to the first game's first pitch."""
FRESH_FROM_S = 240.0
"""Freshness counts the versions made from this many virtual seconds after the server's start
(4 real seconds at speed 60, for the clients to start): a version made earlier (the first
few of each recording sit hours before) could not be seen sooner by any client."""
CLIENTS = ("a", "b_poll", "b_push")
TARGETS = {
    "b_push_freshness_p50_s": 1.5,
    "b_push_freshness_p99_s": 3.0,
    "b_push_over_b_poll_requests": 0.5,
    "b_push_over_a_bytes_wire": 1 / 80,
}

Progress = Callable[[str], None]


def slate(folder: Path, games: tuple[int, ...] = WHOLE_GAMES) -> Path:
    """A recordings folder holding only these games' final feeds and the status list."""
    source = demo_data_path()
    (folder / "feed").mkdir(parents=True)
    (folder / "other").mkdir()
    for game_pk in games:
        shutil.copy(source / "feed" / f"feed_{game_pk}_final.json.gz", folder / "feed")
    shutil.copy(source / "other" / "gamestatus_all.json.gz", folder / "other")
    return folder


def layout_for(folder: Path, speed: float) -> BenchLayout:
    return BenchLayout(
        speed=speed, first_pitch_s=FIRST_PITCH_S, spacing_s=60.0, data=folder, games=WHOLE_GAMES
    )


def per_game(
    traffic: measure.Traffic,
    lags: tuple[list[float], int],
    cpu_s: float | None,
    games: int,
) -> dict[str, Any]:
    return {
        "requests": traffic.requests / games,
        "request_errors": traffic.errors / games,
        "bytes_wire": traffic.bytes_wire / games,
        "bytes_decoded": traffic.bytes_decoded / games,
        "freshness": measure.lag_summary(*lags),
        "cpu_s": None if cpu_s is None else cpu_s / games,
    }


def request_kind(url: str, decoded: int | None) -> str:
    """What a request asked, in the words of the figures: the kinds that cost requests or
    bytes differently (an empty diffPatch answer, ``[]``, is 2 bytes decoded)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    path = parts.path
    if path.endswith("/diffPatch"):
        if "endTimecode" in query:
            return "diffPatch to a version (gap, history, blocks served again)"
        return "diffPatch, nothing new" if decoded is not None and decoded <= 2 else "diffPatch"
    if path.endswith("/timestamps"):
        return "timestamps"
    if path.endswith("/feed/live"):
        if "fields" in query:
            return "feed parts (merge check, fields=)"
        return "feed by timecode" if "timecode" in query else "whole feed"
    if path.endswith("/schedule"):
        return "schedule"
    return "other"


def by_kind(rows: Iterable[tuple[str, int | None, int | None]], games: int) -> dict[str, Any]:
    """Per game, per kind of request (``request_kind``): requests and bytes on the wire."""
    out: dict[str, dict[str, float]] = {}
    for url, wire, decoded in rows:
        kind = out.setdefault(request_kind(url, decoded), {"requests": 0.0, "bytes_wire": 0.0})
        kind["requests"] += 1 / games
        kind["bytes_wire"] += (wire or 0) / games
    return dict(sorted(out.items(), key=lambda item: -item[1]["bytes_wire"]))


def figures(
    world: World, a_log: Path, dbs: dict[str, Path], children: dict[str, Child]
) -> dict[str, Any]:
    """Per game, per client, over the whole run; then the ratios the targets ask about."""
    games = len(WHOLE_GAMES)
    published = version_times(world, WHOLE_GAMES)
    everything = (float("-inf"), float("inf"))
    fresh = (VIRTUAL_START.timestamp() + FRESH_FROM_S, float("inf"))
    rows = measure.read_common_way_log(a_log)
    out: dict[str, Any] = {
        "a": per_game(
            measure.common_way_traffic(rows, *everything),
            measure.freshness(published, measure.common_way_stored(rows), *fresh),
            children["a"].cpu_total_s,
            games,
        )
    }
    out["a"]["by_kind"] = {
        kind: {
            "requests": sum(1 for r in rows if r.get("kind") == kind) / games,
            "bytes_wire": sum(int(r.get("wire") or 0) for r in rows if r.get("kind") == kind)
            / games,
        }
        for kind in sorted({str(r.get("kind")) for r in rows})
    }
    for name, db in dbs.items():
        out[name] = per_game(
            measure.mlbdash_traffic(db, *everything),
            measure.freshness(published, measure.mlbdash_stored(db), *fresh),
            children[name].cpu_total_s,
            games,
        )
        out[name]["by_kind"] = by_kind(db_files.request_urls(db), games)
    out["b_push_over_b_poll_requests"] = _ratio(
        out["b_push"]["requests"], out["b_poll"]["requests"]
    )
    out["b_push_over_a_bytes_wire"] = _ratio(out["b_push"]["bytes_wire"], out["a"]["bytes_wire"])
    return out


def _ratio(b: float | None, a: float | None) -> float | None:
    return None if a is None or b is None or a == 0 else b / a


def targets(repeats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target against its worst value over the repeats (a target met once is not met)."""
    out = []
    for key, limit in TARGETS.items():
        if key.startswith("b_push_freshness_"):
            share = key.removeprefix("b_push_freshness_")
            values = [r["b_push"]["freshness"][share] for r in repeats]
        else:
            values = [r[key] for r in repeats]
        known = [v for v in values if v is not None]
        worst = max(known) if len(known) == len(values) and known else None
        out.append(
            {
                "target": key,
                "value": worst,
                "limit": limit,
                "pass": worst is not None and worst <= limit,
            }
        )
    return out


def until_after_last_version(layout: BenchLayout) -> tuple[World, float]:
    """The served world and the virtual moment two waits after its last version."""
    world = World(layout.options())
    last = max(
        world.games[pk].timeline.times[-1]  # type: ignore[union-attr]
        for pk in WHOLE_GAMES
    )
    return world, last + 2 * WAIT_S


def ingest_argv(url: str, db: Path) -> list[str]:
    return [
        "mlbdash",
        "ingest",
        "--api-url",
        url,
        "--db",
        str(db),
        "--date",
        str(BENCH_DATE),
        "--until-done",
        "--json",
    ]


def ingest_env(workdir: Path, push: str) -> dict[str, str]:
    env = isolated_env(workdir)
    env["MLBDASH_PUSH"] = push
    # A Final is re-checked one virtual minute after (not half an hour), so --until-done ends
    # soon after the last game does; the request budget is mlbdash's default.
    env["MLBDASH_POLL__FINAL_RECHECK_AFTER_S"] = "60"
    return env


async def one_repeat(workdir: Path, speed: float, progress: Progress) -> dict[str, Any]:
    """Three clients, each with a fresh server of its own, to the end of the last game.

    One server per client, all replaying the same games on the same virtual timeline (each
    client reads its own server's clock): a replay server is one event loop, and building and
    compressing the whole feeds A asks for (30-60 real ms each, two every 170 real ms at
    speed 60) would hold up the other clients' answers and push messages by seconds of
    virtual time, a delay no client of MLB's servers gets from another client.
    """
    layout = layout_for(slate(workdir / "slate"), speed)
    world, until = until_after_last_version(layout)
    servers: list[Child] = []
    children: dict[str, Child] = {}
    dbs = {name: workdir / f"{name}.sqlite3" for name in ("b_poll", "b_push")}
    a_log = workdir / "common_way.jsonl"
    try:
        for name in CLIENTS:
            server, url, clock = await start_server(layout, workdir, f"{name}-server")
            servers.append(server)
            progress(f"whole games: {name}'s replay at {url}, speed {speed:g}")
            if name == "a":
                left = timedelta(seconds=until - clock.now().timestamp())
                children[name] = start_child(
                    "client-a",
                    [
                        "mlbdash.bench.common_way",
                        *("--api-url", url, "--date", str(BENCH_DATE)),
                        *("--until", (clock.now() + left).isoformat(), "--log", str(a_log)),
                    ],
                    workdir,
                )
            else:
                env = ingest_env(workdir / name, "off" if name == "b_poll" else "auto")
                children[name] = start_child(name, ingest_argv(url, dbs[name]), workdir, env)
        real = (until - clock.now().timestamp()) / speed
        running = list(children.values())
        await sample_until(
            running, clock, lambda: not any(c.running for c in running), timeout_s=real + 300
        )
    finally:
        for child in children.values():
            await child.stop()
        for server in servers:
            await server.stop()
    for child in children.values():
        problem = failed(child)
        if problem:
            raise BenchFailed(problem)
    return figures(world, a_log, dbs, children)


async def whole_games(
    workdir: Path, *, speed: float, repeats: int, progress: Progress
) -> dict[str, Any]:
    """Every repeat (a repeat that fails is named in ``failed``), the spread and the targets."""
    result: dict[str, Any] = {
        "games": list(WHOLE_GAMES),
        "speed": speed,
        "repeats": [],
        "failed": [],
    }
    for number in range(1, repeats + 1):
        folder = workdir / f"whole-{number}"
        folder.mkdir(parents=True)
        try:
            result["repeats"].append(await one_repeat(folder, speed, progress))
        except BenchFailed as exc:
            result["failed"].append(f"whole games repeat {number}: {exc}")
    result["targets"] = targets(result["repeats"]) if result["repeats"] else []
    return result
