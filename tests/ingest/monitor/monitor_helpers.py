"""Event builders for the monitor tests (field values as the workers send them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from mlbdash.ingest.events import GameUpdated, RequestFinished
from mlbdash.ingest.views import GameRow


def request(
    at: datetime,
    *,
    kind: str = "feed",
    status: int | None = 200,
    latency_s: float = 0.1,
    game_pk: int = 746139,
    error: str | None = None,
    cache_hit: bool = False,
    bytes_wire: int = 1000,
    bytes_decoded: int = 5000,
) -> RequestFinished:
    url = f"http://127.0.0.1/api/v1.1/game/{game_pk}/feed/live"
    return RequestFinished(
        at=at,
        kind=kind,
        url=url,
        status=status,
        latency_s=latency_s,
        bytes_wire=bytes_wire,
        bytes_decoded=bytes_decoded,
        cache_hit=cache_hit,
        error=error,
    )


def timecode(at: datetime) -> str:
    return at.strftime("%Y%m%d_%H%M%S")


def game_updated(
    at: datetime,
    *,
    game_pk: int = 746139,
    state: str = "live",
    update: str = "diff",
    lag_s: float = 2.0,
    official_date: str = "2024-06-11",
) -> GameUpdated:
    """A stored version stamped ``lag_s`` before ``at`` (or an unchanged poll)."""
    row = GameRow(
        game_pk=game_pk,
        official_date=official_date,
        away="CHC",
        home="STL",
        state=state,
        detailed_state="In Progress" if state == "live" else state.title(),
        away_score=1,
        home_score=2,
        inning=7,
        inning_half="Bottom",
        outs=1,
        timecode=timecode(at - timedelta(seconds=lag_s)),
        versions=10,
        polls=20,
        diff_updates=8,
        full_updates=2,
    )
    return GameUpdated(at=at, row=row, update=update)
