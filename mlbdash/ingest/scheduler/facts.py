"""The few facts the scheduler needs from a feed version, read without parsing the whole feed.

A live feed is 250-900 KB; parsing all of it on every update of 1000 live games would cost
more than the rest of the pipeline. Only the small parts read here (status, metaData, the
linescore totals, the teams) go through the domain models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mlbdash.mlb.common import GameStatus, Team
from mlbdash.mlb.feed import Linescore, MetaData
from mlbdash.mlb.status import StatusInfo, classify_game_status


@dataclass(frozen=True, slots=True)
class FeedSummary:
    game_pk: int | None
    timecode: str | None
    wait_s: float | None
    status: StatusInfo
    away: str | None
    home: str | None
    away_id: int | None
    home_id: int | None
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None
    outs: int | None
    balls: int | None
    strikes: int | None


def _part(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _model(model: type[Any], raw: Any) -> Any:
    if not isinstance(raw, dict):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def team_label(team: Team | None) -> str | None:
    """What a scoreboard shows: the abbreviation when known, else the team's name."""
    if team is None:
        return None
    return team.abbreviation or team.team_name or team.name


def summarize_feed(feed: dict[str, Any]) -> FeedSummary:
    """The scheduler's view of a feed version; missing parts come back as None, never raise."""
    meta: MetaData | None = _model(MetaData, feed.get("metaData"))
    status: GameStatus | None = _model(GameStatus, _part(feed, "gameData", "status"))
    away: Team | None = _model(Team, _part(feed, "gameData", "teams", "away"))
    home: Team | None = _model(Team, _part(feed, "gameData", "teams", "home"))
    line = _linescore(_part(feed, "liveData", "linescore"))
    totals = line.teams if line is not None else None
    game_pk = feed.get("gamePk")
    return FeedSummary(
        game_pk=game_pk if isinstance(game_pk, int) else None,
        timecode=meta.time_stamp if meta else None,
        wait_s=float(meta.wait) if meta and meta.wait is not None else None,
        status=classify_game_status(status),
        away=team_label(away),
        home=team_label(home),
        away_id=away.id if away else None,
        home_id=home.id if home else None,
        away_score=totals.away.runs if totals and totals.away else None,
        home_score=totals.home.runs if totals and totals.home else None,
        inning=line.current_inning if line else None,
        inning_half=(line.inning_state or line.inning_half) if line else None,
        outs=line.outs if line else None,
        balls=line.balls if line else None,
        strikes=line.strikes if line else None,
    )


def _linescore(raw: Any) -> Linescore | None:
    """The linescore without its innings list (the part that grows with the game)."""
    if not isinstance(raw, dict):
        return None
    slim = {k: v for k, v in raw.items() if k not in ("innings", "offense", "defense")}
    result: Linescore | None = _model(Linescore, slim)
    return result
