"""Rules over one raw v1/schedule response (also the postseason-series shape).

Real schedules list a postponed game under its original date with the new officialDate, list
postseason games whose teams are not known yet with empty ``teams``, and count only the
dates that have games; the rules below hold on all of that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import rules as R
from mlbdash.ingest.validator.consistency import SIDES, as_dict, as_int, as_list
from mlbdash.mlb.status import Lifecycle, classify_status

# Lifecycles under which a game may sit under a date that is not its officialDate.
_MOVED = frozenset({Lifecycle.postponed, Lifecycle.suspended, Lifecycle.cancelled})


def schedule_games(schedule: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(JSON pointer, game) for every game of a schedule, in either response shape."""
    for d, day in enumerate(as_list(schedule.get("dates"))):
        for g, game in enumerate(as_list(as_dict(day).get("games"))):
            yield f"/dates/{d}/games/{g}", as_dict(game)
    for s, series in enumerate(as_list(schedule.get("series"))):
        for g, game in enumerate(as_list(as_dict(series).get("games"))):
            yield f"/series/{s}/games/{g}", as_dict(game)


def status_findings(
    status: Mapping[str, Any], *, game_pk: int | None, timecode: str | None, path: str
) -> list[Finding]:
    """STATUS_UNKNOWN when the status code is not in the MLB's published list."""
    info = classify_status(
        _s(status.get("abstractGameState")),
        _s(status.get("codedGameState")),
        _s(status.get("statusCode")),
        _s(status.get("detailedState")),
        _s(status.get("reason")),
    )
    if info.known:
        return []
    return [
        R.STATUS_UNKNOWN.finding(
            game_pk=game_pk,
            timecode=timecode,
            path=f"{path}/statusCode",
            expected="a code listed by v1/gameStatus",
            actual=info.status_code,
            message=f"unknown status {info.status_code!r} ({info.detailed_state!r}), "
            f"treated as {info.lifecycle.value}",
        )
    ]


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_schedule(schedule: Mapping[str, Any]) -> list[Finding]:
    """Every schedule rule over one response; [] for a consistent schedule."""
    out: list[Finding] = []
    out.extend(_totals(schedule))
    for d, day in enumerate(as_list(schedule.get("dates"))):
        day = as_dict(day)
        date = day.get("date")
        for g, game in enumerate(as_list(day.get("games"))):
            out.extend(_game_date(as_dict(game), date, f"/dates/{d}/games/{g}"))
    for path, game in schedule_games(schedule):
        game_pk = as_int(game.get("gamePk"))
        out.extend(
            status_findings(
                as_dict(game.get("status")), game_pk=game_pk, timecode=None, path=f"{path}/status"
            )
        )
        out.extend(_linescore(game, game_pk, path))
    return out


def _totals(schedule: Mapping[str, Any]) -> Iterator[Finding]:
    dates = as_list(schedule.get("dates"))
    if "dates" not in schedule:
        return  # the postseason-series shape counts series, not listed games
    listed = 0
    for d, day in enumerate(dates):
        day = as_dict(day)
        games = len(as_list(day.get("games")))
        listed += games
        total = as_int(day.get("totalGames"))
        if total is not None and total != games:
            yield R.SCHEDULE_TOTALS_MATCH.finding(
                game_pk=None,
                timecode=None,
                path=f"/dates/{d}/totalGames",
                expected=games,
                actual=total,
                message=f"{day.get('date')}: totalGames says {total}, {games} games listed",
            )
    total = as_int(schedule.get("totalGames"))
    if total is not None and total != listed:
        yield R.SCHEDULE_TOTALS_MATCH.finding(
            game_pk=None,
            timecode=None,
            path="/totalGames",
            expected=listed,
            actual=total,
            message=f"totalGames says {total}, {listed} games listed",
        )


def _game_date(game: Mapping[str, Any], date: Any, path: str) -> Iterator[Finding]:
    official = game.get("officialDate")
    if not isinstance(official, str) or not isinstance(date, str) or official == date:
        return
    status = as_dict(game.get("status"))
    info = classify_status(
        _s(status.get("abstractGameState")),
        _s(status.get("codedGameState")),
        _s(status.get("statusCode")),
        _s(status.get("detailedState")),
    )
    moved = info.lifecycle in _MOVED or any(
        key in game for key in ("rescheduleDate", "rescheduledTo", "resumeDate", "resumedTo")
    )
    if moved:
        return
    yield R.SCHEDULE_GAME_DATE.finding(
        game_pk=as_int(game.get("gamePk")),
        timecode=None,
        path=f"{path}/officialDate",
        expected=date,
        actual=official,
        message=f"game listed under {date} has officialDate {official}",
    )


def _linescore(game: Mapping[str, Any], game_pk: int | None, path: str) -> Iterator[Finding]:
    linescore = as_dict(game.get("linescore"))
    innings = as_list(linescore.get("innings"))
    line_teams = as_dict(linescore.get("teams"))
    teams = as_dict(game.get("teams"))
    for side in SIDES:
        runs = as_int(as_dict(line_teams.get(side)).get("runs"))
        if runs is None:
            continue
        if innings:
            summed = sum(as_int(as_dict(as_dict(i).get(side)).get("runs")) or 0 for i in innings)
            if summed != runs:
                yield R.SCHEDULE_LINESCORE_RUNS_SUM.finding(
                    game_pk=game_pk,
                    timecode=None,
                    path=f"{path}/linescore/teams/{side}/runs",
                    expected=summed,
                    actual=runs,
                    message=f"{side} runs by inning add up to {summed}, the total says {runs}",
                )
        score = as_int(as_dict(teams.get(side)).get("score"))
        if score is not None and score != runs:
            yield R.SCHEDULE_SCORE_MATCHES_LINESCORE.finding(
                game_pk=game_pk,
                timecode=None,
                path=f"{path}/teams/{side}/score",
                expected=runs,
                actual=score,
                message=f"{side} score {score} but the linescore has {runs} runs",
            )
