"""The request ledger's per-second series: wire requests only, with the API's mean answer time
and the longest wait before an answering attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlbdash.ingest.events import GameUpdated, RequestFinished, ScheduleGameUpdated
from mlbdash.ingest.scheduler.summary import RequestLedger
from mlbdash.ingest.views import GameRow

T0 = datetime(2026, 5, 1, 23, 0, tzinfo=UTC)


def _request(
    second: int,
    latency_s: float,
    server_s: float | None = None,
    *,
    cache_hit: bool = False,
    coalesced: bool = False,
    retries: int = 0,
) -> RequestFinished:
    """Answered after ``latency_s``, its answering attempt taking ``server_s`` of it (all of
    it when not given)."""
    return RequestFinished(
        T0 + timedelta(seconds=second),
        "feed",
        "/api/v1.1/game/1/feed/live",
        200,
        latency_s,
        100,
        100,
        cache_hit=cache_hit,
        coalesced=coalesced,
        retries=retries,
        server_s=latency_s if server_s is None else server_s,
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


def test_the_waits_before_the_answering_attempt_are_not_the_apis_answer_time() -> None:
    ledger = RequestLedger()
    ledger.handle(_request(0, 0.2))
    # Waited 9.6 s for the budget (a Retry-After pause), then answered in 0.1 s.
    ledger.handle(_request(0, 9.7, 0.1))
    # Retried twice: 30 s in all, the answering attempt 0.3 s of it.
    ledger.handle(_request(1, 30.0, 0.3, retries=2))
    # No answer at all: counted for the rate, no answer time.
    now = T0 + timedelta(seconds=1)
    ledger.handle(
        RequestFinished(now, "feed", "/api/v1.1/game/1/feed/live", None, 5.0, 0, 0, error="reset")
    )
    assert ledger.per_second(now, span=2) == (2.0, 2.0)
    assert ledger.latency_ms_per_second(now, span=2) == pytest.approx((150.0, 300.0))
    assert ledger.waited_ms_per_second(now, span=2) == pytest.approx((9600.0, 29700.0))
