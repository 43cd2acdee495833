"""The request ledger's per-second series: wire requests only, with their mean latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.scheduler.summary import RequestLedger

T0 = datetime(2026, 5, 1, 23, 0, tzinfo=UTC)


def _request(second: int, latency_s: float, **flags: bool) -> RequestFinished:
    return RequestFinished(
        T0 + timedelta(seconds=second),
        "feed",
        "/api/v1.1/game/1/feed/live",
        200,
        latency_s,
        100,
        100,
        **flags,
    )


def test_series_count_wire_requests_and_average_their_latency() -> None:
    ledger = RequestLedger()
    for event in (
        _request(0, 0.1),
        _request(0, 0.3),
        _request(0, 0.0, cache_hit=True),
        _request(0, 0.0, coalesced=True),
        _request(2, 0.05),
    ):
        ledger.handle(event)
    now = T0 + timedelta(seconds=2)
    assert ledger.per_second(now, span=3) == (2.0, 0.0, 1.0)
    assert ledger.latency_ms_per_second(now, span=3) == (200.0, 0.0, 50.0)
    assert ledger.total == 5  # every logical request is still counted
