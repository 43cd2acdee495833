"""Read-only views of the pipeline that the dashboard and reports display.

The runtime builds these from its own state and the store; widgets never read the store or
the feed themselves. All are plain frozen dataclasses so tests can build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlbdash.mlb.facts import InningLine, Linescore

# The linescore records are the facts' own (mlb/facts.py): one record, no copy.
__all__ = ["InningLine", "Linescore"]


@dataclass(frozen=True, slots=True)
class GameRow:
    """One row of the games panel."""

    game_pk: int
    official_date: str
    away: str
    home: str
    state: str  # Lifecycle value
    detailed_state: str
    reason: str | None
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None
    outs: int | None
    game_time: datetime | None  # scheduled first pitch, UTC
    double_header: str | None  # N, Y, S
    game_number: int | None
    last_update_at: datetime | None  # when mlbdash last stored a version
    timecode: str | None
    polls: int
    diff_updates: int
    full_updates: int
    versions: int
    findings: int  # open findings
    final_stored: bool
    away_name: str = ""  # the club's name ("Boston Red Sox"), for the filter
    home_name: str = ""


@dataclass(frozen=True, slots=True)
class StateChange:
    at: datetime
    state: str
    detailed_state: str
    source: str  # schedule or feed


@dataclass(frozen=True, slots=True)
class PollRecord:
    at: datetime
    kind: str  # feed, diff_patch, ...
    status: int | None
    latency_ms: float
    bytes_wire: int
    update: str | None  # what the poll did: diff, N versions / whole feed / nothing new / failed
    error: str | None


@dataclass(frozen=True, slots=True)
class VersionMark:
    """One stored version of a game, for the version strip: when and how it came."""

    timecode: str  # metaData.timeStamp of the version
    stored_at: datetime
    kind: str  # "diff" (a diffPatch block) or "full" (a whole feed)
    findings: int = 0  # findings last seen on this version (a finding seen again moves on)


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: int
    game_pk: int | None
    official_date: str | None
    matchup: str
    severity: str
    category: str
    rule: str
    path: str
    expected: str | None
    actual: str | None
    message: str
    status: str  # open, acknowledged, resolved, ignored
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    correction: str | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    rule: str
    key: str
    severity: str
    state: str  # pending, firing, resolved
    message: str
    since: datetime
    acknowledged: bool
    silenced_until: datetime | None


@dataclass(frozen=True, slots=True)
class CheckRow:
    name: str
    status: str  # ok, degraded, failing
    reason: str


@dataclass(frozen=True, slots=True)
class BudgetView:
    rate_per_s: float
    nominal_rate_per_s: float
    burst: int
    in_use: int
    waiting: int
    paused_until: datetime | None
    requests_per_s: tuple[float, ...]  # last 60 s, oldest first, for a sparkline
    throttled_total: int
    retries_total: int
    errors_total: int
    latency_ms: tuple[float, ...] = ()  # mean latency of each of the last 60 s, oldest first


@dataclass(frozen=True, slots=True)
class GameDetail:
    row: GameRow
    linescore: Linescore | None
    current_play: str | None  # "Bottom 7th, 1-2, 2 outs: Ohtani pops out to 3B"
    timeline: tuple[StateChange, ...]
    polls: tuple[PollRecord, ...]
    findings: tuple[FindingRow, ...]
    feed: dict[str, Any] | None  # the stored feed, for the tree browser
    versions: tuple[VersionMark, ...] = ()  # every stored version, oldest first


@dataclass(frozen=True, slots=True)
class VersionOp:
    """One operation of a diff block, for reading: ``value`` is a short text of the value
    (``from /path`` for copy and move, empty for remove)."""

    op: str
    path: str
    value: str


@dataclass(frozen=True, slots=True)
class VersionView:
    """One stored version of a game, as the game screen's time travel shows it."""

    game_pk: int
    number: int  # 1-based place among the game's stored versions
    count: int  # how many versions the game has stored
    timecode: str
    stored_at: datetime
    kind: str  # "diff" (a diffPatch block applied) or "full" (a whole feed)
    ops: tuple[VersionOp, ...]  # the diff's operations; empty for a whole feed
    linescore: Linescore | None
    current_play: str | None
    findings: tuple[FindingRow, ...]  # findings first seen on this version
    feed: dict[str, Any] | None  # the version, rebuilt from the archive


@dataclass(frozen=True, slots=True)
class DashboardSnapshot:
    """Everything the dashboard paints on mount; afterwards events keep it current."""

    league_dates: tuple[str, ...]
    api_url: str
    now: datetime
    games: tuple[GameRow, ...]
    findings: tuple[FindingRow, ...]
    finding_counts: dict[str, int] = field(default_factory=dict)  # by severity
    budget: BudgetView | None = None
    checks: tuple[CheckRow, ...] = ()
    alerts: tuple[AlertRow, ...] = ()
    coverage: float | None = 0.0  # None: some date's schedule was never read
