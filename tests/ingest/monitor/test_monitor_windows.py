from __future__ import annotations

import pytest

from mlbdash.ingest.monitor.windows import (
    SAMPLES_PER_SECOND_BUCKET,
    RollingWindows,
    labels,
)

T0 = 1_719_853_200.0  # 2024-07-01T17:00:00Z


def test_counts_leave_the_window_as_time_passes() -> None:
    w = RollingWindows()
    w.add(T0, "requests", labels(kind="feed"))
    w.add(T0 + 30, "requests", labels(kind="feed"), 2)
    assert w.counters(T0 + 30, 60)[("requests", (("kind", "feed"),))] == 3
    # At T0+60 the first second (T0) is 61 s old: out of a 1 min window, still in 5 min.
    assert w.counters(T0 + 60, 60)[("requests", (("kind", "feed"),))] == 2
    assert w.counters(T0 + 60, 300)[("requests", (("kind", "feed"),))] == 3
    assert w.counters(T0 + 400, 300) == {}
    # The hour window is read from minute buckets.
    assert w.counters(T0 + 400, 3600)[("requests", (("kind", "feed"),))] == 3
    assert w.counters(T0 + 3 * 3600, 3600) == {}
    assert w.total("requests") == 3


def test_percentiles_over_a_window_weight_busy_seconds() -> None:
    w = RollingWindows(seed=1)
    # One busy second with 1,000 fast samples (kept as a reservoir of 64) and one slow sample.
    for i in range(1000):
        w.observe(T0, "latency_s", (), 0.1 + (i % 10) / 1000)
    w.observe(T0 + 1, "latency_s", (), 5.0)
    dist = w.distributions(T0 + 1, 60)[("latency_s", ())]
    assert dist.count == 1001
    assert dist.high == 5.0
    assert dist.low == pytest.approx(0.1)
    assert 0.1 <= dist.p50 <= 0.11
    assert dist.p95 <= 0.11  # the lone slow sample is 0.1% of the traffic, not half
    assert dist.total == pytest.approx(sum(0.1 + (i % 10) / 1000 for i in range(1000)) + 5.0)


def test_memory_stays_bounded() -> None:
    w = RollingWindows()
    for i in range(20_000):
        w.observe(T0 + i / 100, "latency_s", (), float(i))
    buckets = w.buckets(T0 + 200, 300)
    assert all(
        len(b.samples[("latency_s", ())].values) <= SAMPLES_PER_SECOND_BUCKET for b in buckets
    )


def test_per_second_series_fills_gaps_with_zero() -> None:
    w = RollingWindows()
    w.add(T0, "wire_requests")
    w.add(T0 + 2, "wire_requests", (), 3)
    assert w.per_second(T0 + 2, "wire_requests", 4) == (0.0, 1.0, 0.0, 3.0)


def test_the_hour_window_reads_minute_buckets() -> None:
    w = RollingWindows(seed=3)
    # 40 minutes of one sample a second: 0.1 s, except one minute at 2.0 s.
    for second in range(40 * 60):
        slow = 20 * 60 <= second < 21 * 60
        w.observe(T0 + second, "latency_s", (), 2.0 if slow else 0.1)
    now = T0 + 40 * 60 - 1
    hour = w.distributions(now, 3600)[("latency_s", ())]
    assert hour.count == 2400
    assert (hour.p50, hour.p95, hour.p99) == (0.1, 0.1, 2.0)
    five = w.distributions(now, 300)[("latency_s", ())]
    assert five.count == 300 and five.high == 0.1
