"""What a live feed shows mid-game, re-derived from the plays recorded so far.

Only what can be derived honestly from the plays is produced: runs, hits, errors and runners
left on base per half inning, the count and outs, the current inning, team batting runs and
hits. Everything that exists only once the game is over (player stats, decisions, leaders,
attendance, duration) is left out until the recorded final feed takes over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlbdash.mlb.ordinals import ordinal

Json = dict[str, Any]

HIT_EVENTS = frozenset({"single", "double", "triple", "home_run"})
ERROR_CREDITS = frozenset({"f_fielding_error", "f_throwing_error"})
_POST_ON = {"postOnFirst": "1B", "postOnSecond": "2B", "postOnThird": "3B"}
_BASES = frozenset(_POST_ON.values())


def play_scores(play: Json) -> tuple[int, int]:
    """(away, home) score after the part of ``play`` that is shown."""
    result = play.get("result", {})
    if play.get("about", {}).get("isComplete") and "awayScore" in result:
        return int(result["awayScore"]), int(result.get("homeScore", 0))
    away = home = -1
    for event in play.get("playEvents", []):
        details = event.get("details", {})
        if "awayScore" in details:
            away, home = int(details["awayScore"]), int(details.get("homeScore", 0))
    if away < 0:
        return int(result.get("awayScore", 0)), int(result.get("homeScore", 0))
    return away, home


def _errors(play: Json) -> int:
    seen: set[tuple[Any, ...]] = set()
    for runner in play.get("runners", []):
        for credit in runner.get("credits", []):
            if credit.get("credit") in ERROR_CREDITS:
                player = credit.get("player", {}).get("id")
                seen.add((player, credit["credit"], runner.get("details", {}).get("playIndex")))
    return len(seen)


def _left_on_base(play: Json, before: set[str]) -> int:
    # The third out's play clears postOn*, so runners stranded are those on base before it,
    # moved by that play's runners.
    occupied = set(before)
    runners = play.get("runners", [])
    for runner in runners:
        origin = runner.get("movement", {}).get("originBase")
        if origin in _BASES:
            occupied.discard(origin)
    for runner in runners:
        movement = runner.get("movement", {})
        if not movement.get("isOut") and movement.get("end") in _BASES:
            occupied.add(movement["end"])
    return len(occupied)


def linescore(plays: Sequence[Json], scheduled_innings: int) -> Json:
    """``liveData.linescore`` once ``plays`` happened (the last one may be in progress)."""
    halves: dict[tuple[int, str], Json] = {}
    errors: dict[tuple[int, str], int] = {}
    away_score = home_score = 0
    occupied: set[str] = set()
    current_half: tuple[int, bool] | None = None
    for play in plays:
        about = play.get("about", {})
        inning = int(about.get("inning", 1))
        top = bool(about.get("isTopInning", True))
        batting, fielding = ("away", "home") if top else ("home", "away")
        if (inning, top) != current_half:
            current_half = (inning, top)
            occupied = set()
        half = halves.setdefault((inning, batting), {"runs": 0, "hits": 0, "leftOnBase": 0})
        new_away, new_home = play_scores(play)
        # Runs count in the inning they scored, for whichever team scored them.
        halves.setdefault((inning, "away"), {"runs": 0, "hits": 0, "leftOnBase": 0})
        halves[(inning, "away")]["runs"] += new_away - away_score
        if new_home != home_score:
            halves.setdefault((inning, "home"), {"runs": 0, "hits": 0, "leftOnBase": 0})
            halves[(inning, "home")]["runs"] += new_home - home_score
        away_score, home_score = new_away, new_home
        if not about.get("isComplete"):
            continue
        if play.get("result", {}).get("eventType") in HIT_EVENTS:
            half["hits"] += 1
        errors[(inning, fielding)] = errors.get((inning, fielding), 0) + _errors(play)
        if int(play.get("count", {}).get("outs", 0)) >= 3:
            half["leftOnBase"] = _left_on_base(play, occupied)
        else:
            matchup = play.get("matchup", {})
            occupied = {base for key, base in _POST_ON.items() if key in matchup}
    return _linescore_doc(plays, halves, errors, scheduled_innings)


def _linescore_doc(
    plays: Sequence[Json],
    halves: dict[tuple[int, str], Json],
    errors: dict[tuple[int, str], int],
    scheduled_innings: int,
) -> Json:
    last = plays[-1]
    about = last.get("about", {})
    inning = int(about.get("inning", 1))
    top = bool(about.get("isTopInning", True))
    # A half that has not started yet has no runs key at all (seen in real feeds).
    started = set(halves)
    innings = []
    totals = {
        side: {"runs": 0, "hits": 0, "errors": 0, "leftOnBase": 0} for side in ("home", "away")
    }
    for num in range(1, inning + 1):
        entry: Json = {"num": num, "ordinalNum": ordinal(num)}
        for side in ("home", "away"):
            half = halves.get((num, side), {"runs": 0, "hits": 0, "leftOnBase": 0})
            cell: Json = {}
            if (num, side) in started and (side == "away" or num < inning or not top):
                cell["runs"] = half["runs"]
            cell["hits"] = half["hits"]
            cell["errors"] = errors.get((num, side), 0)
            cell["leftOnBase"] = half["leftOnBase"]
            entry[side] = cell
            for key in ("runs", "hits", "errors", "leftOnBase"):
                totals[side][key] += int(cell.get(key, 0))
        innings.append(entry)
    count = last.get("count", {})
    outs = int(count.get("outs", 0))
    half_over = bool(about.get("isComplete")) and outs >= 3
    state = ("Middle" if top else "End") if half_over else ("Top" if top else "Bottom")
    return {
        "currentInning": inning,
        "currentInningOrdinal": ordinal(inning),
        "inningState": state,
        "inningHalf": "Top" if top else "Bottom",
        "isTopInning": top,
        "scheduledInnings": scheduled_innings,
        "innings": innings,
        "teams": totals,
        "balls": int(count.get("balls", 0)),
        "strikes": int(count.get("strikes", 0)),
        "outs": outs,
    }


def pregame_linescore(scheduled_innings: int) -> Json:
    return {
        "scheduledInnings": scheduled_innings,
        "innings": [],
        "teams": {"home": {}, "away": {}},
        "balls": 0,
        "strikes": 0,
        "outs": 0,
    }


def boxscore(final_boxscore: Json, line: Json | None) -> Json:
    """Team totals that follow from the linescore; players and their stats come with Final."""
    teams: Json = {}
    for side in ("away", "home"):
        recorded = final_boxscore.get("teams", {}).get(side, {})
        totals = (line or {}).get("teams", {}).get(side, {})
        team: Json = {"team": recorded.get("team", {})}
        if line is not None:
            team["teamStats"] = {
                "batting": {"runs": totals.get("runs", 0), "hits": totals.get("hits", 0)},
                "fielding": {"errors": totals.get("errors", 0)},
            }
        teams[side] = team
    box: Json = {"teams": teams}
    if "officials" in final_boxscore:
        box["officials"] = final_boxscore["officials"]
    return box


def plays_by_inning(final_innings: Sequence[Json], plays: Sequence[Json]) -> list[Json]:
    """``playsByInning`` cut down to ``plays``; fully played innings are the recorded entries."""
    if not plays:
        return []
    last_index = len(plays) - 1
    last_done = bool(plays[-1].get("about", {}).get("isComplete"))
    balls_in_play: dict[tuple[int, str], int] = {}
    for play in plays:
        about = play.get("about", {})
        side = "away" if about.get("isTopInning", True) else "home"
        key = (int(about.get("inning", 1)), side)
        shown = sum(1 for event in play.get("playEvents", []) if "hitData" in event)
        balls_in_play[key] = balls_in_play.get(key, 0) + min(shown, 1)
    out: list[Json] = []
    for number, entry in enumerate(final_innings, start=1):
        start = int(entry.get("startIndex", 0))
        if start > last_index:
            break
        end = int(entry.get("endIndex", start))
        if end < last_index or (end == last_index and last_done):
            out.append(entry)
            continue
        hits = entry.get("hits", {})
        out.append(
            {
                **entry,
                "endIndex": last_index,
                "top": [i for i in entry.get("top", []) if i <= last_index],
                "bottom": [i for i in entry.get("bottom", []) if i <= last_index],
                "hits": {
                    side: list(hits.get(side, []))[: balls_in_play.get((number, side), 0)]
                    for side in ("away", "home")
                },
            }
        )
    return out
