"""Schedule answers (``mlbdash.mlb.schedule.Schedule``) as the scheduler's ScheduleEntry values."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from mlbdash.ingest.scheduler.states import ScheduleEntry
from mlbdash.ingest.store import ScheduleEntry as StoredScheduleEntry
from mlbdash.mlb.facts import team_label
from mlbdash.mlb.schedule import Schedule, ScheduleGame, ScheduleTeam
from mlbdash.mlb.status import classify_game_status


class ScheduleParseError(ValueError):
    """The schedule answer does not have the shape of a schedule."""


def parse_schedule(raw: Any) -> Schedule:
    if not isinstance(raw, dict):
        raise ScheduleParseError("schedule answer is not a JSON object")
    try:
        return Schedule.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScheduleParseError(f"schedule answer: {where}: {first['msg']}") from None


def _side(side: ScheduleTeam | None) -> tuple[str, int | None, int | None]:
    team = side.team if side else None
    label = team_label(team)
    return label, team.id if team else None, side.score if side else None


def _name(side: ScheduleTeam | None) -> str | None:
    team = side.team if side else None
    return team.name if team else None


def entry_of(game: ScheduleGame, schedule_date: date) -> ScheduleEntry | None:
    """One listed game as a ScheduleEntry; None when it has no gamePk to track it by."""
    if game.game_pk is None:
        return None
    teams = game.teams
    away, away_id, away_score = _side(teams.away if teams else None)
    home, home_id, home_score = _side(teams.home if teams else None)
    status = game.status
    return ScheduleEntry(
        game_pk=game.game_pk,
        schedule_date=schedule_date,
        official_date=game.official_date or schedule_date,
        game_time=game.game_date,
        status=classify_game_status(status),
        away=away,
        home=home,
        away_id=away_id,
        home_id=home_id,
        away_name=_name(teams.away if teams else None),
        home_name=_name(teams.home if teams else None),
        away_score=away_score,
        home_score=home_score,
        double_header=game.double_header,
        game_number=game.game_number,
        start_time_tbd=bool(status and status.start_time_tbd),
        game_type=game.game_type,
        rescheduled_from=game.rescheduled_from_date
        or (game.rescheduled_from.date() if game.rescheduled_from else None),
        reschedule_date=game.reschedule_game_date
        or (game.reschedule_date.date() if game.reschedule_date else None),
        resumed_from=game.resumed_from_date
        or (game.resumed_from.date() if game.resumed_from else None),
        resume_date=game.resume_game_date
        or (game.resume_date.date() if game.resume_date else None),
    )


def entries_by_date(schedule: Schedule) -> dict[date, list[ScheduleEntry]]:
    """Every listed game, under the schedule date it is listed on."""
    out: dict[date, list[ScheduleEntry]] = {}
    for listed, game in schedule.games():
        bucket = listed or game.official_date
        if bucket is None:
            continue
        entry = entry_of(game, bucket)
        if entry is not None:
            out.setdefault(bucket, []).append(entry)
    return out


def stored_entry(entry: ScheduleEntry, game: ScheduleGame) -> StoredScheduleEntry:
    """The store's schedule row for an entry.

    Keyed by the date the schedule lists it under: a postponed game is listed on its old date
    with the new date as its officialDate, and both listings must be kept apart.
    """
    status = game.status
    return StoredScheduleEntry(
        game_pk=entry.game_pk,
        official_date=entry.schedule_date,
        game_date=entry.game_time,
        game_type=game.game_type,
        game_number=game.game_number,
        double_header=game.double_header,
        start_time_tbd=status.start_time_tbd if status else None,
        status_code=status.status_code if status else None,
        coded_game_state=status.coded_game_state if status else None,
        detailed_state=status.detailed_state if status else None,
        abstract_game_state=status.abstract_game_state if status else None,
        reason=status.reason if status else None,
        reschedule_date=_iso(entry.reschedule_date),
        rescheduled_from=_iso(entry.rescheduled_from),
        rescheduled_to=_iso(game.rescheduled_to_date),
        resumed_from=_iso(entry.resumed_from),
        resume_date=_iso(entry.resume_date),
        description=game.description,
        scheduled_innings=game.scheduled_innings,
    )


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
