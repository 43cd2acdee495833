"""Consistency rules over one raw live feed (GUMBO) dict.

They read the raw dict, not the models: findings carry JSON pointers into the response, and
these checks run on every stored version, so they must cost well under a millisecond. Each
rule skips what is absent or mistyped (the schema rules report that) and never assumes nine
innings: extra innings, seven-inning games, games called early, a home team that did not bat
in the last inning, walk-offs and in-progress at-bats all occur in real feeds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import rules as R
from mlbdash.mlb.status import abstract_final
from mlbdash.mlb.touched import Path, Touched

SIDES = ("away", "home")
# Final states in which the last half inning must have ended on its third out. Every other
# Final state (completed early, tied, forfeit, postponed...) may stop mid-inning.
_PLAYED_OUT_CODES = frozenset({"F", "O"})


# These run hundreds of thousands of times a second: exact type checks (parsed JSON only
# holds dict, list, int...) are several times cheaper than isinstance against the ABCs.
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def as_int(value: Any) -> int | None:
    """An int field, or None when absent or of another type (bool is not a count)."""
    return value if type(value) is int else None


def as_dict(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def as_list(value: Any) -> list[Any]:
    return value if type(value) is list or isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class PlayDigest:
    """What the rules read of one play of ``allPlays``, read once per play (and again only
    when a diff writes inside it)."""

    away_score: int | None
    home_score: int | None
    inning: int | None
    half: str | None  # "top" or "bottom"; None for anything else
    outs: int | None
    overturned: bool  # reviewDetails.isOverturned
    # (person id, where in the play) in the order the roster rule reads them: batter,
    # pitcher, then each runner by its index; only people with an id.
    people: tuple[tuple[int, str | int], ...]


def digest_play(play: Any) -> PlayDigest:
    play = as_dict(play)
    result = as_dict(play.get("result"))
    about = as_dict(play.get("about"))
    half = about.get("halfInning")
    matchup = as_dict(play.get("matchup"))
    people: list[tuple[int, str | int]] = []
    for person, where in (
        (matchup.get("batter"), "matchup/batter"),
        (matchup.get("pitcher"), "matchup/pitcher"),
    ):
        pid = as_int(as_dict(person).get("id"))
        if pid is not None:
            people.append((pid, where))
    for r, runner in enumerate(as_list(play.get("runners"))):
        pid = as_int(as_dict(as_dict(as_dict(runner).get("details")).get("runner")).get("id"))
        if pid is not None:
            people.append((pid, r))
    return PlayDigest(
        away_score=as_int(result.get("awayScore")),
        home_score=as_int(result.get("homeScore")),
        inning=as_int(about.get("inning")),
        half=half if half in ("top", "bottom") else None,
        outs=as_int(as_dict(play.get("count")).get("outs")),
        overturned=as_dict(play.get("reviewDetails")).get("isOverturned") is True,
        people=tuple(people),
    )


@dataclass(frozen=True, slots=True)
class FeedParts:
    """The pieces of a feed the rules read, pulled out once per validation."""

    game_pk: int | None
    timecode: str | None
    abstract_game_state: str | None
    status_code: str | None
    linescore: Mapping[str, Any]
    plays: tuple[PlayDigest, ...]  # allPlays, one digest each
    boxscore: Mapping[str, Any]
    decisions: Mapping[str, Any] | None
    players: Mapping[str, Any]
    halves: list[tuple[int, str, int, int]]  # see _halves
    # Per side ("away", "home"): the boxscore players' batting (runs, hits) added up; None
    # when the side lists no players.
    batting_sums: Mapping[str, tuple[int, int] | None]

    @property
    def is_final(self) -> bool:
        return abstract_final(self.abstract_game_state)

    @classmethod
    def of(cls, feed: Mapping[str, Any]) -> FeedParts:
        """Read from the whole feed (see ``PartsCache`` to read a diff version's changes only)."""
        return PartsCache().parts(feed, None)


_ALL_PLAYS: Path = ("liveData", "plays", "allPlays")
_BOX_PLAYERS: dict[str, Path] = {
    side: ("liveData", "boxscore", "teams", side, "players") for side in SIDES
}


class PartsCache:
    """``FeedParts`` of one game's versions, read again only where a diff wrote.

    The parts that grow with the game (a digest per play, each boxscore player's batting) are
    kept from the version read before; given the ops that patched that same feed object into
    this version, only the plays and players they wrote at or inside (and, after an insert or
    a removal in a list, every item from there on) are read again. Without ops, or for another
    feed object, everything is read: the parts are then exactly what a reading of the whole
    feed gives, which is what the pipeline's test compares over every version of real games.
    """

    def __init__(self) -> None:
        self._feed: Mapping[str, Any] | None = None
        self._plays: list[PlayDigest] = []
        self._batting: dict[str, dict[str, tuple[int, int]]] = {side: {} for side in SIDES}

    def parts(self, feed: Mapping[str, Any], touched: Touched | None) -> FeedParts:
        """The parts of ``feed``; ``touched``: what the ops written into it since the last
        call wrote (that call's feed, the same object), else None."""
        if feed is not self._feed:
            touched = None
        self._feed = None  # until this read is complete
        game_data = as_dict(feed.get("gameData"))
        live_data = as_dict(feed.get("liveData"))
        status = as_dict(game_data.get("status"))
        game_pk = as_int(feed.get("gamePk"))
        if game_pk is None:
            game_pk = as_int(as_dict(game_data.get("game")).get("pk"))
        timecode = as_dict(feed.get("metaData")).get("timeStamp")
        decisions = live_data.get("decisions")
        boxscore = as_dict(live_data.get("boxscore"))
        plays = self._read_plays(as_list(as_dict(live_data.get("plays")).get("allPlays")), touched)
        batting = {side: self._read_batting(side, boxscore, touched) for side in SIDES}
        self._feed = feed
        return FeedParts(
            game_pk=game_pk,
            timecode=timecode if isinstance(timecode, str) else None,
            abstract_game_state=_str(status.get("abstractGameState")),
            status_code=_str(status.get("statusCode")),
            linescore=as_dict(live_data.get("linescore")),
            plays=plays,
            boxscore=boxscore,
            decisions=decisions if isinstance(decisions, Mapping) else None,
            players=as_dict(game_data.get("players")),
            halves=_halves(plays),
            batting_sums=batting,
        )

    def _read_plays(self, all_plays: list[Any], touched: Touched | None) -> tuple[PlayDigest, ...]:
        kept = self._plays
        written = touched.items(_ALL_PLAYS) if touched is not None else None
        if written is None:
            kept = []
        else:
            shift = touched.first_shift(_ALL_PLAYS) if touched is not None else None
            if shift is not None:
                kept = kept[:shift]
            kept = kept[: len(all_plays)]
            for token in written:
                if token.isdigit() and int(token) < len(kept):
                    kept[int(token)] = digest_play(all_plays[int(token)])
        kept.extend(digest_play(play) for play in all_plays[len(kept) :])
        self._plays = kept
        return tuple(kept)

    def _read_batting(
        self, side: str, boxscore: Mapping[str, Any], touched: Touched | None
    ) -> tuple[int, int] | None:
        players = as_dict(as_dict(as_dict(boxscore.get("teams")).get(side)).get("players"))
        kept = self._batting[side]
        written = touched.items(_BOX_PLAYERS[side]) if touched is not None else None
        if written is None:
            kept.clear()
            written = set(players)
        for key in written:
            if key in players:
                kept[key] = _batting(players[key])
            else:
                kept.pop(key, None)
        if len(kept) != len(players):  # cannot be, short of a bug: read them all
            kept.clear()
            kept.update((key, _batting(player)) for key, player in players.items())
        if not players:
            return None
        return sum(v[0] for v in kept.values()), sum(v[1] for v in kept.values())


def _batting(player: Any) -> tuple[int, int]:
    """A boxscore player's batting runs and hits (absent or not a number: none)."""
    batting = as_dict(as_dict(as_dict(player).get("stats")).get("batting"))
    return as_int(batting.get("runs")) or 0, as_int(batting.get("hits")) or 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_feed(feed: Mapping[str, Any], parts: FeedParts | None = None) -> list[Finding]:
    """Every consistency rule over one feed; [] for a consistent feed.

    ``parts``: the feed's FeedParts when the caller already has them (saves a pass).
    """
    parts = parts if parts is not None else FeedParts.of(feed)
    out: list[Finding] = []
    for check in _CHECKS:
        out.extend(check(parts))
    return out


CHECKED_RULES: tuple[str, ...] = (
    R.LINESCORE_RUNS_SUM.id,
    R.LINESCORE_HITS_SUM.id,
    R.LINESCORE_ERRORS_SUM.id,
    R.PLAY_SCORE_MONOTONIC.id,
    R.LAST_PLAY_SCORE_MATCHES_LINESCORE.id,
    R.PLAYS_RUNS_MATCH_INNINGS.id,
    R.HALF_INNING_THREE_OUTS.id,
    R.BOXSCORE_RUNS_MATCH.id,
    R.BOXSCORE_HITS_MATCH.id,
    R.PLAYER_BATTING_SUMS.id,
    R.DECISIONS_ONLY_WHEN_FINAL.id,
    R.DECISIONS_NAME_PLAYERS.id,
    R.PLAYS_PLAYERS_IN_ROSTER.id,
    R.CURRENT_INNING_POSSIBLE.id,
    R.COUNT_POSSIBLE.id,
)


# --- linescore --------------------------------------------------------------------------------
def _linescore_sums(p: FeedParts) -> Iterator[Finding]:
    innings = as_list(p.linescore.get("innings"))
    teams = as_dict(p.linescore.get("teams"))
    if not innings:
        return
    for side in SIDES:
        team = as_dict(teams.get(side))
        for stat, rule in (
            ("runs", R.LINESCORE_RUNS_SUM),
            ("hits", R.LINESCORE_HITS_SUM),
            ("errors", R.LINESCORE_ERRORS_SUM),
        ):
            total = as_int(team.get(stat))
            if total is None:
                continue
            # An unplayed half inning has no "runs" key at all: it counts as nothing.
            summed = sum(as_int(as_dict(as_dict(i).get(side)).get(stat)) or 0 for i in innings)
            if summed != total:
                yield rule.finding(
                    game_pk=p.game_pk,
                    timecode=p.timecode,
                    path=f"/liveData/linescore/teams/{side}/{stat}",
                    expected=summed,
                    actual=total,
                    message=f"{side} {stat} by inning add up to {summed}, the total says {total}",
                )


def _current_inning(p: FeedParts) -> Iterator[Finding]:
    ls = p.linescore
    innings = as_list(ls.get("innings"))
    for index, inning in enumerate(innings):
        num = as_int(as_dict(inning).get("num"))
        if num is not None and num != index + 1:
            yield R.CURRENT_INNING_POSSIBLE.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=f"/liveData/linescore/innings/{index}/num",
                expected=index + 1,
                actual=num,
                message=f"inning {index + 1} of the linescore is numbered {num}",
            )
            return
    current = as_int(ls.get("currentInning"))
    # Between half innings the next inning's entry may already be listed, or not listed yet:
    # one inning either way is a moment of the feed, more is impossible.
    if current is not None and innings and abs(current - len(innings)) > 1:
        yield R.CURRENT_INNING_POSSIBLE.finding(
            game_pk=p.game_pk,
            timecode=p.timecode,
            path="/liveData/linescore/currentInning",
            expected=f"{max(1, len(innings) - 1)}-{len(innings) + 1}",
            actual=current,
            message=f"current inning is {current} but the linescore lists {len(innings)} innings",
        )
    half = ls.get("inningHalf")
    if half is not None and half not in ("Top", "Bottom", "Middle", "End"):
        yield R.CURRENT_INNING_POSSIBLE.finding(
            game_pk=p.game_pk,
            timecode=p.timecode,
            path="/liveData/linescore/inningHalf",
            expected="Top, Bottom, Middle or End",
            actual=half,
            message=f"inning half {half!r} is not one MLB uses",
        )


