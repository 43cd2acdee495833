"""Read-only views of the pipeline that the dashboard and reports display.

The runtime builds these from its own state and the store; widgets never read the store or
the feed themselves. All are plain frozen dataclasses so tests can build them by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

from mlbdash.mlb.facts import InningLine, Linescore

# The linescore records are the facts' own (mlb/facts.py): one record, no copy.
__all__ = ["InningLine", "Linescore"]


@dataclass(frozen=True, slots=True)
class GameRow:
    """A game as mlbdash shows it: one record for the games panel, the ``GameUpdated`` event,
    the dashboard's views, the run's summary and ``ingest --json`` (``as_dict``).

    Built in one place (``scheduler.views.game_row``); the summary overrides what the
    database durably holds (versions, final stored, last timecode, open findings).
    """

    game_pk: int
    official_date: str  # league date, YYYY-MM-DD
    away: str  # team abbreviation (mlb.facts.team_label)
    home: str
    state: str  # Lifecycle value, e.g. "live"
    detailed_state: str  # MLB's detailedState, e.g. "Delayed: Rain"
    reason: str | None = None
    away_score: int | None = None
    home_score: int | None = None
    inning: int | None = None
    inning_half: str | None = None  # "Top" / "Bottom" / "Middle" / "End"
    outs: int | None = None
    game_time: datetime | None = None  # scheduled first pitch, UTC
    double_header: str | None = None  # N, Y, S
    game_number: int | None = None
    last_update_at: datetime | None = None  # when mlbdash last stored a version
    timecode: str | None = None  # metaData.timeStamp of the last stored version
    polls: int = 0
    diff_updates: int = 0
    full_updates: int = 0
    versions: int = 0  # versions stored so far
    findings: int = 0  # open findings
    final_stored: bool = False
    away_name: str = ""  # the club's name ("Boston Red Sox"), for the filter
    home_name: str = ""
    archive_gaps: str | None = None  # the archive audit's gaps, None when it found none
    not_archived: int = 0  # versions before the first stored one (met mid-game), per the audit
    by_push: bool = False  # told of new versions by its push socket (else polled alone)

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON values (instants as ISO text), for ``ingest --json``."""
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


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
    update: (
        str | None
    )  # what the poll did: diff with N operations / whole feed / nothing new / failed
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


class NamedCheck(Protocol):
    """A health check's result as any part holds it (``CheckRow``, the monitor's own)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...


def api_trouble(checks: Iterable[NamedCheck]) -> str | None:
    """What keeps the pipeline from the API, cause and since when included, for the dashboard's
    header and the ``ingest`` progress line alike: the API itself (``api_reachable``) and a
    schedule that cannot be read, each named while it is not ok (the API first, as the likelier
    cause of both); None when both are fine."""
    by_name = {check.name: check for check in checks}
    named = (("API", by_name.get("api_reachable")), ("schedule", by_name.get("schedule")))
    troubles = [f"{what} {c.reason}" for what, c in named if c is not None and c.status != "ok"]
    return "; ".join(troubles) or None


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
    # Of each of the last 60 s, oldest first: the mean answer time of the requests answered
    # (their answering attempt alone), and the longest wait before an answering attempt (the
    # budget's queue, a Retry-After pause, earlier attempts).
    latency_ms: tuple[float, ...] = ()
    waited_ms: tuple[float, ...] = ()
    push_sockets: int | None = None  # push sockets open (games told of by push); None: push off


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
