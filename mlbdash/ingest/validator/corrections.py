"""Corrections: what the scheduler must do about findings, and how a cleared finding was fixed.

Two decisions come out of validation: a merged feed that diverged from a full fetch must be
dropped and fetched whole ("refetch"), and a Final game that fails a rule is fetched again
after a delay, because MLB's official scorers correct games for a while after the last out
("recheck"). Whatever is still wrong after that stays in the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mlbdash.ingest.findings import Finding

DEFAULT_RECHECK_DELAY_S = 1800.0  # virtual seconds; Settings.poll.final_recheck_after_s

# How a finding that went away was corrected (the `correction` column).
CORRECTED_BY_REFETCH = "refetch"
CORRECTED_BY_RECHECK = "cleared by MLB scoring change"
CORRECTED_BY_REDERIVE = "re-derived"


def cleared_on(timecode: str | None) -> str:
    return f"cleared on version {timecode}" if timecode else "cleared"


@dataclass(frozen=True, slots=True)
class Correction:
    """An action the scheduler takes for a game: refetch now, or recheck at ``recheck_at``."""

    game_pk: int | None
    action: Literal["refetch", "recheck"]
    reason: str
    recheck_at: datetime | None = None


def decide_corrections(
    findings: Iterable[Finding],
    *,
    is_final: bool,
    now: datetime,
    recheck_delay_s: float = DEFAULT_RECHECK_DELAY_S,
) -> list[Correction]:
    """Refetch for a diverged merge; for a Final game with errors or warnings, a recheck.

    Info findings (drift, a schedule lagging the feed) never trigger work.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    out: list[Correction] = []
    serious: list[Finding] = []
    for f in findings:
        if f.rule == "MERGE_DIVERGED":
            out.append(
                Correction(
                    game_pk=f.game_pk, action="refetch", reason=f"merge diverged at {f.path}"
                )
            )
        elif f.severity in ("error", "warning"):
            serious.append(f)
    if is_final and serious:
        rules = sorted({f.rule for f in serious})
        out.append(
            Correction(
                game_pk=serious[0].game_pk,
                action="recheck",
                reason=f"Final game fails {', '.join(rules)}",
                recheck_at=now + timedelta(seconds=recheck_delay_s),
            )
        )
    return out