def _count(p: FeedParts) -> Iterator[Finding]:
    # A walk shows four balls and a strikeout three strikes on the play that ends the at-bat.
    for field, high in (("balls", 4), ("strikes", 3), ("outs", 3)):
        value = as_int(p.linescore.get(field))
        if value is not None and not 0 <= value <= high:
            yield R.COUNT_POSSIBLE.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=f"/liveData/linescore/{field}",
                expected=f"0-{high}",
                actual=value,
                message=f"{field} is {value}",
            )


# --- plays ------------------------------------------------------------------------------------
def _plays_scores(p: FeedParts) -> Iterator[Finding]:
    prev = [0, 0]
    for index, play in enumerate(p.plays):
        scores = (play.away_score, play.home_score)
        for i, side in enumerate(SIDES):
            score = scores[i]
            if score is None:
                continue
            if score < prev[i]:
                yield R.PLAY_SCORE_MONOTONIC.finding(
                    game_pk=p.game_pk,
                    timecode=p.timecode,
                    path=f"/liveData/plays/allPlays/{index}/result/{side}Score",
                    expected=f">= {prev[i]}",
                    actual=score,
                    message=f"{side} score drops from {prev[i]} to {score} at play {index}",
                )
            prev[i] = score
    yield from _last_play_matches(p)


