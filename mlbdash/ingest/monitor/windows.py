"""Rolling windows over a stream of counters and samples, in bounded memory.

At 1,000 live games the monitor sees a few hundred events a second, so nothing here keeps every
sample: counts go into per-second buckets (the last five minutes) and per-minute buckets (the
last hour), and each bucket keeps at most a fixed number of samples per series, chosen by
reservoir sampling, for percentiles. A window of up to ``SECOND_SPAN`` seconds is read from the
second buckets; a longer one from the minute buckets, so it is minute-granular.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, repeat

# A series is a metric name plus sorted (label, value) pairs.
Labels = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, Labels]

SECOND_SPAN = 300
MINUTE_SPAN = 60
# Enough for a p99 over 5 min (4,800 samples) without sorting tens of thousands each second.
SAMPLES_PER_SECOND_BUCKET = 16
SAMPLES_PER_MINUTE_BUCKET = 256


def labels(**pairs: str) -> Labels:
    """Labels in a canonical order, so equal label sets make equal keys."""
    return tuple(sorted(pairs.items()))


@lru_cache(maxsize=256)
def kind_labels(kind: str) -> Labels:
    """``labels(kind=kind)``, cached: it is made for every request event."""
    return (("kind", kind),)


def format_labels(pairs: Labels) -> str:
    """``kind=feed,status=200``: the text stored in ``metric_rollups.labels``."""
    return ",".join(f"{k}={v}" for k, v in pairs)


@dataclass(slots=True)
class SampleSet:
    """A bounded uniform sample of the values seen (reservoir sampling) with exact aggregates."""

    limit: int
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    values: list[float] = field(default_factory=list)

    def add(self, value: float, rng: random.Random) -> None:
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if len(self.values) < self.limit:
            self.values.append(value)
            return
        slot = rng.randrange(self.count)
        if slot < self.limit:
            self.values[slot] = value


@dataclass(slots=True)
class Bucket:
    start: int  # bucket start, whole clock seconds
    counters: dict[SeriesKey, float] = field(default_factory=dict)
    samples: dict[SeriesKey, SampleSet] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Aggregates of the samples of one series over a window."""

    count: int
    total: float
    low: float
    high: float
    p50: float
    p95: float
    p99: float


