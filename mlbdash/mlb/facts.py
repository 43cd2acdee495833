"""The facts every reader of a feed version needs, derived once per version; and the team label.

A live feed is 250-900 KB; parsing all of it on every update of 1000 live games would cost
more than the rest of the pipeline. Only the small parts read here (status, metaData, the
linescore, the teams, the current play's result) go through the domain models, once per
version; the scheduler, the store's game row, the views and ``mlbdash game`` all read the
resulting frozen :class:`VersionFacts` instead of the raw feed.

**One rule names a team everywhere** (:func:`team_label`): the abbreviation as MLB prints it
(``NYY``), from the feed's ``gameData.teams`` or a schedule asked with ``hydrate=team``; a
team MLB sent without one (a schedule asked without that hydrate) is shown by its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from mlbdash.mlb.common import GameStatus, Team
from mlbdash.mlb.feed import Linescore as Linescore_
from mlbdash.mlb.feed import MetaData
from mlbdash.mlb.ordinals import ordinal
from mlbdash.mlb.status import Lifecycle, StatusInfo, classify_game_status, is_final
from mlbdash.mlb.text import terminal_safe
from mlbdash.mlb.touched import Path, Touched

UNKNOWN_TEAM = "?"


def team_label(team: Team | None) -> str:
    """How mlbdash names a team, everywhere: MLB's abbreviation, else its name, else "?"."""
    if team is None:
        return UNKNOWN_TEAM
    return team.abbreviation or team.name or UNKNOWN_TEAM


def raw_team_label(team: object) -> str:
    """:func:`team_label` of a raw team object (``gameData.teams.away`` and the like)."""
    model: Team | None = _model(Team, team)
    return team_label(model)


@dataclass(frozen=True, slots=True)
class InningLine:
    """One inning of the linescore (None: not batted, or not known yet)."""

    num: int
    away_runs: int | None
    home_runs: int | None
    away_hits: int | None = None
    home_hits: int | None = None
    away_errors: int | None = None
    home_errors: int | None = None


@dataclass(frozen=True, slots=True)
class Linescore:
    """The linescore as a scoreboard shows it: innings, R/H/E per side, the count."""

    innings: tuple[InningLine, ...]
    away_runs: int | None
    away_hits: int | None
    away_errors: int | None
    home_runs: int | None
    home_hits: int | None
    home_errors: int | None
    balls: int | None = None
    strikes: int | None = None
    outs: int | None = None


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What one version of a game's feed says, in the terms every reader uses. Missing parts
    are None (never raised): a feed that lacks them is the validator's business."""

    game_pk: int | None
    timecode: str | None
    wait_s: float | None
    status: StatusInfo
    away: str  # team_label
    home: str
    away_id: int | None
    home_id: int | None
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None  # inningState when given ("Middle", "End"), else inningHalf
    outs: int | None
    balls: int | None
    strikes: int | None
    current_play: str | None  # "Bottom 7th, 1-2, 2 outs: Ohtani pops out to 3B"
    linescore: Linescore | None
    official_date: str | None

    @property
    def lifecycle(self) -> Lifecycle:
        return self.status.lifecycle

    @property
    def is_final(self) -> bool:
        """Over and counted: Final, or a forfeit."""
        return is_final(self.status.lifecycle)


def version_facts(
    feed: Mapping[str, Any],
    *,
    before: VersionFacts | None = None,
    touched: Touched | None = None,
) -> VersionFacts:
    """The facts of one feed version (a raw ``feed/live`` dict).

    ``before`` with ``touched``: the facts of the version that the ops ``touched`` describes
    patched into ``feed``; the facts of the parts no op wrote are taken from it (they read
    the same), the others read again. The result is what reading the whole feed gives.
    """
    if before is None or touched is None:
        values: dict[str, Any] = {}
        for _path, read in _PARTS:
            values.update(read(feed))
        return VersionFacts(**values)
    changed: dict[str, Any] = {}
    for path, read in _PARTS:
        if touched.reaches(path):
            changed.update(read(feed))
    return replace(before, **changed)


def _game_pk(feed: Mapping[str, Any]) -> dict[str, Any]:
    game_pk = feed.get("gamePk")
    return {"game_pk": game_pk if isinstance(game_pk, int) else None}


def _meta(feed: Mapping[str, Any]) -> dict[str, Any]:
    meta: MetaData | None = _model(MetaData, feed.get("metaData"))
    return {
        "timecode": meta.time_stamp if meta else None,
        "wait_s": float(meta.wait) if meta and meta.wait is not None else None,
    }


def _status(feed: Mapping[str, Any]) -> dict[str, Any]:
    status: GameStatus | None = _model(GameStatus, _part(feed, "gameData", "status"))
    return {"status": classify_game_status(status)}


