"""What the workers tell the rest of mlbdash: small frozen dataclasses named in the past tense.

Workers take an ``EventSink`` (any callable) and call it synchronously; the sink must not block.
The runtime fans events out to the store, the monitor and (through messages) the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mlbdash.ingest.views import GameRow


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime


EventSink = Callable[[Event], None]


def discard(_event: Event) -> None:
    """A sink that drops everything (for callers that do not care)."""


@dataclass(frozen=True, slots=True)
class RequestFinished(Event):
    """One logical request ended (after retries), from cache, coalesced or over the wire."""

    kind: str  # schedule, feed, diff_patch, timestamps, game_changes, game_status, teams
    url: str
    status: int | None  # HTTP status; None when no answer came (network error)
    latency_s: float
    bytes_wire: int
    bytes_decoded: int
    cache_hit: bool = False
    coalesced: bool = False
    not_modified: bool = False
    retries: int = 0
    error: str | None = None  # short reason when the request failed for good
    # The failure was mlbdash's own (a bug on the answer, or a stop that aborted it), not the
    # API's: it is logged like any failed request but says nothing of the API's reachability.
    internal: bool = False
    # The answering attempt alone (from the budget letting it go to the whole body), where
    # ``latency_s`` also holds the waits before it: the budget's queue, a Retry-After pause,
    # earlier attempts. None when no attempt was answered, or from cache.
    server_s: float | None = None

    @property
    def waited_s(self) -> float | None:
        """How long the request waited before its answering attempt (None: not answered)."""
        return None if self.server_s is None else max(0.0, self.latency_s - self.server_s)


@dataclass(frozen=True, slots=True)
class RequestRetried(Event):
    kind: str
    url: str
    attempt: int  # the attempt that failed, 1-based
    reason: str
    wait_s: float


@dataclass(frozen=True, slots=True)
class RequestGaveUp(Event):
    kind: str
    url: str
    attempts: int
    reason: str


@dataclass(frozen=True, slots=True)
class BudgetChanged(Event):
    """The request budget shrank after push-back, or recovered a step."""

    rate_per_s: float
    nominal_rate_per_s: float
    paused_until: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class FeedRefetched(Event):
    """The follower dropped its merged feed and fetched the whole feed again."""

    game_pk: int
    reason: str


@dataclass(frozen=True, slots=True)
class PushChanged(Event):
    """A game's push socket started (``by_push``) or stopped telling it of new versions."""

    game_pk: int
    by_push: bool
    reason: str


@dataclass(frozen=True, slots=True)
class GameUpdated(Event):
    """A poll of a game's feed ended: a new version stored (``update`` 'full' or 'diff'), or
    nothing new ('none').

    Carries the game's whole row (the record the dashboard shows), so no widget needs to read
    the feed and no one copies the row field by field.
    """

    row: GameRow
    update: str  # "full", "diff" or "none"
    operations: int = 0  # diffPatch operations this poll applied (0: whole feed or nothing new)

    @property
    def game_pk(self) -> int:
        return self.row.game_pk


@dataclass(frozen=True, slots=True)
class GameStateChanged(Event):
    game_pk: int
    old: str | None
    new: str
    detailed_state: str
    source: str  # "schedule" or "feed"


@dataclass(frozen=True, slots=True)
class IssueFound(Event):
    """A validation finding was raised or seen again."""

    game_pk: int | None
    rule: str
    severity: str  # error, warning, info
    category: str  # schema, consistency, cross-reference, freshness, drift
    path: str
    message: str
    occurrences: int
    new: bool


@dataclass(frozen=True, slots=True)
class AlertChanged(Event):
    """An alert moved between pending, firing and resolved (or was acknowledged/silenced)."""

    rule: str
    key: str  # what it is about: "" for global, a gamePk for per-game alerts
    severity: str
    state: str  # pending, firing, resolved
    message: str
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class HealthChanged(Event):
    check: str
    status: str  # ok, degraded, failing
    reason: str


@dataclass(frozen=True, slots=True)
class MetricsSampled(Event):
    """A once-a-second summary for the rate-limit panel and header."""

    requests_per_s: float
    budget_rate_per_s: float
    budget_nominal_per_s: float
    budget_in_use: int
    budget_waiting: int
    backoff_until: datetime | None
    retries_total: int
    throttled_total: int  # 429s seen
    errors_total: int
    coverage: float  # 0..1 over tracked dates
    degraded: float  # 0..1: share of due polls delayed by the budget


@dataclass(frozen=True, slots=True)
class WorkerHeartbeat(Event):
    """A long-lived worker is still going (sent every few seconds; the monitor watches)."""

    worker: str


@dataclass(frozen=True, slots=True)
class WorkerStopped(Event):
    """A long-lived worker ended: ``error`` is the short reason when it crashed, else None."""

    worker: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WriteFailed(Event):
    """A database write of the pipeline failed (``what``: versions, findings, requests, ...);
    the data is retried or named in the run's summary as not stored."""

    what: str
    error: str


@dataclass(frozen=True, slots=True)
class ScheduleGameUpdated(GameUpdated):
    """A game's row changed on a schedule read (first listed, status or score): a GameUpdated
    with ``update`` 'none' so displays repaint the row, but no feed poll, so the monitor does
    not count it as one (poll success and freshness come from feed polls only)."""
