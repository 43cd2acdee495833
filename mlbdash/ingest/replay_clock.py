"""Which clock to run on: the wall clock, or a replay server's virtual clock.

A replay server (``mlbdash replay``) serves ``GET /replay/clock`` at the root of its host with
``{"now": ISO-8601 UTC, "speed": float}``; against one, poll intervals and staleness must be
measured in its virtual time. The real MLB API has no such endpoint and is not asked.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from mlbdash.config import DEFAULT_API_URL
from mlbdash.mlb.clock import Clock, ScaledClock, SystemClock

_REAL_API_HOST = httpx.URL(DEFAULT_API_URL).host


def replay_clock_url(base_url: str) -> str:
    """``http://host:port/replay/clock`` for an API base such as ``http://host:port/api``."""
    return str(httpx.URL(base_url).copy_with(path="/replay/clock", query=None, fragment=None))


def clock_from_answer(body: object) -> ScaledClock | None:
    """A ScaledClock from a ``/replay/clock`` answer, or None when it is not one."""
    if not isinstance(body, dict):
        return None
    now, speed = body.get("now"), body.get("speed")
    if not isinstance(now, str) or isinstance(speed, bool) or not isinstance(speed, int | float):
        return None
    try:
        start = datetime.fromisoformat(now)
    except ValueError:
        return None
    if start.tzinfo is None or speed <= 0:
        return None
    return ScaledClock(start, float(speed))


async def discover_clock(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout_s: float = 3.0,
) -> Clock:
    """The replay server's virtual clock if ``base_url`` points at one, else the wall clock.

    Any failure to ask (refused connection, 404, not JSON) means "not a replay server": the
    requests that follow report real connection problems with their own typed errors.
    """
    if httpx.URL(base_url).host == _REAL_API_HOST:
        return SystemClock()
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as http:
            response = await http.get(replay_clock_url(base_url))
            if response.status_code != 200:
                return SystemClock()
            body = response.json()
    except (httpx.HTTPError, ValueError):
        return SystemClock()
    return clock_from_answer(body) or SystemClock()
