"""End-to-end helpers: a replay server and ``mlbdash ingest`` as real processes over loopback.

The server runs in its own process (as in production, its CPU is not ours) and prints its base
URL as the first line; ingest runs as ``python -m mlbdash ingest`` exactly as a user runs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from conftest import fixture_path

# Settings for fast virtual time: the budget is per real second, and at --speed 600 a live
# game's 10 s wait is 17 ms, so the defaults (5 requests/s) would starve it.
CONFIG = """\
requests_per_second = 1000
burst = 200
max_concurrency = 32

[poll]
final_recheck_after_s = 300
"""


def make_data(root: Path, files: list[str]) -> Path:
    """A replay data folder holding these fixtures (paths relative to tests/fixtures)."""
    for rel in [*files, "other/gamestatus_all.json"]:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fixture_path(rel), target)
    return root


def write_config(folder: Path) -> Path:
    path = folder / "mlbdash.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLBDASH_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_line(stream: Any, timeout_s: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout_s)
    if not ready:
        raise TimeoutError(f"no output within {timeout_s} s")
    return str(stream.readline())


@contextlib.contextmanager
def replay_server(data: Path, *args: str) -> Iterator[str]:
    """Run ``mlbdash replay serve --data DATA ARGS``; yields the base URL (``.../api``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlbdash", "replay", "serve", "--data", str(data), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        url = _read_line(proc.stdout, 60).strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def ingest_command(url: str, db: Path, config: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlbdash",
        "ingest",
        "--api-url",
        url,
        "--db",
        str(db),
        "--config",
        str(config),
        *args,
    ]


@dataclass(frozen=True)
class IngestRun:
    returncode: int
    summary: dict[str, Any]
    stderr: str


def start_ingest(url: str, db: Path, config: Path, *args: str) -> subprocess.Popen[str]:
    """``mlbdash ingest --json`` in the background; stdout and stderr are pipes."""
    return subprocess.Popen(
        ingest_command(url, db, config, "--json", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def finish(proc: subprocess.Popen[str], timeout_s: float = 120) -> IngestRun:
    """Wait for a background ingest; its summary (the one JSON line on stdout) and stderr."""
    out, err = proc.communicate(timeout=timeout_s)
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"stdout is not one JSON line: {out!r}\n{err}"
    return IngestRun(proc.returncode, json.loads(lines[0]), err)


def stop(proc: subprocess.Popen[str]) -> None:
    """Make sure a background process is gone and its pipes closed."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout_s: float = 60) -> list[str]:
    """Read the process's stderr until a line contains ``needle``; returns the lines read."""
    assert proc.stderr is not None
    seen: list[str] = []
    while True:
        line = _read_line(proc.stderr, timeout_s)
        if not line:
            raise AssertionError(f"ingest ended before {needle!r}:\n{''.join(seen)}")
        seen.append(line)
        if needle in line:
            return seen


def server_timestamps(url: str, game_pk: int) -> list[str]:
    answer = httpx.get(f"{url}/v1.1/game/{game_pk}/feed/live/timestamps", timeout=10)
    answer.raise_for_status()
    result: list[str] = answer.json()
    return result


def server_feed(url: str, game_pk: int) -> dict[str, Any]:
    answer = httpx.get(f"{url}/v1.1/game/{game_pk}/feed/live", timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result
