"""Push soak: ``push = "auto"`` against a replay server whose push socket has every fault of its
own switched on (refused upgrades, dropped connections, silence, duplicated and out-of-order
messages, spurious full_refresh). Every version the server made must be stored, version by
version, exactly as the server serves it: push decides when to ask, never what is stored.
"""

from __future__ import annotations

import json
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

GAMES = (744914,)
SPEED = 600.0
FAULTS = (
    "push-refuse=0.3,push-drop=0.02,push-silence=0.03,push-dup=0.05,push-reorder=0.05,"
    "push-refresh=0.03"
)


async def test_push_under_every_socket_fault_stores_every_version(tmp_path: Path) -> None:
    began = time.monotonic()
    layout = slate_layout(
        make_slate(tmp_path / "slate", GAMES),
        SPEED,
        GAMES,
        lead_s=FAST_LEAD_S,
        faults=FAULTS,
        seed=5,
    )
    db = tmp_path / "push.sqlite3"
    env = ingest_env(tmp_path)
    env["MLBDASH_PUSH"] = "auto"
    async with replay_server(layout, tmp_path / "server.err") as url:
        run = await run_ingest(url, db, env, timeout_s=300)
        async with httpx.AsyncClient() as http:
            stats = (await http.get(url.removesuffix("/api") + "/replay/stats")).json()
    push = stats["push"]
    # The socket was really used, and every kind of socket fault really hit.
    assert push["messages"] > 0 and push["keepAlives"] > 0, push
    for kind in (
        "push-refuse",
        "push-drop",
        "push-silence",
        "push-dup",
        "push-reorder",
        "push-refresh",
    ):
        assert push["faults"].get(kind, 0) > 0, push
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == 0, run.stdout[-2000:] + run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["stop_reason"] == "done"
    for game_pk, diff in (await compare_versions(db, layout)).items():
        assert diff.exact, (game_pk, diff)
    assert verify_versions(db).problems == []
    print(f"push soak: {time.monotonic() - began:.1f} s real, push {push}")
