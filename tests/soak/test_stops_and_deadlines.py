"""Real processes: a stop says why (SIGINT, SIGTERM, --duration mid-backoff), and a response
body that never ends costs one attempt, not the game.

One or two recorded games at high replay speed, so each run takes seconds to half a minute.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from soak_harness import (
    FAST_LEAD_S,
    TRACEBACK,
    compare_versions,
    ingest_env,
    make_slate,
    replay_server,
    run_ingest,
    slate_layout,
)

from mlbdash.ingest.store.maintenance import verify_versions

pytestmark = pytest.mark.slow

ONE_GAME = (744914,)


@pytest.mark.parametrize(
    ("signum", "reason", "code"),
    [(signal.SIGINT, "interrupted", 130), (signal.SIGTERM, "terminated", 143)],
)
async def test_a_signal_stops_the_run_saying_why(
    tmp_path: Path, signum: int, reason: str, code: int
) -> None:
    layout = slate_layout(make_slate(tmp_path / "slate", ONE_GAME), 100.0, ONE_GAME)
    db = tmp_path / "signal.sqlite3"
    async with replay_server(layout, tmp_path / "server.err") as url:
        # Four stderr lines in: the game is being followed, versions are being written.
        run = await run_ingest(
            url, db, ingest_env(tmp_path), kill_after_lines=4, signum=signum, timeout_s=120
        )
    assert run.killed
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == code, run.stdout[-2000:] + run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["stop_reason"] == reason
    assert summary["complete"] is False
    # What was being written was finished or rolled back: every stored version rebuilds.
    assert verify_versions(db).problems == []


async def test_duration_ends_on_time_even_mid_backoff(tmp_path: Path) -> None:
    """Every request fails, so the schedule read is deep in its retries' backoff (waits of
    0.5, 1, 2, 4 s at speed 1) when --duration runs out; the run must not wait for them."""
    layout = slate_layout(
        make_slate(tmp_path / "slate", ONE_GAME), 1.0, ONE_GAME, faults="error=1.0"
    )
    db = tmp_path / "duration.sqlite3"
    async with replay_server(layout, tmp_path / "server.err") as url:
        began = time.monotonic()
        run = await run_ingest(
            url, db, ingest_env(tmp_path), stop=("--duration", "2"), timeout_s=60
        )
        took = time.monotonic() - began
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == 1, run.stdout[-2000:] + run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["stop_reason"] == "duration"
    assert summary["complete"] is False
    # The retries alone would take 7.5 s more, and the old drain waited 10 s for them; the
    # margin covers interpreter start-up and the summary on a loaded two-core machine.
    assert took < 2 + 5, f"--duration 2 took {took:.1f} s"


async def test_a_body_that_never_ends_costs_one_attempt_not_the_game(tmp_path: Path) -> None:
    """2% of answers are a 200 whose body sends one byte a second for ever. Each is cut at the
    request deadline and asked again; the game is stored version for version."""
    layout = slate_layout(
        make_slate(tmp_path / "slate", ONE_GAME),
        600.0,
        ONE_GAME,
        lead_s=FAST_LEAD_S,
        faults="hang=0.02:every=1",
        seed=3,
    )
    db = tmp_path / "hang.sqlite3"
    env = ingest_env(tmp_path)
    env["MLBDASH_REQUEST_DEADLINE_S"] = "1"
    async with replay_server(layout, tmp_path / "server.err") as url:
        run = await run_ingest(url, db, env, timeout_s=180)
        async with httpx.AsyncClient() as http:
            stats = (await http.get(url.removesuffix("/api") + "/replay/stats")).json()
    assert stats["faults"].get("hang", 0) > 0, stats  # the fault really hit
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == 0, run.stdout[-2000:] + run.stderr[-2000:]
    summary = json.loads(run.stdout)
    # Each cut-off attempt is a failed request (at speed 600 a second of real time is past the
    # retries' time limit, so the poll fails and the game is asked again on its plan).
    assert summary["requests"]["errors"] >= stats["faults"]["hang"] // 2
    for game_pk, diff in (await compare_versions(db, layout)).items():
        assert diff.exact, (game_pk, diff)
    assert verify_versions(db).problems == []
