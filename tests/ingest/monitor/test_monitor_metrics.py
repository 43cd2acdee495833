from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from monitor_helpers import game_updated, request

from mlbdash.ingest.events import (
    BudgetChanged,
    GameStateChanged,
    IssueFound,
    RequestGaveUp,
    RequestRetried,
)
from mlbdash.ingest.monitor.metrics import Metrics
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)


def finding(at: datetime, severity: str, *, new: bool = True) -> IssueFound:
    return IssueFound(
        at=at,
        game_pk=746139,
        rule="score_matches_linescore",
        severity=severity,
        category="consistency",
        path="liveData/linescore",
        message="runs differ",
        occurrences=1,
        new=new,
    )


async def test_requests_by_kind_status_latency_bytes_and_errors() -> None:
    clock = ManualClock(START)
    m = Metrics(clock)
    # 60 wire requests, at most 15 a second: every second's sample reservoir (16) keeps them
    # all, so the percentiles are exact.
    for i in range(58):
        if i and i % 15 == 0:
            await clock.advance(1)
        m.handle(request(clock.now(), latency_s=0.010 * (i + 1)))
    m.handle(request(clock.now(), kind="diff_patch", status=503, latency_s=2.0))
    m.handle(request(clock.now(), status=None, error="connect timeout", latency_s=5.0))
    m.handle(request(clock.now(), cache_hit=True, latency_s=0.0))
    await clock.advance(1)
    snap = m.snapshot(60)
    assert snap.requests == 61
    assert snap.wire_requests == 60
    assert snap.cache_hits == 1
    assert snap.errors == 2
    assert snap.error_rate == pytest.approx(2 / 60)
    assert snap.requests_by_kind == {"feed": 60, "diff_patch": 1}
    assert snap.requests_by_status == {"200": 59, "503": 1, "none": 1}
    assert snap.requests_per_s == pytest.approx(1.0)
    assert snap.bytes_wire == 60 * 1000
    assert snap.bytes_decoded == 60 * 5000
    assert snap.latency is not None
    assert snap.latency.p50_s == pytest.approx(0.30)
    assert snap.latency.p95_s == pytest.approx(0.57)
    assert snap.latency.p99_s == 5.0
    assert snap.latency.max_s == 5.0
    assert snap.latency_by_kind["diff_patch"].p50_s == 2.0
    assert m.api.failing_since is not None  # the last wire answer was a failure


async def test_retries_429s_give_ups_findings_and_updates() -> None:
    clock = ManualClock(START)
    m = Metrics(clock)
    now = clock.now()
    m.handle(RequestRetried(now, "feed", "u", 1, "HTTP 429 Too Many Requests", 1.0))
    m.handle(RequestRetried(now, "feed", "u", 2, "read timeout", 2.0))
    m.handle(request(now, status=429, error="HTTP 429"))
    m.handle(RequestGaveUp(now, "feed", "u", 5, "HTTP 429"))
    m.handle(finding(now, "error"))
    m.handle(finding(now, "warning"))
    m.handle(finding(now, "warning", new=False))  # seen again: not a new finding
    m.handle(game_updated(now, update="diff"))
    m.handle(game_updated(now, update="full"))
    m.handle(game_updated(now, update="none"))
    snap = m.snapshot(300)
    assert snap.retries == 2
    assert snap.throttled == 2
    assert snap.gave_up == 1
    assert snap.findings_by_severity == {"error": 1, "warning": 1}
    assert (snap.diff_updates, snap.full_updates, snap.unchanged_polls) == (1, 1, 1)
    assert snap.throttled_total == 2 and snap.retries_total == 2


async def test_freshness_lag_per_live_game() -> None:
    clock = ManualClock(START)
    m = Metrics(clock)
    m.handle(game_updated(clock.now(), game_pk=1, lag_s=3))
    m.handle(game_updated(clock.now(), game_pk=2, lag_s=12))
    m.handle(game_updated(clock.now(), game_pk=3, lag_s=4, state="final"))
    snap = m.snapshot(60)
    assert snap.live_games == 2
    assert snap.freshness_lag_by_game == {1: 3.0, 2: 12.0}
    assert snap.freshness_lag is not None and snap.freshness_lag.max_s == 12.0
    m.handle(GameStateChanged(clock.now(), 2, "live", "final", "Final", "schedule"))
    assert m.snapshot(60).freshness_lag_by_game == {1: 3.0}


@dataclass(frozen=True)
class FakeBudget:
    rate_per_s: float = 4.0
    nominal_rate_per_s: float = 8.0
    in_use: int = 3
    waiting: int = 7
    paused_until: datetime | None = None


async def test_budget_from_events_and_from_a_probe() -> None:
    clock = ManualClock(START)
    m = Metrics(clock)
    pause = START + timedelta(seconds=30)
    m.handle(BudgetChanged(clock.now(), 2.5, 5.0, pause, "429"))
    for _ in range(120):
        m.handle(request(clock.now()))
    for attempt in (1, 2, 3):  # retried attempts spend the budget too
        m.handle(RequestRetried(clock.now(), "feed", "u", attempt, "HTTP 503", 1.0))
    snap = m.snapshot(60)
    assert (snap.budget_rate_per_s, snap.budget_nominal_per_s) == (2.5, 5.0)
    assert snap.budget_paused_until == pause
    assert snap.budget_use == pytest.approx((123 / 60) / 2.5)
    probed = Metrics(clock, budget_probe=FakeBudget).snapshot(60)
    assert (probed.budget_rate_per_s, probed.budget_in_use, probed.budget_waiting) == (4.0, 3, 7)