def _last_play_matches(p: FeedParts) -> Iterator[Finding]:
    teams = as_dict(p.linescore.get("teams"))
    for index in range(len(p.plays) - 1, -1, -1):
        scores = (p.plays[index].away_score, p.plays[index].home_score)
        if scores[0] is None or scores[1] is None:
            continue
        for i, side in enumerate(SIDES):
            runs = as_int(as_dict(teams.get(side)).get("runs"))
            if runs is not None and runs != scores[i]:
                yield R.LAST_PLAY_SCORE_MATCHES_LINESCORE.finding(
                    game_pk=p.game_pk,
                    timecode=p.timecode,
                    path=f"/liveData/plays/allPlays/{index}/result/{side}Score",
                    expected=runs,
                    actual=scores[i],
                    message=f"latest play has {side} {scores[i]}, linescore has {runs} runs",
                )
        return


def _halves(plays: tuple[PlayDigest, ...]) -> list[tuple[int, str, int, int]]:
    """(inning, 'top'|'bottom', first play index, last play index) in play order."""
    halves: list[tuple[int, str, int, int]] = []
    for index, play in enumerate(plays):
        inning, half = play.inning, play.half
        if inning is None or half is None:
            continue
        if halves and halves[-1][0] == inning and halves[-1][1] == half:
            first = halves[-1][2]
            halves[-1] = (inning, half, first, index)
        else:
            halves.append((inning, half, index, index))
    return halves


