"""``mlbdash db backup`` while ``mlbdash ingest`` writes, then ingest resumed from the backup."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from soak_harness import (
    FAST_LEAD_S,
    TRACEBACK,
    final_feeds,
    ingest_argv,
    ingest_env,
    make_slate,
    replay_server,
    run_ingest,
    slate_layout,
    stored_finals,
)

from mlbdash.ingest.store.maintenance import check_database

pytestmark = pytest.mark.slow

GAME = 744914
SPEED = 400.0


async def test_backup_mid_ingest_is_consistent_and_ingest_resumes_from_it(
    tmp_path: Path,
) -> None:
    data = make_slate(tmp_path / "slate", (GAME,))
    layout = slate_layout(data, SPEED, (GAME,), lead_s=FAST_LEAD_S)
    truth = final_feeds(layout)[GAME]
    db = tmp_path / "live.sqlite3"
    copy = tmp_path / "backup.sqlite3"
    env = ingest_env(tmp_path)
    async with replay_server(layout, tmp_path / "server.err") as url:
        ingest = await asyncio.create_subprocess_exec(
            *ingest_argv(url, db),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        assert ingest.stderr is not None
        try:
            # Wait until the game is live, then a few progress lines more (seconds of play).
            seen_live = 0
            while line := (await asyncio.wait_for(ingest.stderr.readline(), 120)).decode():
                assert TRACEBACK not in line
                if seen_live or (f"game {GAME}: " in line and "-> live" in line):
                    seen_live += 1
                if seen_live >= 4:
                    break
            backup = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "mlbdash",
                "db",
                "backup",
                str(copy),
                "--db",
                str(db),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            out, err = await asyncio.wait_for(backup.communicate(), 60)
            # The backup was taken while the ingest kept writing.
            assert ingest.returncode is None
        finally:
            ingest.terminate()
            await asyncio.wait_for(ingest.communicate(), 60)
        assert backup.returncode == 0, err.decode()
        assert b"integrity ok" in out

        report = check_database(copy, verify=True)
        assert report.ok, report.problems
        assert report.versions_checked is not None and report.versions_checked >= 2
        assert report.counts["games_final_stored"] == 0  # mid-game: not final yet

        resumed = await run_ingest(url, copy, env)
    assert TRACEBACK not in resumed.stderr
    assert resumed.exit_code == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    stored = (await stored_finals(copy, (GAME,)))[GAME]
    assert stored is not None
    # As in the kill soak: a resume far behind stores diffPatch's whole feed, which has no
    # copyright key (reported); the rest must be the server's final version exactly.
    assert {k: v for k, v in stored.items() if k != "copyright"} == {
        k: v for k, v in truth.items() if k != "copyright"
    }
    assert check_database(copy, verify=True).ok
