"""What a daily report holds: frozen dataclasses, filled by ``build``, shown by ``render``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from mlbdash.ingest.monitor.sla_db import StoredSla

# How a game ended up on the report's date, in the order the report lists them.
OUTCOMES: tuple[str, ...] = ("final", "postponed", "cancelled", "suspended", "unfinished")


@dataclass(frozen=True, slots=True)
class GameLine:
    """One game as it stands on the report's date.

    ``outcome`` is one of OUTCOMES; ``state`` the Lifecycle value the database holds for it
    there. ``note`` names a makeup or resume date when the schedule gave one.
    """

    game_pk: int
    away: str
    home: str
    outcome: str
    state: str | None
    detailed_state: str | None
    reason: str | None
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None
    first_pitch: datetime | None
    final_stored: bool
    versions: int
    polls: int
    note: str | None

    @property
    def matchup(self) -> str:
        return f"{self.away} @ {self.home}"

    @property
    def score(self) -> str | None:
        """``3-1`` (away first) when both scores are known."""
        if self.away_score is None or self.home_score is None:
            return None
        return f"{self.away_score}-{self.home_score}"


@dataclass(frozen=True, slots=True)
class CoverageLine:
    """Final games stored over games the schedule says were played to a final on this date."""

    scheduled: int
    not_played: int
    due_final: int
    final_stored: int
    missing: tuple[int, ...]
    archive_gaps: tuple[int, ...] = ()  # final stored, but the archive audit found gaps

    @property
    def ratio(self) -> float | None:
        return self.final_stored / self.due_final if self.due_final else None


@dataclass(frozen=True, slots=True)
class RuleLine:
    """The findings of one validation rule on this date."""

    rule: str
    severity: str  # the worst severity among them
    category: str
    findings: int
    occurrences: int
    by_status: dict[str, int]


@dataclass(frozen=True, slots=True)
class StatusLine:
    """The findings in one review status, by severity."""

    status: str
    findings: int
    by_severity: dict[str, int]


@dataclass(frozen=True, slots=True)
class AlertLine:
    """An alert episode that fired during the league day (``resolved_at`` None: still firing)."""

    id: int
    rule: str
    key: str
    severity: str
    state: str
    message: str | None
    fired_at: datetime
    resolved_at: datetime | None
    duration_s: float  # until resolved, or until the report's as-of time
    acknowledged: bool


@dataclass(frozen=True, slots=True)
class RequestLine:
    """Logged requests of one kind (or all kinds: ``kind`` "all").

    ``http_429`` counts requests whose final answer was 429; retried 429s show in ``retries``.
    """

    kind: str
    requests: int
    errors: int
    retries: int
    http_429: int
    cache_hits: int
    bytes_wire: int
    bytes_decoded: int

    @property
    def ratio(self) -> float | None:
        """Decoded over wire bytes (how much compression saved); None with no wire bytes."""
        return self.bytes_decoded / self.bytes_wire if self.bytes_wire else None


@dataclass(frozen=True, slots=True)
class DailyReport:
    """The morning review of one league date, from the database alone.

    ``tracked`` is False when the database holds no game for the date; ``off_day`` True when
    a stored schedule answer for the date listed no games. Requests and alerts are those of
    the league day (``window_start`` to ``window_end``: 06:00 ET to 06:00 ET), findings those
    recorded under the date, the SLA that of the date's games.
    """

    official_date: date
    generated_at: datetime
    window_start: datetime
    window_end: datetime
    tracked: bool
    off_day: bool
    games: tuple[GameLine, ...]
    coverage: CoverageLine
    sla: StoredSla
    rules: tuple[RuleLine, ...]
    statuses: tuple[StatusLine, ...]
    alerts: tuple[AlertLine, ...]
    requests: RequestLine
    requests_by_kind: tuple[RequestLine, ...] = field(default=())
    throttled: int | None = None  # 429s incl. retried ones, from the metric rollups if kept

    def games_in(self, outcome: str) -> tuple[GameLine, ...]:
        return tuple(g for g in self.games if g.outcome == outcome)