def _plays_runs_by_half(p: FeedParts) -> Iterator[Finding]:
    # The last half with plays is left to LAST_PLAY_SCORE_MATCHES_LINESCORE and the linescore
    # sums (together they pin it down); it may also be in progress with a run just scored.
    innings = as_list(p.linescore.get("innings"))
    halves = p.halves
    score = [0, 0]
    for inning, half, _first, last in halves[:-1]:
        end = (p.plays[last].away_score, p.plays[last].home_score)
        i = 0 if half == "top" else 1
        side = SIDES[i]
        end_runs = end[i]
        if end_runs is None or not 1 <= inning <= len(innings):
            return
        scored = end_runs - score[i]
        entry = as_dict(as_dict(innings[inning - 1]).get(side))
        runs = as_int(entry.get("runs"))
        if runs is None:
            runs = 0
        if scored != runs:
            yield R.PLAYS_RUNS_MATCH_INNINGS.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=f"/liveData/linescore/innings/{inning - 1}/{side}/runs",
                expected=scored,
                actual=runs,
                message=f"plays score {scored} {side} runs in the {half} of inning {inning}, "
                f"the linescore says {runs}",
            )
        score = [
            end[0] if end[0] is not None else score[0],
            end[1] if end[1] is not None else score[1],
        ]


def _three_outs(p: FeedParts) -> Iterator[Finding]:
    halves = p.halves
    for n, (inning, half, _first, last) in enumerate(halves):
        play = p.plays[last]
        outs = play.outs
        if outs is None or outs == 3:
            continue
        if n == len(halves) - 1 and not _must_end_on_third_out(p, half, play):
            continue
        if not p.is_final and n == len(halves) - 2:
            # Live feeds are seen moving to the next half inning a moment before the third
            # out of the last one is recorded; that half is judged once play has moved on.
            continue
        yield R.HALF_INNING_THREE_OUTS.finding(
            game_pk=p.game_pk,
            timecode=p.timecode,
            path=f"/liveData/plays/allPlays/{last}/count/outs",
            expected=3,
            actual=outs,
            message=f"the {half} of inning {inning} ends with {outs} outs",
        )


def _must_end_on_third_out(p: FeedParts, half: str, last_play: PlayDigest) -> bool:
    """Whether the game's last half inning must have ended on a third out."""
    if not p.is_final:
        return False  # in progress
    if p.status_code not in _PLAYED_OUT_CODES:
        return False  # completed early, tied, forfeit...: may stop anywhere
    away, home = last_play.away_score, last_play.home_score
    walk_off = half == "bottom" and away is not None and home is not None and home > away
    return not walk_off


