"""The request ledger's per-second series: wire requests only, with their mean latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlbdash.ingest.events import GameUpdated, RequestFinished, ScheduleGameUpdated
from mlbdash.ingest.scheduler.summary import RequestLedger
from mlbdash.ingest.views import GameRow

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


def _updated(
    second: int, update: str, versions: int, *, schedule: bool = False, operations: int = 0
) -> GameUpdated:
    kind = ScheduleGameUpdated if schedule else GameUpdated
    row = GameRow(1, "2026-05-01", "AWY", "HOM", "live", "In Progress", versions=versions, polls=1)
    return kind(T0 + timedelta(seconds=second), row, update, operations)


def test_poll_history_says_what_each_poll_did() -> None:
    ledger = RequestLedger()
    steps: list[RequestFinished | GameUpdated] = [
        _request(0, 0.1),
        _updated(0, "full", 1),
        _request(10, 0.1),
        _updated(10, "diff", 4, operations=17),
        _request(15, 0.1),
        _updated(15, "diff", 5, operations=1),
        _request(20, 0.1),
        _updated(20, "none", 5),
        # A poll that filled a gap: the version list and a step before the present's diff.
        RequestFinished(T0, "timestamps", "/api/v1.1/game/1/feed/live/timestamps", 200, 0.1, 1, 1),
        RequestFinished(T0, "diff_patch", "/api/v1.1/game/1/feed/live/diffPatch", 200, 0.1, 1, 1),
        _request(22, 0.1),
        _updated(22, "diff", 7, operations=3),
        _updated(25, "none", 4, schedule=True),  # a schedule read: no poll of the feed
        RequestFinished(
            T0,
            "diff_patch",
            "/api/v1.1/game/1/feed/live/diffPatch",
            503,
            0.1,
            0,
            0,
            error="HTTP 503",
        ),
    ]
    for event in steps:
        ledger.handle(event)
    assert [p.update for p in ledger.polls_of(1)] == [
        "whole feed",
        "3 diffs, 17 operations",
        "diff with 1 operation",
        "nothing new",
        "version list",
        "catch-up step",
        "2 diffs, 3 operations",
        "failed",
    ]


def test_a_retried_request_counts_for_the_rate_but_its_waits_are_not_latency() -> None:
    ledger = RequestLedger()
    ledger.handle(_request(0, 0.2))
    ledger.handle(
        RequestFinished(T0, "feed", "/api/v1.1/game/1/feed/live", 200, 30.0, 1, 1, retries=2)
    )
    assert ledger.per_second(T0, span=1) == (2.0,)
    assert ledger.latency_ms_per_second(T0, span=1) == (200.0,)
