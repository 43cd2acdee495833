"""Coverage: of the games a tracked date should finish, how many have a stored final feed.

Postponed and cancelled games do not count against a date (they finish elsewhere or never);
everything else listed on the date does, until its final feed is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from mlbdash.ingest.scheduler.states import GameTrack, Phase, ScheduleEntry, describe, is_gone


@dataclass(frozen=True, slots=True)
class CoverageGap:
    schedule_date: date
    game_pk: int
    state: str  # lifecycle value
    detailed_state: str
    reason: str  # why it is not covered yet, in a few words


@dataclass(frozen=True, slots=True)
class DateCoverage:
    schedule_date: date
    scheduled: int  # games listed on the date
    excluded: int  # postponed or cancelled there
    should_finish: int
    final_stored: int
    gaps: tuple[CoverageGap, ...]
    read: bool = True  # the date's schedule was read: without it nothing is known

    @property
    def coverage(self) -> float | None:
        """Share of the games due that have a stored final; None (unknown) for a date whose
        schedule was never read, since its games are not known."""
        if not self.read:
            return None
        if self.should_finish == 0:
            return 1.0
        return self.final_stored / self.should_finish


def _gap_reason(track: GameTrack) -> str:
    if not track.archive_gaps:
        return _follow_reason(track)
    audit = "archive audit: " + "; ".join(track.archive_gaps)
    # A game still followed can already owe something (the history of a game met mid-game).
    return audit if track.final_stored else f"{_follow_reason(track)}; {audit}"


def _follow_reason(track: GameTrack) -> str:
    if track.last_poll_ok is False and track.last_error:
        return f"last poll failed: {track.last_error}"
    if track.phase is Phase.WATCH:
        return "not started"
    if track.phase is Phase.FOLLOW:
        return "in progress"
    if track.phase is Phase.FINISHING:
        return "final feed not stored yet"
    return "final feed not stored"


def date_coverage(
    schedule_date: date,
    entries: Iterable[ScheduleEntry],
    tracks: Mapping[int, GameTrack],
    *,
    read: bool = True,
) -> DateCoverage:
    scheduled = excluded = stored = 0
    gaps: list[CoverageGap] = []
    for entry in entries:
        scheduled += 1
        if is_gone(entry.status):
            excluded += 1
            continue
        track = tracks.get(entry.game_pk)
        if track is not None and track.complete:
            stored += 1
            continue
        status = track.status if track else entry.status
        state, detailed = status.lifecycle.value, describe(status)
        reason = _gap_reason(track) if track else "not tracked"
        gaps.append(CoverageGap(schedule_date, entry.game_pk, state, detailed, reason))
    return DateCoverage(
        schedule_date=schedule_date,
        scheduled=scheduled,
        excluded=excluded,
        should_finish=scheduled - excluded,
        final_stored=stored,
        gaps=tuple(gaps),
        read=read,
    )


def date_counts(
    entries: Iterable[ScheduleEntry], tracks: Mapping[int, GameTrack]
) -> tuple[int, int]:
    """(should finish, final stored) of a date's entries by ``date_coverage``'s rule, without
    naming each gap: the progress line asks every second, over a thousand games."""
    should = stored = 0
    for entry in entries:
        if is_gone(entry.status):
            continue
        should += 1
        track = tracks.get(entry.game_pk)
        if track is not None and track.complete:
            stored += 1
    return should, stored


def overall_coverage(dates: Iterable[DateCoverage]) -> float | None:
    """Final-stored over should-finish across all tracked dates (1.0 when nothing is due);
    None (unknown) while some date's schedule has never been read."""
    should = stored = 0
    for cov in dates:
        if not cov.read:
            return None
        should += cov.should_finish
        stored += cov.final_stored
    return 1.0 if should == 0 else stored / should