# --- boxscore ---------------------------------------------------------------------------------
def _boxscore(p: FeedParts) -> Iterator[Finding]:
    box_teams = as_dict(p.boxscore.get("teams"))
    line_teams = as_dict(p.linescore.get("teams"))
    for side in SIDES:
        box = as_dict(box_teams.get(side))
        batting = as_dict(as_dict(box.get("teamStats")).get("batting"))
        line = as_dict(line_teams.get(side))
        for stat, rule in (("runs", R.BOXSCORE_RUNS_MATCH), ("hits", R.BOXSCORE_HITS_MATCH)):
            team_value = as_int(batting.get(stat))
            line_value = as_int(line.get(stat))
            if team_value is not None and line_value is not None and team_value != line_value:
                yield rule.finding(
                    game_pk=p.game_pk,
                    timecode=p.timecode,
                    path=f"/liveData/boxscore/teams/{side}/teamStats/batting/{stat}",
                    expected=line_value,
                    actual=team_value,
                    message=f"boxscore has {side} {stat} {team_value}, linescore {line_value}",
                )
        sums = p.batting_sums[side]
        if sums is None:
            continue
        for stat, summed in zip(("runs", "hits"), sums, strict=True):
            team_value = as_int(batting.get(stat))
            if team_value is None:
                continue
            if summed != team_value:
                yield R.PLAYER_BATTING_SUMS.finding(
                    game_pk=p.game_pk,
                    timecode=p.timecode,
                    path=f"/liveData/boxscore/teams/{side}/teamStats/batting/{stat}",
                    expected=summed,
                    actual=team_value,
                    message=f"{side} players' batting {stat} add up to {summed}, "
                    f"the team line says {team_value}",
                )


# --- decisions --------------------------------------------------------------------------------
def _decisions(p: FeedParts) -> Iterator[Finding]:
    if not p.decisions:
        return
    if not p.is_final:
        yield R.DECISIONS_ONLY_WHEN_FINAL.finding(
            game_pk=p.game_pk,
            timecode=p.timecode,
            path="/liveData/decisions",
            expected=None,
            actual=sorted(p.decisions),
            message=f"decisions present while the game is {p.abstract_game_state}",
        )
        return
    box_teams = as_dict(p.boxscore.get("teams"))
    pitched = {side: set(as_list(as_dict(box_teams.get(side)).get("pitchers"))) for side in SIDES}
    if not any(pitched.values()):
        return  # no boxscore to check against
    line_teams = as_dict(p.linescore.get("teams"))
    runs = [as_int(as_dict(line_teams.get(side)).get("runs")) for side in SIDES]
    winner_side: str | None = None
    if runs[0] is not None and runs[1] is not None and runs[0] != runs[1]:
        winner_side = "away" if runs[0] > runs[1] else "home"
    for role, person in p.decisions.items():
        pid = as_int(as_dict(person).get("id"))
        if pid is None:
            continue
        sides = [side for side in SIDES if pid in pitched[side]]
        path = f"/liveData/decisions/{role}/id"
        if not sides:
            yield R.DECISIONS_NAME_PLAYERS.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=path,
                expected="a pitcher of this game",
                actual=pid,
                message=f"{role} {pid} did not pitch in this game",
            )
            continue
        if winner_side is None or role not in ("winner", "loser", "save"):
            continue
        loser_side = "home" if winner_side == "away" else "away"
        want = loser_side if role == "loser" else winner_side
        if want not in sides:
            yield R.DECISIONS_NAME_PLAYERS.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=path,
                expected=f"a {want} pitcher",
                actual=pid,
                message=f"{role} {pid} pitched for the {sides[0]} team, not the {want} team",
            )


# --- rosters ----------------------------------------------------------------------------------
def _players_in_roster(p: FeedParts) -> Iterator[Finding]:
    if not p.players:
        return
    box_teams = as_dict(p.boxscore.get("teams"))
    box_ids: set[str] = set()
    for side in SIDES:
        box_ids.update(as_dict(as_dict(box_teams.get(side)).get("players")))
    seen: set[int] = set()
    for index, play in enumerate(p.plays):
        # Runners are named by their index; the JSON path is only built for a finding.
        for pid, where in play.people:
            if pid in seen:
                continue
            seen.add(pid)
            key = f"ID{pid}"
            if key in p.players and (not box_ids or key in box_ids):
                continue
            missing = [
                name
                for name, ids in (("gameData.players", p.players), ("boxscore", box_ids))
                if ids and key not in ids
            ]
            place = f"runners/{where}/details/runner/id" if type(where) is int else f"{where}/id"
            yield R.PLAYS_PLAYERS_IN_ROSTER.finding(
                game_pk=p.game_pk,
                timecode=p.timecode,
                path=f"/liveData/plays/allPlays/{index}/{place}",
                expected=f"{key} in {' and '.join(missing)}",
                actual=pid,
                message=f"player {pid} appears in play {index} but not in {', '.join(missing)}",
            )


_CHECKS = (
    _linescore_sums,
    _plays_scores,
    _plays_runs_by_half,
    _three_outs,
    _boxscore,
    _decisions,
    _players_in_roster,
    _current_inning,
    _count,
)
