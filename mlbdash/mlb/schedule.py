"""``v1/schedule`` (and ``schedule/postseason/series``) as pydantic models.

One gamePk can appear under two dates: a postponed game stays listed on its original date
(status Postponed, ``rescheduleDate``) and reappears on the make-up date (``rescheduledFrom``);
a suspended game likewise (``resumeDate`` / ``resumedFrom``). ``officialDate`` is the league date
of the game as listed, which for the postponed entry is already the new date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field

from mlbdash.mlb.common import (
    Decisions,
    GameStatus,
    LeagueRecord,
    MlbModel,
    PersonRef,
    Team,
    UtcDatetime,
    Venue,
)
from mlbdash.mlb.feed import Linescore
from mlbdash.mlb.text import ApiText


class ScheduleTeam(MlbModel):
    """One side of a scheduled game. ``score`` and ``is_winner`` appear once play starts/ends."""

    known_extra = frozenset({"seriesNumber", "splitSquad", "springLeague"})

    team: Team | None = None
    score: int | None = None
    is_winner: bool | None = None
    league_record: LeagueRecord | None = None
    probable_pitcher: PersonRef | None = None


class ScheduleTeams(MlbModel):
    """Both sides; real answers sometimes send ``teams: {}``."""

    away: ScheduleTeam | None = None
    home: ScheduleTeam | None = None


class ScheduleGame(MlbModel):
    known_extra = frozenset(
        {
            "calendarEventID",
            "content",
            "dayNight",
            "gamedayType",
            "gamesInSeries",
            "ifNecessary",
            "ifNecessaryDescription",
            "inningBreakLength",
            "isFeaturedGame",
            "isTie",
            "publicFacing",
            "recordSource",
            "reverseHomeAwayStatus",
            "seasonDisplay",
            "seriesGameNumber",
            "tiebreaker",
        }
    )

    game_pk: int | None = None
    game_guid: ApiText | None = None
    link: ApiText | None = None
    game_type: ApiText | None = None
    season: int | None = None
    game_date: UtcDatetime | None = None
    official_date: dt.date | None = None
    status: GameStatus | None = None
    teams: ScheduleTeams | None = None
    venue: Venue | None = None
    double_header: ApiText | None = None
    """N: no; Y: traditional (game 2 follows game 1); S: split (separate admissions)."""
    game_number: int | None = None
    scheduled_innings: int | None = None
    description: ApiText | None = None
    series_description: ApiText | None = None
    # A postponed game: where it went. The made-up game: where it came from.
    reschedule_date: UtcDatetime | None = None
    reschedule_game_date: dt.date | None = None
    rescheduled_to: UtcDatetime | None = None
    rescheduled_to_date: dt.date | None = None
    rescheduled_from: UtcDatetime | None = None
    rescheduled_from_date: dt.date | None = None
    # A suspended game: when it resumes, and (on the resumption) when it started.
    resume_date: UtcDatetime | None = None
    resume_game_date: dt.date | None = None
    resumed_from: UtcDatetime | None = None
    resumed_from_date: dt.date | None = None
    linescore: Linescore | None = None
    decisions: Decisions | None = None


class ScheduleDate(MlbModel):
    known_extra = frozenset({"events", "totalEvents", "totalItems"})

    date: dt.date | None = None
    total_games: int | None = None
    total_games_in_progress: int | None = None
    games: list[ScheduleGame] = Field(default_factory=list)


class SeriesInfo(MlbModel):
    id: ApiText | None = None
    sort_number: int | None = None
    is_default: bool | None = None
    game_type: ApiText | None = None


class ScheduleSeries(MlbModel):
    """One series of ``schedule/postseason/series``."""

    known_extra = frozenset({"sortOrder", "totalItems"})

    series: SeriesInfo | None = None
    total_games: int | None = None
    total_games_in_progress: int | None = None
    games: list[ScheduleGame] = Field(default_factory=list)


class Schedule(MlbModel):
    """A schedule answer. A day with no games has ``dates == []`` and zero totals."""

    known_extra = frozenset({"totalEvents", "totalItems"})

    copyright: ApiText | None = None
    total_games: int | None = None
    total_games_in_progress: int | None = None
    wait: int | None = None
    dates: list[ScheduleDate] = Field(default_factory=list)
    series: list[ScheduleSeries] = Field(default_factory=list)

    def games(self) -> Iterator[tuple[dt.date | None, ScheduleGame]]:
        """Every game listed, with the schedule date it is listed under (None for series)."""
        for day in self.dates:
            for game in day.games:
                yield day.date, game
        for series in self.series:
            for game in series.games:
                yield None, game
