"""Replay servers for tests: real loopback HTTP, virtual time on a ManualClock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.demo import demo_server_options
from mlbdash.replay.server import ReplayServer, start_replay_server
from mlbdash.replay.world import ReplayOptions

FIXTURES = Path(__file__).parents[1] / "fixtures"
DEMO_DAY = date(2026, 11, 25)


def demo_options(**fields: Any) -> ReplayOptions:
    options = demo_server_options(DEMO_DAY, plan=False)
    return ReplayOptions(**{**options.__dict__, **fields})


@asynccontextmanager
async def serve(
    options: ReplayOptions | None = None, **fields: Any
) -> AsyncIterator[tuple[ReplayServer, httpx.AsyncClient, ManualClock]]:
    """A server whose virtual time stands still at its start until the test advances it."""
    clocks: list[ManualClock] = []

    def make_clock(start: Any) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    if options is None:
        fields.setdefault("data", FIXTURES)
    async with (
        start_replay_server(options=options, clock=make_clock, **fields) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
    ):
        yield server, client, clocks[0]
