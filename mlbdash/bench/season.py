"""A week of league dates in one `mlbdash ingest --follow` process: its memory, day by day.

Run as ``python -m mlbdash.bench.season [--days 7] [--speed 1200] [--per-day 3]``. A replay server
(its own process) serves two recorded finals of the bundled demo slate on the first day and
their clones spread over the following days (``--clone-stagger`` of a day / ``--per-day``);
``mlbdash ingest --follow`` (another process) starts on the first day and picks up each new
league date. psutil samples the ingest process's RSS every second of real time; the table
printed is the RSS at the end of each virtual day and its highest that day. Memory is flat
when the last days' figures stay at the first day's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import psutil

FIRST_DAY = "2026-04-06"
BASES = ("feed_662751_final.json.gz", "feed_744914_final.json.gz")
START = f"{FIRST_DAY}T13:00:00Z"  # 09:00 ET, before the day's first pitch


@dataclass(frozen=True, slots=True)
class Day:
    day: int
    end_rss_mb: float
    peak_rss_mb: float


def _data_dir(into: Path) -> Path:
    demo = files("mlbdash") / "data" / "demo"
    (into / "feed").mkdir(parents=True)
    (into / "other").mkdir()
    for name in BASES:
        (into / "feed" / name).write_bytes((demo / "feed" / name).read_bytes())
    for item in (demo / "other").iterdir():
        (into / "other" / item.name).write_bytes(item.read_bytes())
    return into


def _virtual_now(base_url: str) -> datetime:
    root = base_url.rsplit("/api", 1)[0]
    with urllib.request.urlopen(f"{root}/replay/clock", timeout=5) as answer:
        return datetime.fromisoformat(json.load(answer)["now"])


def run(days: int, speed: float, per_day: int, work: Path) -> list[Day]:
    data = _data_dir(work / "data")
    mlbdash = [sys.executable, "-m", "mlbdash"]
    env = {**os.environ, "MLBDASH_CONFIG": str(work / "none.toml")}
    server = subprocess.Popen(
        [
            *mlbdash,
            "replay",
            "serve",
            "--data",
            str(data),
            "--rebase-date",
            FIRST_DAY,
            "--clone",
            str(days * per_day),
            "--clone-stagger",
            str(86400 / per_day),
            "--speed",
            str(speed),
            "--start",
            START,
        ],
        stdout=subprocess.PIPE,
        stderr=(work / "server.err").open("wb"),
        env=env,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().decode().strip()
        ingest = subprocess.Popen(
            [
                *mlbdash,
                "ingest",
                "--follow",
                "--api-url",
                base_url,
                "--db",
                str(work / "season.sqlite3"),
            ],
            stdout=(work / "ingest.out").open("wb"),
            stderr=(work / "ingest.err").open("wb"),
            env=env,
        )
        try:
            return _sample(ingest, base_url, days)
        finally:
            ingest.terminate()
            ingest.wait(60)
    finally:
        server.terminate()
        server.wait(60)


def _sample(ingest: subprocess.Popen[bytes], base_url: str, days: int) -> list[Day]:
    process = psutil.Process(ingest.pid)
    first = datetime.fromisoformat(START).replace(tzinfo=UTC)
    out: list[Day] = []
    peak = 0
    rss = 0
    day = 0
    while day < days:
        if ingest.poll() is not None:
            raise SystemExit(f"ingest ended early with exit {ingest.returncode}")
        rss = process.memory_info().rss
        peak = max(peak, rss)
        now = _virtual_now(base_url)
        elapsed = (now - first) // timedelta(days=1)
        while day < min(elapsed, days):
            out.append(Day(day + 1, rss / 2**20, peak / 2**20))
            print(
                f"day {day + 1}: RSS {rss / 2**20:.0f} MB (peak {peak / 2**20:.0f} MB)", flush=True
            )
            day += 1
            peak = rss
        time.sleep(1.0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--speed", type=float, default=1200.0)
    parser.add_argument("--per-day", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the work folder (logs, database) here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mlbdash-season-"))
    try:
        curve = run(args.days, args.speed, args.per_day, work)
    finally:
        if args.keep is not None:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps([asdict(d) for d in curve]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
