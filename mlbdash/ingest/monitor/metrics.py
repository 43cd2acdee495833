"""Rolling metrics of the ingest pipeline, fed by events, read as snapshots.

``Metrics.handle`` is called for every event and only bumps counters in the current bucket;
``Metrics.snapshot(window_s)`` does the summing when the UI, the alert rules or a report ask.
Buckets are keyed by the clock's UTC instant (``clock.now()``), so minute buckets are calendar
minutes and roll up into ``metric_rollups`` under their ISO minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from mlbdash.ingest.events import (
    BudgetChanged,
    Event,
    FeedRefetched,
    GameStateChanged,
    GameUpdated,
    IssueFound,
    PushChanged,
    RequestFinished,
    RequestGaveUp,
    RequestRetried,
    ScheduleGameUpdated,
)
from mlbdash.ingest.monitor.games import GameLedger, request_failed
from mlbdash.ingest.monitor.windows import (
    Distribution,
    Labels,
    RollingWindows,
    kind_labels,
    labels,
)
from mlbdash.mlb.clock import Clock

WINDOWS: dict[str, float] = {"1m": 60.0, "5m": 300.0, "1h": 3600.0}


class BudgetState(Protocol):
    """What the request budget reports about itself (a snapshot; attributes or properties)."""

    @property
    def rate_per_s(self) -> float: ...
    @property
    def nominal_rate_per_s(self) -> float: ...
    @property
    def in_use(self) -> int: ...
    @property
    def waiting(self) -> int: ...
    @property
    def paused_until(self) -> datetime | None: ...


BudgetProbe = Callable[[], BudgetState]


@dataclass(frozen=True, slots=True)
class Latency:
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float
    count: int


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """The pipeline over the last ``window_s`` clock seconds (totals are since start)."""

    at: datetime
    window_s: float
    requests: int  # every logical request, wire, cache and coalesced
    requests_per_s: float  # over the wire only: what the budget pays for
    wire_requests: int
    errors: int  # failed wire requests
    error_rate: float  # errors / wire_requests (0 when there were none)
    requests_by_kind: dict[str, int]
    requests_by_status: dict[str, int]  # "200", "304", "429", "none" (no answer)
    latency: Latency | None
    latency_by_kind: dict[str, Latency]
    bytes_wire: int
    bytes_decoded: int
    cache_hits: int
    coalesced: int
    diff_updates: int
    full_updates: int
    unchanged_polls: int
    retries: int
    throttled: int  # 429s seen, retried or final
    gave_up: int
    refetches: int
    findings_by_severity: dict[str, int]
    budget_rate_per_s: float | None
    budget_nominal_per_s: float | None
    budget_in_use: int
    budget_waiting: int  # requests queued for the budget
    budget_paused_until: datetime | None
    budget_use: float | None  # attempts (wire requests + retries) per second over the rate
    freshness_lag: Latency | None  # stored-at minus server timecode of new versions
    freshness_lag_by_game: dict[int, float]  # live games, newest version's lag
    live_games: int
    requests_per_s_series: tuple[float, ...] = ()  # last 60 s, oldest first
    retries_total: int = 0
    throttled_total: int = 0
    errors_total: int = 0
    requests_total: int = 0


@dataclass
class _Budget:
    rate_per_s: float | None = None
    nominal_rate_per_s: float | None = None
    paused_until: datetime | None = None


@dataclass
class ApiContact:
    """When the API last answered, and since when it has not (no answer or a 5xx)."""

    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str | None = None
    failing_since: datetime | None = None  # first failure after the last success

    def handle(self, event: RequestFinished) -> None:
        """Take one request that went over the wire (after its retries)."""
        if event.internal:
            return  # mlbdash's own failure says nothing about the API
        # Reachability: any answer below 500 shows the API is there (a 404 or 429 is the
        # server speaking); no answer or a 5xx from it or its CDN does not.
        if event.status is None or event.status >= 500:
            self.last_failure_at = event.at
            self.last_failure = event.error or f"HTTP {event.status}"
            if self.failing_since is None:
                # Since the failed request began: its retries were already failing.
                began = event.at - timedelta(seconds=max(0.0, event.latency_s))
                if self.last_success_at is not None:
                    began = max(began, self.last_success_at)
                self.failing_since = began
        else:
            self.last_success_at = event.at
            self.failing_since = None


@dataclass
class Metrics:
    clock: Clock
    budget_probe: BudgetProbe | None = None
    games: GameLedger = field(default_factory=GameLedger)
    api: ApiContact = field(default_factory=ApiContact)
    windows: RollingWindows = field(default_factory=RollingWindows)
    _budget: _Budget = field(default_factory=_Budget)

    def _now_s(self) -> float:
        return self.clock.now().timestamp()

    def handle(self, event: Event) -> None:
        """Count one event. Cheap: a few dict updates."""
        now_s = self._now_s()
        w = self.windows
        if isinstance(event, RequestFinished):
            self._request(now_s, event)
        elif isinstance(event, RequestRetried):
            w.add(now_s, "retries", kind_labels(event.kind))
            if "429" in event.reason:
                w.add(now_s, "throttled", kind_labels(event.kind))
        elif isinstance(event, RequestGaveUp):
            w.add(now_s, "gave_up", kind_labels(event.kind))
        elif isinstance(event, BudgetChanged):
            self._budget = _Budget(event.rate_per_s, event.nominal_rate_per_s, event.paused_until)
            w.add(now_s, "budget_changes")
        elif isinstance(event, FeedRefetched):
            w.add(now_s, "refetches")
        elif isinstance(event, GameUpdated) and not isinstance(event, ScheduleGameUpdated):
            w.add(now_s, "updates", labels(update=event.update))
            lag = self.games.handle(event)
            if lag is not None:
                w.observe(now_s, "freshness_lag_s", (), lag)
        elif isinstance(event, (GameStateChanged, PushChanged)):
            self.games.handle(event)
        elif isinstance(event, IssueFound) and event.new:
            w.add(now_s, "findings", labels(severity=event.severity))

    def _request(self, now_s: float, event: RequestFinished) -> None:
        w = self.windows
        status = "none" if event.status is None else str(event.status)
        source = "cache" if event.cache_hit else "coalesced" if event.coalesced else "wire"
        w.add(now_s, "requests", _request_labels(event.kind, status, source))
        self.games.handle(event)
        if source == "cache":
            w.add(now_s, "cache_hits", kind_labels(event.kind))
            return
        if source == "coalesced":
            return
        kind = kind_labels(event.kind)
        w.add(now_s, "wire_requests")
        w.observe(now_s, "latency_s", kind, event.latency_s)
        # Kept apart from the per-kind series so overall percentiles need no merging.
        w.observe(now_s, "latency_all_s", (), event.latency_s)
        w.add(now_s, "bytes_wire", kind, event.bytes_wire)
        w.add(now_s, "bytes_decoded", kind, event.bytes_decoded)
        if event.status == 429:
            w.add(now_s, "throttled", kind)
        if request_failed(event):
            w.add(now_s, "errors", kind)
        self.api.handle(event)

    def snapshot(self, window_s: float = 60.0, *, detail: bool = True) -> MetricsSnapshot:
        """Everything over the last ``window_s`` seconds (60, 300 and 3600 are the usual).

        ``detail=False`` skips the latency and lag distributions and the per-game lags
        (left None/empty): the cheap form the once-a-second alert evaluation uses.
        """
        now = self.clock.now()
        now_s = now.timestamp()
        counters = self.windows.counters(now_s, window_s)
        dists = self.windows.distributions(now_s, window_s) if detail else {}

        def total(name: str) -> int:
            return round(sum(v for (n, _), v in counters.items() if n == name))

        def by(name: str, label: str) -> dict[str, int]:
            out: dict[str, int] = {}
            for (n, pairs), value in counters.items():
                if n == name:
                    key = dict(pairs).get(label, "")
                    out[key] = out.get(key, 0) + round(value)
            return out

        wire = total("wire_requests")
        errors = total("errors")
        updates = by("updates", "update")
        latency_by_kind = {
            dict(pairs).get("kind", ""): _latency(d)
            for (n, pairs), d in dists.items()
            if n == "latency_s"
        }
        rate, nominal, in_use, waiting, paused = self._budget_now()
        per_s = wire / window_s if window_s > 0 else 0.0
        live = self.games.live_games(now) if detail else []
        lag_dist = dists.get(("freshness_lag_s", ()))
        all_dist = dists.get(("latency_all_s", ()))
        return MetricsSnapshot(
            at=now,
            window_s=window_s,
            requests=total("requests"),
            requests_per_s=per_s,
            wire_requests=wire,
            errors=errors,
            error_rate=errors / wire if wire else 0.0,
            requests_by_kind=by("requests", "kind"),
            requests_by_status=by("requests", "status"),
            latency=_latency(all_dist) if all_dist else None,
            latency_by_kind=latency_by_kind,
            bytes_wire=total("bytes_wire"),
            bytes_decoded=total("bytes_decoded"),
            cache_hits=total("cache_hits"),
            coalesced=by("requests", "source").get("coalesced", 0),
            diff_updates=updates.get("diff", 0),
            full_updates=updates.get("full", 0),
            unchanged_polls=updates.get("none", 0),
            retries=total("retries"),
            throttled=total("throttled"),
            gave_up=total("gave_up"),
            refetches=total("refetches"),
            findings_by_severity=by("findings", "severity"),
            budget_rate_per_s=rate,
            budget_nominal_per_s=nominal,
            budget_in_use=in_use,
            budget_waiting=waiting,
            budget_paused_until=paused,
            budget_use=(wire + total("retries")) / window_s / rate if rate and window_s else None,
            freshness_lag=_latency(lag_dist) if lag_dist else None,
            freshness_lag_by_game={g.game_pk: g.lag_s for g in live if g.lag_s is not None},
            live_games=len(live) if detail else self.games.live_count(),
            requests_per_s_series=self.windows.per_second(now_s, "wire_requests", 60)
            if detail
            else (),
            retries_total=round(self.windows.total("retries")),
            throttled_total=round(self.windows.total("throttled")),
            errors_total=round(self.windows.total("errors")),
            requests_total=round(self.windows.total("requests")),
        )

    def _budget_now(self) -> tuple[float | None, float | None, int, int, datetime | None]:
        if self.budget_probe is not None:
            state = self.budget_probe()
            return (
                state.rate_per_s,
                state.nominal_rate_per_s,
                state.in_use,
                state.waiting,
                state.paused_until,
            )
        b = self._budget
        return b.rate_per_s, b.nominal_rate_per_s, 0, 0, b.paused_until


def _latency(d: Distribution) -> Latency:
    return Latency(d.p50, d.p95, d.p99, d.high, d.count)


@lru_cache(maxsize=1024)
def _request_labels(kind: str, status: str, source: str) -> Labels:
    return labels(kind=kind, status=status, source=source)
