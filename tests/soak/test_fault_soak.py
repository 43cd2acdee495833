"""Fault soak: a whole slate at high speed with every fault of the replay server switched on.

Every game's final stored feed must be exactly the server's own final version and every version
the server made must be stored under its own timecode with the server's content for it (what
any correct run stores, with or without faults), no traceback, the outage's alert fired and
resolved; then the same slate with the ingest SIGKILLed at 10 seeded moments and restarted each
time ends with the same data.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from soak_harness import (
    FAST_LEAD_S,
    SLATE,
    TRACEBACK,
    compare_versions,
    final_feeds,
    ingest_env,
    make_slate,
    replay_server,
    run_ingest,
    slate_layout,
    stored_finals,
)

from mlbdash.ingest.store.maintenance import verify_versions

pytestmark = pytest.mark.slow

SPEED = 400.0
# The kill soak stays at 200: its ten runs, killed a few progress lines (real seconds) in
# each, must fall across the games' play, which lasts about a minute at that speed.
KILL_SPEED = 200.0
# Every fault kind at once. Latency and drip are real seconds; the outage is virtual: fifteen
# minutes without an answer, 40 minutes into the slate (mid-game for every game). The monitor
# looks once a real second and calls the API unreachable after 60 virtual seconds down, so
# the outage lasts over two real seconds at this speed: the alert cannot slip between looks.
FAULTS = (
    "latency=1ms~10ms,error=0.03,429=0.02:retry-after=2,reset=0.01,truncate=0.01,"
    "html=0.01,drip=0.01:seconds=0.2,drift=0.01,outage=@00:40+900s"
)


def without_copyright(feed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in feed.items() if k != "copyright"}


def alerts(db: Path) -> list[tuple[str, str | None, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("SELECT rule, fired_at, resolved_at FROM alerts ORDER BY id"))
    finally:
        conn.close()


async def test_slate_under_every_fault_stores_what_the_server_serves(tmp_path: Path) -> None:
    began = time.monotonic()
    data = make_slate(tmp_path / "slate")
    layout = slate_layout(data, SPEED, lead_s=FAST_LEAD_S, faults=FAULTS, seed=7)
    truth = final_feeds(layout)
    db = tmp_path / "faults.sqlite3"
    async with replay_server(layout, tmp_path / "server.err") as url:
        run = await run_ingest(url, db, ingest_env(tmp_path))
        async with httpx.AsyncClient() as http:
            stats = (await http.get(url.removesuffix("/api") + "/replay/stats")).json()
    # Every fault kind really hit this run.
    for kind in ("error", "429", "reset", "truncate", "html", "drip", "drift", "outage"):
        assert stats["faults"].get(kind, 0) > 0, stats["faults"]
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == 0, run.stdout[-2000:] + run.stderr[-2000:]
    stored = await stored_finals(db, SLATE)
    for game_pk in SLATE:
        assert stored[game_pk] == truth[game_pk], f"game {game_pk} differs from the server"
    # Not only the finals: every version the server made is stored, under its own timecode
    # and with the server's content for it (a drifted answer is not stored as served).
    versions = await compare_versions(db, layout)
    for game_pk, diff in versions.items():
        assert diff.exact, (game_pk, diff)
    assert verify_versions(db).problems == []
    episodes = [(rule, fired, resolved) for rule, fired, resolved in alerts(db)]
    outage = [e for e in episodes if e[0] == "api_unreachable" and e[1] is not None]
    assert outage, f"no api_unreachable alert fired: {episodes}"
    assert all(resolved is not None for _, _, resolved in outage), outage
    print(f"fault soak: {time.monotonic() - began:.1f} s real, faults {stats['faults']}")


async def test_sigkill_at_ten_moments_still_ends_with_the_same_data(tmp_path: Path) -> None:
    began = time.monotonic()
    data = make_slate(tmp_path / "slate")
    layout = slate_layout(data, KILL_SPEED)
    truth = final_feeds(layout)
    db = tmp_path / "killed.sqlite3"
    env = ingest_env(tmp_path)
    moments = random.Random(20240612)
    async with replay_server(layout, tmp_path / "server.err") as url:
        kills = 0
        for _ in range(10):
            # Progress lines come once a real second, state changes as they happen: killing
            # after the k-th line is a moment chosen by the seed, not by a sleep.
            run = await run_ingest(url, db, env, kill_after_lines=moments.randint(1, 6))
            assert TRACEBACK not in run.stderr, run.stderr[-3000:]
            assert run.killed or run.exit_code == 0
            kills += run.killed
        final = await run_ingest(url, db, env)
    assert kills == 10
    assert TRACEBACK not in final.stderr, final.stderr[-3000:]
    assert final.exit_code == 0, final.stdout[-2000:] + final.stderr[-2000:]
    stored = await stored_finals(db, SLATE)
    for game_pk in SLATE:
        feed = stored[game_pk]
        assert feed is not None
        # Known deviation (reported): a restart far behind gets diffPatch's whole-feed answer,
        # which (as on the real API) has no copyright key, and the follower stores it as
        # served. Everything else must be identical.
        assert without_copyright(feed) == without_copyright(truth[game_pk]), game_pk
    assert verify_versions(db).problems == []
    print(f"kill soak: {time.monotonic() - began:.1f} s real")
