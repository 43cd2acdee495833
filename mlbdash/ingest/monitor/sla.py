"""Service levels per tracked league date: poll success, live freshness and coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlbdash.ingest.monitor.games import FINAL, WONT_FINISH, DateTotals
from mlbdash.ingest.monitor.rules import GameCoverage, coverage_gap

POLL_SUCCESS_GOAL = 0.99
FRESHNESS_GOAL = 0.99
COVERAGE_GOAL = 1.0


@dataclass(frozen=True, slots=True)
class SlaReport:
    """Figures are None when there is nothing yet to measure (no polls, no live time...)."""

    official_date: str
    polls: int
    polls_failed: int
    poll_success: float | None
    live_s: float
    fresh_s: float
    live_freshness: float | None
    games_due_final: int
    finals_stored: int
    coverage: float | None
    missing: tuple[int, ...]

    @property
    def poll_success_met(self) -> bool | None:
        return None if self.poll_success is None else self.poll_success >= POLL_SUCCESS_GOAL

    def to_dict(self) -> dict[str, Any]:
        """The ``sla`` entry of ``ingest --json`` (plain JSON types only)."""
        return {
            "official_date": self.official_date,
            "poll_success": {
                "value": self.poll_success,
                "goal": POLL_SUCCESS_GOAL,
                "met": self.poll_success_met,
                "polls": self.polls,
                "failed": self.polls_failed,
            },
            "live_freshness": {
                "value": self.live_freshness,
                "goal": FRESHNESS_GOAL,
                "met": None
                if self.live_freshness is None
                else self.live_freshness >= FRESHNESS_GOAL,
                "live_seconds": round(self.live_s, 3),
                "fresh_seconds": round(self.fresh_s, 3),
            },
            "coverage": {
                "value": self.coverage,
                "goal": COVERAGE_GOAL,
                "met": None if self.coverage is None else self.coverage >= COVERAGE_GOAL,
                "due_final": self.games_due_final,
                "final_stored": self.finals_stored,
                "missing": list(self.missing),
            },
        }


def due_final(game: GameCoverage, now: datetime, max_game_s: float) -> bool:
    """Whether a game is owed a stored final version by now."""
    if game.state in WONT_FINISH:
        return False
    if game.state == FINAL or game.final_stored:
        return True
    return coverage_gap(game, now, max_game_s) is not None and game.state is not None


def sla_report(
    official_date: str,
    totals: DateTotals,
    coverage: Sequence[GameCoverage] | None,
    now: datetime,
    *,
    max_game_s: float = 6 * 3600.0,
) -> SlaReport:
    """Combine the monitor's per-date totals with the scheduler's view of the date's games.

    Without ``coverage`` (no scheduler wired), the games the monitor saw stand in for the
    schedule: only those that reached final count as due.
    """
    polls = totals.polls_ok + totals.polls_failed
    fresh = max(0.0, totals.live_s - totals.stale_s)
    if coverage is not None:
        games = [g for g in coverage if g.official_date == official_date]
        due = [g for g in games if due_final(g, now, max_game_s)]
        stored = [g for g in due if g.final_stored]
        missing = tuple(sorted(g.game_pk for g in due if not g.final_stored))
        due_n, stored_n = len(due), len(stored)
    else:
        due_n, stored_n, missing = totals.finals_known, totals.finals_stored, ()
    return SlaReport(
        official_date=official_date,
        polls=polls,
        polls_failed=totals.polls_failed,
        poll_success=totals.polls_ok / polls if polls else None,
        live_s=totals.live_s,
        fresh_s=fresh,
        live_freshness=fresh / totals.live_s if totals.live_s > 0 else None,
        games_due_final=due_n,
        finals_stored=stored_n,
        coverage=stored_n / due_n if due_n else None,
        missing=missing,
    )