def percentile(values: Iterable[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    # The smallest value with at least ``share`` of all values at or below it; the epsilon
    # keeps 0.95 * 100 (95.00000000000001 in floating point) at rank 95.
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def summarize(sets: Iterable[SampleSet]) -> Distribution | None:
    """Merge bucket samples into one distribution; None when nothing was seen.

    Each bucket's reservoir stands for ``count`` values, so values are weighted by how many
    each represents; otherwise a busy second would count as much as a quiet one.
    """
    pairs: list[tuple[float, float]] = []
    count = 0
    total = 0.0
    low = math.inf
    high = -math.inf
    for s in sets:
        if not s.count:
            continue
        count += s.count
        total += s.total
        low = min(low, s.low)
        high = max(high, s.high)
        pairs.extend(zip(s.values, repeat(s.count / len(s.values))))
    if not count:
        return None
    pairs.sort()
    running = list(accumulate(w for _, w in pairs))
    whole = running[-1]
    last = len(pairs) - 1

    def at(q: float) -> float:
        return pairs[min(bisect_left(running, q * whole - 1e-9), last)][0]

    return Distribution(count, total, low, high, at(0.50), at(0.95), at(0.99))


class RollingWindows:
    """Counters and samples over the last hour, bucketed by clock second and minute.

    ``now_s`` arguments are whole or fractional seconds on the clock's monotonic counter.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self._seconds: deque[Bucket] = deque()
        self._minutes: deque[Bucket] = deque()
        self._totals: dict[SeriesKey, float] = {}
        self._current_second: int | None = None
        # Seeded so a test replaying the same stream sees the same percentiles.
        self._rng = random.Random(seed)

    def add(self, now_s: float, name: str, pairs: Labels = (), value: float = 1.0) -> None:
        """Add ``value`` to a counter."""
        key = (name, pairs)
        for bucket in self._current(now_s):
            bucket.counters[key] = bucket.counters.get(key, 0.0) + value
        self._totals[key] = self._totals.get(key, 0.0) + value

    def observe(self, now_s: float, name: str, pairs: Labels, value: float) -> None:
        """Record one sample (a latency, a lag) of a series."""
        key = (name, pairs)
        second, minute = self._current(now_s)
        for bucket, limit in (
            (second, SAMPLES_PER_SECOND_BUCKET),
            (minute, SAMPLES_PER_MINUTE_BUCKET),
        ):
            sample = bucket.samples.get(key)
            if sample is None:
                sample = bucket.samples[key] = SampleSet(limit)
            sample.add(value, self._rng)

    def total(self, name: str, pairs: Labels | None = None) -> float:
        """Everything counted since start (all label sets when ``pairs`` is None)."""
        if pairs is not None:
            return self._totals.get((name, pairs), 0.0)
        return sum(v for (n, _), v in self._totals.items() if n == name)

    def totals(self) -> dict[SeriesKey, float]:
        return dict(self._totals)

    def buckets(self, now_s: float, window_s: float) -> list[Bucket]:
        """The buckets that make up the last ``window_s`` seconds (current one included)."""
        self._expire(now_s)
        if window_s <= SECOND_SPAN:
            first = math.floor(now_s) - math.ceil(window_s) + 1
            return [b for b in self._seconds if b.start >= first]
        first_minute = (math.floor(now_s) // 60 - math.ceil(window_s / 60) + 1) * 60
        return [b for b in self._minutes if b.start >= first_minute]

    def counters(self, now_s: float, window_s: float) -> dict[SeriesKey, float]:
        out: dict[SeriesKey, float] = {}
        for bucket in self.buckets(now_s, window_s):
            for key, value in bucket.counters.items():
                out[key] = out.get(key, 0.0) + value
        return out

    def distributions(self, now_s: float, window_s: float) -> dict[SeriesKey, Distribution]:
        grouped: dict[SeriesKey, list[SampleSet]] = {}
        for bucket in self.buckets(now_s, window_s):
            for key, sample in bucket.samples.items():
                grouped.setdefault(key, []).append(sample)
        out: dict[SeriesKey, Distribution] = {}
        for key, sets in grouped.items():
            dist = summarize(sets)
            if dist is not None:
                out[key] = dist
        return out

    def per_second(self, now_s: float, name: str, seconds: int) -> tuple[float, ...]:
        """Counter ``name`` (all labels) in each of the last ``seconds`` seconds, oldest first."""
        self._expire(now_s)
        end = math.floor(now_s)
        by_start = {b.start: b for b in self._seconds if b.start > end - seconds}
        series: list[float] = []
        for start in range(end - seconds + 1, end + 1):
            bucket = by_start.get(start)
            if bucket is None:
                series.append(0.0)
                continue
            series.append(sum(v for (n, _), v in bucket.counters.items() if n == name))
        return tuple(series)

    def minute(self, start_s: int) -> Bucket | None:
        """The minute bucket starting at ``start_s`` (a multiple of 60), if still kept."""
        for bucket in self._minutes:
            if bucket.start == start_s:
                return bucket
        return None

    def _current(self, now_s: float) -> tuple[Bucket, Bucket]:
        second = math.floor(now_s)
        if second == self._current_second and self._seconds and self._minutes:
            # The hot path: most events land in the second the previous one did.
            return self._seconds[-1], self._minutes[-1]
        minute = second - second % 60
        self._expire(now_s)
        if not self._seconds or self._seconds[-1].start < second:
            self._seconds.append(Bucket(second))
        if not self._minutes or self._minutes[-1].start < minute:
            self._minutes.append(Bucket(minute))
        self._current_second = second
        return self._seconds[-1], self._minutes[-1]

    def _expire(self, now_s: float) -> None:
        second = math.floor(now_s)
        while self._seconds and self._seconds[0].start <= second - SECOND_SPAN:
            self._seconds.popleft()
        while self._minutes and self._minutes[0].start <= second - 60 * (MINUTE_SPAN + 1):
            self._minutes.popleft()
