"""Consistency rules: silent on every real feed, and each fires when exactly its fact is broken.

Every broken feed here is derived from a real feed (copied, then one value changed).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator.consistency import CHECKED_RULES, check_feed
from mlbdash.ingest.validator.rules import RULES

FEEDS = [*fixture_files("feed"), "diffpatch/diffpatch_776567_noparams_fullgame.json.gz"]
FINAL = "feed/feed_744914_final.json.gz"  # HOU 3 @ TOR 1, nine full innings, W/L/S
WALK_OFF = "feed/feed_747175_final_nocopyright.json.gz"  # bottom 9th ends with 2 outs
NO_BOTTOM_9 = "feed/feed_662751_final.json.gz"  # home team did not bat in the 9th
LIVE = "feed/feed_746139_live_t7_20240612_041248.json.gz"  # top 7th, at-bat in progress


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def feed(rel: str) -> Any:
    """A private copy of a real feed, safe to break."""
    return copy.deepcopy(_cached(rel))


def fired(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


@pytest.mark.parametrize("rel", FEEDS)
def test_real_feeds_raise_nothing_at_any_level(rel: str) -> None:
    # Stricter than "no errors": a warning on correct data is a false positive too.
    assert check_feed(_cached(rel)) == []


def test_every_checked_rule_is_registered_and_tested_below() -> None:
    assert set(CHECKED_RULES) <= set(RULES)
    tested = {name for name, _ in BREAKS}
    assert tested == set(CHECKED_RULES)


def _inning_runs_up(f: Any) -> None:
    # Inning 5 (index 4) of the away team: plays still say 1 run there, so the per-half
    # cross-check fires as well; that second rule is the expected consequence, not noise.
    f["liveData"]["linescore"]["innings"][4]["away"]["runs"] += 1


def _inning_hits_up(f: Any) -> None:
    f["liveData"]["linescore"]["innings"][2]["home"]["hits"] += 1


def _inning_errors_up(f: Any) -> None:
    f["liveData"]["linescore"]["innings"][3]["home"]["errors"] += 1


def _middle_play_score_up(f: Any) -> None:
    # Play 10 is inside a half inning (not its last play), so only the order of scores breaks.
    plays = f["liveData"]["plays"]["allPlays"]
    assert plays[10]["about"]["inning"] == plays[11]["about"]["inning"]
    assert plays[10]["about"]["halfInning"] == plays[11]["about"]["halfInning"]
    plays[10]["result"]["awayScore"] = 5


def _last_play_score_up(f: Any) -> None:
    f["liveData"]["plays"]["allPlays"][-1]["result"]["homeScore"] += 1


def _runs_moved_between_innings(f: Any) -> None:
    # The away team's 1 run of the 5th moved to the 4th: totals still add up, plays disagree.
    innings = f["liveData"]["linescore"]["innings"]
    assert innings[4]["away"]["runs"] == 1
    innings[4]["away"]["runs"] = 0
    innings[3]["away"]["runs"] = 1


def _third_out_missing(f: Any) -> None:
    plays = f["liveData"]["plays"]["allPlays"]
    last_of_first_half = max(
        i
        for i, p in enumerate(plays)
        if p["about"]["inning"] == 1 and p["about"]["halfInning"] == "top"
    )
    plays[last_of_first_half]["count"]["outs"] = 2


def _boxscore_runs_up(f: Any) -> None:
    # The team line is also what the players must add up to, so PLAYER_BATTING_SUMS fires too.
    f["liveData"]["boxscore"]["teams"]["home"]["teamStats"]["batting"]["runs"] += 1


def _boxscore_hits_up(f: Any) -> None:
    # As above: the team line disagrees with both the linescore and the players.
    f["liveData"]["boxscore"]["teams"]["away"]["teamStats"]["batting"]["hits"] += 1


def _player_hits_up(f: Any) -> None:
    players = f["liveData"]["boxscore"]["teams"]["away"]["players"]
    batter = next(p for p in players.values() if p["stats"]["batting"].get("atBats"))
    batter["stats"]["batting"]["hits"] += 1


def _decisions_while_live(f: Any) -> None:
    box = f["liveData"]["boxscore"]["teams"]
    f["liveData"]["decisions"] = {"winner": {"id": box["home"]["pitchers"][0]}}


def _winner_is_a_batter(f: Any) -> None:
    box = f["liveData"]["boxscore"]["teams"]["away"]
    batter_only = next(i for i in box["batters"] if i not in box["pitchers"])
    f["liveData"]["decisions"]["winner"]["id"] = batter_only


def _batter_not_in_rosters(f: Any) -> None:
    f["liveData"]["plays"]["allPlays"][3]["matchup"]["batter"]["id"] = 1


def _inning_twelve(f: Any) -> None:
    f["liveData"]["linescore"]["currentInning"] = 12


def _five_balls(f: Any) -> None:
    f["liveData"]["linescore"]["balls"] = 5


BREAKS: list[tuple[str, Any]] = [
    ("LINESCORE_RUNS_SUM", (FINAL, _inning_runs_up, {"PLAYS_RUNS_MATCH_INNINGS"})),
    ("LINESCORE_HITS_SUM", (FINAL, _inning_hits_up, set())),
    ("LINESCORE_ERRORS_SUM", (FINAL, _inning_errors_up, set())),
    ("PLAY_SCORE_MONOTONIC", (FINAL, _middle_play_score_up, set())),
    ("LAST_PLAY_SCORE_MATCHES_LINESCORE", (FINAL, _last_play_score_up, set())),
    ("PLAYS_RUNS_MATCH_INNINGS", (FINAL, _runs_moved_between_innings, set())),
    ("HALF_INNING_THREE_OUTS", (FINAL, _third_out_missing, set())),
    ("BOXSCORE_RUNS_MATCH", (FINAL, _boxscore_runs_up, {"PLAYER_BATTING_SUMS"})),
    ("BOXSCORE_HITS_MATCH", (FINAL, _boxscore_hits_up, {"PLAYER_BATTING_SUMS"})),
    ("PLAYER_BATTING_SUMS", (FINAL, _player_hits_up, set())),
    ("DECISIONS_ONLY_WHEN_FINAL", (LIVE, _decisions_while_live, set())),
    ("DECISIONS_NAME_PLAYERS", (FINAL, _winner_is_a_batter, set())),
    ("PLAYS_PLAYERS_IN_ROSTER", (FINAL, _batter_not_in_rosters, set())),
    ("CURRENT_INNING_POSSIBLE", (FINAL, _inning_twelve, set())),
    ("COUNT_POSSIBLE", (LIVE, _five_balls, set())),
]


@pytest.mark.parametrize(("rule", "case"), BREAKS, ids=[name for name, _ in BREAKS])
def test_breaking_what_a_rule_guards_fires_that_rule(rule: str, case: Any) -> None:
    rel, breaker, also = case
    broken = feed(rel)
    breaker(broken)
    findings = check_feed(broken)
    assert fired(findings) == {rule} | also
    mine = [f for f in findings if f.rule == rule]
    assert all(f.game_pk == broken["gamePk"] for f in mine)
    assert all(f.timecode == broken["metaData"]["timeStamp"] for f in mine)
    assert all(f.severity == RULES[rule].severity for f in mine)


def test_runs_finding_points_at_the_total_with_expected_and_actual() -> None:
    broken = feed(FINAL)
    broken["liveData"]["linescore"]["teams"]["home"]["runs"] = 2
    by_rule = {f.rule: f for f in check_feed(broken)}
    f = by_rule["LINESCORE_RUNS_SUM"]
    assert f.severity == "error"
    assert f.path == "/liveData/linescore/teams/home/runs"
    assert (f.expected, f.actual) == ("1", "2")
    # A wrong total also disagrees with the last play and the boxscore: all are errors.
    assert set(by_rule) == {
        "LINESCORE_RUNS_SUM",
        "LAST_PLAY_SCORE_MATCHES_LINESCORE",
        "BOXSCORE_RUNS_MATCH",
    }


def test_walk_off_half_inning_may_end_with_fewer_than_three_outs() -> None:
    f = _cached(WALK_OFF)
    last = f["liveData"]["plays"]["allPlays"][-1]
    assert last["about"]["halfInning"] == "bottom" and last["count"]["outs"] == 2
    assert check_feed(f) == []


def test_same_short_half_inning_fires_when_it_did_not_end_the_game() -> None:
    # The walk-off game, but the home team had not taken the lead: then 2 outs is incomplete.
    broken = feed(WALK_OFF)
    for play in broken["liveData"]["plays"]["allPlays"][-1:]:
        play["result"]["homeScore"] = play["result"]["awayScore"]
    findings = check_feed(broken)
    assert "HALF_INNING_THREE_OUTS" in fired(findings)


def test_game_completed_early_may_stop_mid_inning() -> None:
    broken = feed(WALK_OFF)
    play = broken["liveData"]["plays"]["allPlays"][-1]
    play["result"]["homeScore"] = play["result"]["awayScore"]
    status = broken["gameData"]["status"]
    status.update(codedGameState="F", statusCode="FR", detailedState="Completed Early: Rain")
    assert "HALF_INNING_THREE_OUTS" not in fired(check_feed(broken))


def test_home_team_not_batting_in_the_ninth_has_no_runs_key() -> None:
    f = _cached(NO_BOTTOM_9)
    ninth = f["liveData"]["linescore"]["innings"][8]
    assert "runs" not in ninth["home"]
    assert check_feed(f) == []


def test_missing_parts_are_skipped_not_crashed_on() -> None:
    broken = feed(FINAL)
    del broken["liveData"]["linescore"]
    broken["liveData"]["boxscore"] = "nonsense"
    broken["liveData"]["plays"]["allPlays"][0] = None
    assert check_feed(broken) == []
    assert check_feed({}) == []


def test_severity_policy_runs_hits_and_score_are_errors() -> None:
    for rule in RULES.values():
        assert rule.explanation.endswith("."), rule.id
        if {"RUNS", "HITS", "SCORE"} & set(rule.id.split("_")):
            assert rule.severity == "error", rule.id


def test_current_inning_one_ahead_between_halves_is_possible() -> None:
    # Derived: a live feed at the end of the 6th whose next inning is not listed yet, and one
    # whose next inning is listed before currentInning moves.
    ahead = feed(LIVE)
    ahead["liveData"]["linescore"]["currentInning"] = 8
    behind = feed(LIVE)
    behind["liveData"]["linescore"]["currentInning"] = 6
    assert check_feed(ahead) == [] and check_feed(behind) == []
    ahead["liveData"]["linescore"]["currentInning"] = 9
    assert fired(check_feed(ahead)) == {"CURRENT_INNING_POSSIBLE"}


def test_live_feed_ahead_of_its_third_out_is_judged_one_half_later() -> None:
    # Derived from the top-7th snapshot: the bottom 6th's last play lacks its third out.
    live = feed(LIVE)
    plays = live["liveData"]["plays"]["allPlays"]
    last_b6 = max(
        i
        for i, p in enumerate(plays)
        if p["about"]["inning"] == 6 and p["about"]["halfInning"] == "bottom"
    )
    plays[last_b6]["count"]["outs"] = 2
    assert check_feed(live) == []
    # Once the same game is Final, that half inning is wrong.
    live["gameData"]["status"].update(
        abstractGameState="Final", codedGameState="F", statusCode="F", detailedState="Final"
    )
    paths = {f.path for f in check_feed(live) if f.rule == "HALF_INNING_THREE_OUTS"}
    assert f"/liveData/plays/allPlays/{last_b6}/count/outs" in paths
