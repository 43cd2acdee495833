"""Real processes: the archive tells the truth.

- A disk that fills up mid-run: exit 1, ``complete: false``, the failed writes named, and every
  figure of the summary what the database holds (a 3 MB tmpfs when this machine lets us mount
  one, else the same run under a 3 MB file-size limit: the writes fail the same way).
- Faults that make ingest refetch whole feeds or lose answers (drift, bodies that never end,
  everything at once): every version the server made is stored with the server's content,
  compared version by version (timecode and content) with the server's own timeline.
- ``mlbdash db audit`` finds a gap made by deleting a stored version.

Recorded games at replay speed 600: one game to its end in about 20 real seconds (the ingest
needs a fraction of a core for it); two games fill the small disk about 4 s into a 12 s run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from soak_harness import (
    FAST_LEAD_S,
    TRACEBACK,
    compare_versions,
    ingest_argv,
    ingest_env,
    make_slate,
    replay_server,
    run_ingest,
    slate_layout,
)

from mlbdash.ingest.store.maintenance import verify_versions

pytestmark = pytest.mark.slow

TWO_GAMES = (744914, 777687)
ONE_GAME = (744914,)
SMALL_BYTES = 3 * 1024 * 1024
SPEED = 600.0


@contextlib.contextmanager
def small_disk(folder: Path, *, mount: bool) -> Iterator[bool]:
    """A 3 MB tmpfs at ``folder`` (True), or nothing mounted (False) when not asked or not
    allowed here: the caller then limits the ingest's file size instead."""
    folder.mkdir()
    mounted = False
    if mount and hasattr(os, "geteuid") and os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={SMALL_BYTES}", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        )
        mounted = done.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def _limit_file_size() -> None:
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a full disk does
    # with ENOSPC: SQLite reports an error and the write is rolled back.
    resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL_BYTES, SMALL_BYTES))


async def _run_limited(
    url: str, db: Path, env: dict[str, str], limited: bool
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *ingest_argv(url, db, ("--duration", "12")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        preexec_fn=_limit_file_size if limited else None,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.parametrize("mount", [True, False], ids=["tmpfs", "file-size-limit"])
async def test_a_full_disk_ends_in_exit_1_and_a_summary_of_what_is_stored(
    tmp_path: Path, mount: bool
) -> None:
    layout = slate_layout(make_slate(tmp_path / "slate", TWO_GAMES), SPEED, TWO_GAMES)
    with small_disk(tmp_path / "small", mount=mount) as mounted:
        if mount and not mounted:
            pytest.skip("cannot mount a tmpfs here (the file-size-limit run covers it)")
        db = tmp_path / "small" / "full.sqlite3"
        async with replay_server(layout, tmp_path / "server.err") as url:
            code, out, err = await _run_limited(url, db, ingest_env(tmp_path), not mounted)
        assert TRACEBACK not in err, err[-3000:]
        assert code == 1, out[-2000:] + err[-2000:]
        summary = json.loads(out)
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            held = dict(conn.execute("SELECT game_pk, COUNT(*) FROM feed_versions GROUP BY 1"))
            finals = dict(conn.execute("SELECT game_pk, final_stored FROM games"))
        finally:
            conn.close()
    assert summary["complete"] is False
    assert sum(summary["write_failures"].values()) > 0, summary
    # Every figure is what the database holds: versions and finals, game by game.
    for game in summary["games"]:
        assert game["versions"] == held.get(game["game_pk"], 0), (game, held)
        assert game["final_stored"] == bool(finals.get(game["game_pk"])), (game, finals)
    assert sum(held.values()) < 391 + 466  # the disk really filled up before the end
    assert "DATABASE WRITE FAILED" in err  # said on the progress line as it happened
    firing = {a["rule"] for a in summary["alerts"]["firing"]}
    assert "database_write_failed" in firing, summary["alerts"]


@pytest.mark.parametrize(
    ("faults", "games"),
    [
        ("drift=0.05", ONE_GAME),
        (
            "latency=1ms~5ms,error=0.03,429=0.02:retry-after=1,reset=0.01,truncate=0.01,"
            "html=0.01,drip=0.01:seconds=0.2,drift=0.02,hang=0.01:every=1",
            ONE_GAME,
        ),
    ],
    ids=["drift", "mixed"],
)
async def test_faults_lose_no_version(tmp_path: Path, faults: str, games: tuple[int, ...]) -> None:
    layout = slate_layout(
        make_slate(tmp_path / "slate", games),
        SPEED,
        games,
        lead_s=FAST_LEAD_S,
        faults=faults,
        seed=5,
    )
    db = tmp_path / "faults.sqlite3"
    env = ingest_env(tmp_path)
    env["MLBDASH_REQUEST_DEADLINE_S"] = "1"
    async with replay_server(layout, tmp_path / "server.err") as url:
        run = await run_ingest(url, db, env, timeout_s=300)
        async with httpx.AsyncClient() as http:
            stats = (await http.get(url.removesuffix("/api") + "/replay/stats")).json()
    assert stats["faults"].get("drift", 0) > 0, stats
    assert TRACEBACK not in run.stderr, run.stderr[-3000:]
    assert run.exit_code == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert json.loads(run.stdout)["complete"] is True
    # Version by version against the server: every timecode, and each one's content (a
    # drifted answer is not what the server has for that version).
    for game_pk, diff in (await compare_versions(db, layout)).items():
        assert diff.exact, (game_pk, diff)
    assert verify_versions(db).problems == []


async def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode(), err.decode())


async def test_audit_finds_a_deleted_version(tmp_path: Path) -> None:
    layout = slate_layout(
        make_slate(tmp_path / "slate", ONE_GAME), SPEED, ONE_GAME, lead_s=FAST_LEAD_S
    )
    db = tmp_path / "audit.sqlite3"
    env = ingest_env(tmp_path)
    async with replay_server(layout, tmp_path / "server.err") as url:
        run = await run_ingest(url, db, env, timeout_s=180)
        assert run.exit_code == 0, run.stdout[-2000:] + run.stderr[-2000:]
        audit = [sys.executable, "-m", "mlbdash", "db", "audit", "--db", str(db), "--api-url", url]
        clean = await _run(*audit, "--json", env=env)
        conn = sqlite3.connect(db)
        with conn:
            timecode = conn.execute(
                "SELECT timecode FROM feed_versions WHERE kind = 'diff' "
                "ORDER BY id LIMIT 1 OFFSET 100"
            ).fetchone()[0]
            conn.execute("DELETE FROM feed_versions WHERE timecode = ?", (timecode,))
        conn.close()
        gap = await _run(*audit, "--json", env=env)
        text = await _run(*audit, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["gaps"] == 0
    assert gap.returncode == 1, gap.stdout + gap.stderr
    (game,) = json.loads(gap.stdout)["games"]
    assert game["missing"] == [timecode]
    assert text.returncode == 1 and f"1 missing ({timecode})" in text.stdout