def _team(side: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def read(feed: Mapping[str, Any]) -> dict[str, Any]:
        team: Team | None = _model(Team, _part(feed, "gameData", "teams", side))
        return {side: team_label(team), f"{side}_id": team.id if team else None}

    return read


def _line(feed: Mapping[str, Any]) -> dict[str, Any]:
    raw_line = _part(feed, "liveData", "linescore")
    line = _linescore(raw_line)
    totals = line.teams if line is not None else None
    return {
        "away_score": totals.away.runs if totals and totals.away else None,
        "home_score": totals.home.runs if totals and totals.home else None,
        "inning": line.current_inning if line else None,
        "inning_half": (line.inning_state or line.inning_half) if line else None,
        "outs": line.outs if line else None,
        "balls": line.balls if line else None,
        "strikes": line.strikes if line else None,
        "linescore": _scoreboard(line, _part(raw_line, "innings")) if line else None,
    }


def _play(feed: Mapping[str, Any]) -> dict[str, Any]:
    return {"current_play": _current_play(_part(feed, "liveData", "plays", "currentPlay"))}


def _official_date(feed: Mapping[str, Any]) -> dict[str, Any]:
    official = _part(feed, "gameData", "datetime", "officialDate")
    return {"official_date": official if isinstance(official, str) else None}


# Each part of the feed the facts read (a pointer), and what is read from it.
_PARTS: tuple[tuple[Path, Callable[[Mapping[str, Any]], dict[str, Any]]], ...] = (
    (("gamePk",), _game_pk),
    (("metaData",), _meta),
    (("gameData", "status"), _status),
    (("gameData", "teams", "away"), _team("away")),
    (("gameData", "teams", "home"), _team("home")),
    (("liveData", "linescore"), _line),
    (("liveData", "plays", "currentPlay"), _play),
    (("gameData", "datetime", "officialDate"), _official_date),
)


def _part(node: Any, *path: str) -> Any:
    for key in path:
        # Parsed JSON holds plain dicts: the exact type check is much cheaper than the ABC's.
        if type(node) is not dict and not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _model(model: type[Any], raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _linescore(raw: Any) -> Linescore_ | None:
    """The linescore without the parts that grow with the game (read separately)."""
    if not isinstance(raw, Mapping):
        return None
    slim = {k: v for k, v in raw.items() if k not in ("innings", "offense", "defense")}
    result: Linescore_ | None = _model(Linescore_, slim)
    return result


def _int(value: Any) -> int | None:
    return (
        value
        if type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
        else None
    )


def _scoreboard(line: Linescore_, innings: Any) -> Linescore:
    teams = line.teams
    away = teams.away if teams else None
    home = teams.home if teams else None
    return Linescore(
        innings=_innings(innings),
        away_runs=away.runs if away else None,
        away_hits=away.hits if away else None,
        away_errors=away.errors if away else None,
        home_runs=home.runs if home else None,
        home_hits=home.hits if home else None,
        home_errors=home.errors if home else None,
        balls=line.balls,
        strikes=line.strikes,
        outs=line.outs,
    )


def _innings(raw: Any) -> tuple[InningLine, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for index, inning in enumerate(raw):
        if type(inning) is not dict and not isinstance(inning, Mapping):
            continue
        num = _int(inning.get("num")) or index + 1
        away, home = _part(inning, "away"), _part(inning, "home")
        out.append(
            InningLine(
                num=num,
                away_runs=_int(_part(away, "runs")),
                home_runs=_int(_part(home, "runs")),
                away_hits=_int(_part(away, "hits")),
                home_hits=_int(_part(home, "hits")),
                away_errors=_int(_part(away, "errors")),
                home_errors=_int(_part(home, "errors")),
            )
        )
    return tuple(out)


def _current_play(play: Any) -> str | None:
    """ "Bottom 7th, 1-2, 2 outs: Ohtani pops out to 3B" from the feed's currentPlay."""
    if not isinstance(play, Mapping):
        return None
    about = _part(play, "about")
    count = _part(play, "count")
    parts: list[str] = []
    half, inning = _part(about, "halfInning"), _int(_part(about, "inning"))
    if isinstance(half, str) and inning is not None:
        parts.append(f"{'Top' if half == 'top' else 'Bottom'} {ordinal(inning)}")
    balls, strikes, outs = (_int(_part(count, key)) for key in ("balls", "strikes", "outs"))
    if balls is not None and strikes is not None:
        parts.append(f"{balls}-{strikes}")
    if outs is not None:
        parts.append(f"{outs} out" + ("" if outs == 1 else "s"))
    description = _part(play, "result", "description")
    if not isinstance(description, str):
        events = play.get("playEvents")
        last = events[-1] if isinstance(events, list) and events else None
        description = _part(last, "details", "description")
    head = ", ".join(parts)
    if isinstance(description, str) and description:
        # Read from the raw feed, not a model: made terminal-safe here.
        description = terminal_safe(description)
        return f"{head}: {description}" if head else description
    return head or None
