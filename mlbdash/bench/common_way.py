"""Client A, "the common way": what popular public MLB viewers do, for comparison.

Every ``metaData.wait`` seconds (virtual) it fetches the whole live feed of each live game,
and the schedule every 30 seconds; gzip on, no diffPatch, no cache, no conditional requests,
no retries (a failed poll waits for the next turn). Each answer is logged as one JSON line
``{"at", "kind", "game_pk", "status", "wire", "decoded", "timecode"}`` (``at`` in virtual
epoch seconds) so freshness and bytes can be measured the same way as mlbdash's.

Run: ``python -m mlbdash.bench.common_way --api-url URL --date YYYY-MM-DD --until ISO --log F``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from mlbdash.ingest.replay_clock import discover_clock
from mlbdash.mlb.clock import Clock

SCHEDULE_EVERY_S = 30.0
DEFAULT_WAIT_S = 10.0


class CommonWayClient:
    """Polls one league date's live games; stops at ``until`` (virtual)."""

    def __init__(self, api_url: str, day: date, until: datetime, clock: Clock, log: TextIO) -> None:
        self.api_url = api_url.rstrip("/")
        self.day = day
        self.until = until
        self.clock = clock
        self.log = log
        self.polling: dict[int, asyncio.Task[None]] = {}
        self.finished: set[int] = set()

    def _write(self, **fields: Any) -> None:
        self.log.write(json.dumps(fields, separators=(",", ":")) + "\n")

    async def _get(
        self, http: httpx.AsyncClient, kind: str, url: str, game_pk: int | None = None
    ) -> Any:
        try:
            response = await http.get(url)
            body = response.content
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            self._write(
                at=self.clock.now().timestamp(),
                kind=kind,
                game_pk=game_pk,
                error=type(exc).__name__,
            )
            return None
        timecode = None
        if isinstance(data, dict):
            timecode = (data.get("metaData") or {}).get("timeStamp")
        self._write(
            at=self.clock.now().timestamp(),
            kind=kind,
            game_pk=game_pk,
            status=response.status_code,
            wire=response.num_bytes_downloaded,
            decoded=len(body),
            timecode=timecode,
        )
        return data

    async def _poll_game(self, http: httpx.AsyncClient, game_pk: int) -> None:
        url = f"{self.api_url}/v1.1/game/{game_pk}/feed/live"
        while self.clock.now() < self.until:
            started = self.clock.monotonic()
            feed = await self._get(http, "feed", url, game_pk)
            wait = DEFAULT_WAIT_S
            if isinstance(feed, dict):
                meta = feed.get("metaData") or {}
                if isinstance(meta.get("wait"), int | float) and meta["wait"] > 0:
                    wait = float(meta["wait"])
                status = (feed.get("gameData") or {}).get("status") or {}
                if status.get("abstractGameState") == "Final":
                    self.finished.add(game_pk)
                    return
            # Start to start, like setInterval: the most favourable cadence for A's freshness.
            elapsed = self.clock.monotonic() - started
            await self.clock.sleep(max(0.0, wait - elapsed))

    async def run(self) -> None:
        headers = {"Accept-Encoding": "gzip", "User-Agent": "bench-common-way"}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        schedule_url = f"{self.api_url}/v1/schedule?sportId=1&date={self.day.isoformat()}"
        async with httpx.AsyncClient(headers=headers, timeout=20.0, limits=limits) as http:
            try:
                while self.clock.now() < self.until:
                    started = self.clock.monotonic()
                    schedule = await self._get(http, "schedule", schedule_url)
                    for game in _games(schedule):
                        pk = game.get("gamePk")
                        state = (game.get("status") or {}).get("abstractGameState")
                        known = pk in self.polling or pk in self.finished
                        if isinstance(pk, int) and state == "Live" and not known:
                            self.polling[pk] = asyncio.create_task(self._poll_game(http, pk))
                    elapsed = self.clock.monotonic() - started
                    await self.clock.sleep(max(0.0, SCHEDULE_EVERY_S - elapsed))
            finally:
                for task in self.polling.values():
                    task.cancel()
                for task in self.polling.values():
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


def _games(schedule: Any) -> list[dict[str, Any]]:
    if not isinstance(schedule, dict):
        return []
    out: list[dict[str, Any]] = []
    for day in schedule.get("dates") or []:
        if isinstance(day, dict):
            out.extend(g for g in day.get("games") or [] if isinstance(g, dict))
    return out


async def main_async(api_url: str, day: date, until: datetime, log_path: Path) -> None:
    clock = await discover_clock(api_url)
    with log_path.open("w", encoding="utf-8") as log:
        await CommonWayClient(api_url, day, until, clock, log).run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlbdash.bench.common_way")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--until", required=True, type=datetime.fromisoformat)
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.api_url, args.date, args.until, args.log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
