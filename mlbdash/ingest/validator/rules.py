"""The rule registry: every check the validator runs, with a stable id, severity and category.

Severity policy: any disagreement about runs, hits or the score is an error; an impossible but
harmless value (a count, an inning, a roster gap) is a warning; drift is info. A rule that fires
on a correct real feed is a bug in the rule, so every rule here holds on every recorded game in
tests/fixtures.
"""

from __future__ import annotations

from mlbdash.ingest.findings import Category, Rule, Severity

RULES: dict[str, Rule] = {}


def _rule(id: str, severity: Severity, category: Category, explanation: str) -> Rule:
    if id in RULES:
        raise ValueError(f"duplicate rule id {id}")
    rule = Rule(id=id, severity=severity, category=category, explanation=explanation)
    RULES[id] = rule
    return rule


def rule(rule_id: str) -> Rule:
    """The registered rule with this id (KeyError for an unknown id)."""
    return RULES[rule_id]


# --- consistency of one live feed -------------------------------------------------------------
LINESCORE_RUNS_SUM = _rule(
    "LINESCORE_RUNS_SUM", "error", "consistency", "Inning runs add up to the team's runs."
)
LINESCORE_HITS_SUM = _rule(
    "LINESCORE_HITS_SUM", "error", "consistency", "Inning hits add up to the team's hits."
)
LINESCORE_ERRORS_SUM = _rule(
    "LINESCORE_ERRORS_SUM", "warning", "consistency", "Inning errors add up to the team's errors."
)
PLAY_SCORE_MONOTONIC = _rule(
    "PLAY_SCORE_MONOTONIC", "error", "consistency", "The score never goes down from play to play."
)
LAST_PLAY_SCORE_MATCHES_LINESCORE = _rule(
    "LAST_PLAY_SCORE_MATCHES_LINESCORE",
    "error",
    "consistency",
    "The latest play's score equals the linescore's runs.",
)
PLAYS_RUNS_MATCH_INNINGS = _rule(
    "PLAYS_RUNS_MATCH_INNINGS",
    "error",
    "consistency",
    "Runs scored in each finished half inning by the plays equal that inning's linescore runs.",
)
HALF_INNING_THREE_OUTS = _rule(
    "HALF_INNING_THREE_OUTS",
    "warning",
    "consistency",
    "A finished half inning ends with three outs, unless the game ended in it.",
)
BOXSCORE_RUNS_MATCH = _rule(
    "BOXSCORE_RUNS_MATCH", "error", "consistency", "Boxscore team batting runs equal the linescore."
)
BOXSCORE_HITS_MATCH = _rule(
    "BOXSCORE_HITS_MATCH", "error", "consistency", "Boxscore team batting hits equal the linescore."
)
PLAYER_BATTING_SUMS = _rule(
    "PLAYER_BATTING_SUMS",
    "error",
    "consistency",
    "Players' batting runs and hits add up to the team's batting line.",
)
DECISIONS_ONLY_WHEN_FINAL = _rule(
    "DECISIONS_ONLY_WHEN_FINAL",
    "warning",
    "consistency",
    "Winning, losing and save pitchers exist only once the game is Final.",
)
DECISIONS_NAME_PLAYERS = _rule(
    "DECISIONS_NAME_PLAYERS",
    "warning",
    "consistency",
    "Decisions name pitchers who pitched, the winner and save for the winning team.",
)
PLAYS_PLAYERS_IN_ROSTER = _rule(
    "PLAYS_PLAYERS_IN_ROSTER",
    "warning",
    "consistency",
    "Every batter, pitcher and runner in the plays is in the game's players and boxscore.",
)
CURRENT_INNING_POSSIBLE = _rule(
    "CURRENT_INNING_POSSIBLE",
    "warning",
    "consistency",
    "Innings are numbered 1..n and the current inning and half are the last one listed.",
)
COUNT_POSSIBLE = _rule(
    "COUNT_POSSIBLE",
    "warning",
    "consistency",
    "Balls are 0-4, strikes 0-3 and outs 0-3.",
)

# --- schema (through the domain models) -------------------------------------------------------
SCHEMA_INVALID = _rule(
    "SCHEMA_INVALID",
    "error",
    "schema",
    "A field mlbdash reads is missing or has the wrong type.",
)
SCHEMA_MODEL = _rule(
    "SCHEMA_MODEL",
    "error",
    "schema",
    "Parsed through the domain models, the fields mlbdash needs are present and well typed.",
)
STATUS_UNKNOWN = _rule(
    "STATUS_UNKNOWN",
    "warning",
    "schema",
    "The game status code is one of the statuses MLB publishes in v1/gameStatus.",
)
FIELDS_DRIFTED = _rule(
    "FIELDS_DRIFTED",
    "info",
    "drift",
    "The response has the fields the models know (new, vanished or retyped fields listed).",
)
DRIFT_CONFIRMED = _rule(
    "DRIFT_CONFIRMED",
    "info",
    "drift",
    "A whole feed that looked drifted, fetched again by its timecode, came back the same: the "
    "server serves it that way, so it is stored as served.",
)
SERVED_COPY_REPLACED = _rule(
    "SERVED_COPY_REPLACED",
    "warning",
    "drift",
    "A whole feed that looked drifted, fetched again by its timecode, came back different: "
    "the server's own copy is stored instead of the one first served.",
)
SERVED_COPY_UNSETTLED = _rule(
    "SERVED_COPY_UNSETTLED",
    "warning",
    "drift",
    "A whole feed that looked drifted could not be confirmed by fetching it again (no two "
    "copies agreed, or the requests failed): the copy first served is stored.",
)

# --- consistency of one schedule response -----------------------------------------------------
SCHEDULE_TOTALS_MATCH = _rule(
    "SCHEDULE_TOTALS_MATCH",
    "warning",
    "consistency",
    "totalGames equals the number of games listed (per date and overall).",
)
SCHEDULE_GAME_DATE = _rule(
    "SCHEDULE_GAME_DATE",
    "warning",
    "consistency",
    "A game's officialDate is the date it is listed under, unless it was moved.",
)
SCHEDULE_LINESCORE_RUNS_SUM = _rule(
    "SCHEDULE_LINESCORE_RUNS_SUM",
    "error",
    "consistency",
    "In a hydrated schedule, inning runs add up to the linescore runs.",
)
SCHEDULE_SCORE_MATCHES_LINESCORE = _rule(
    "SCHEDULE_SCORE_MATCHES_LINESCORE",
    "error",
    "consistency",
    "In a hydrated schedule, each team's score equals its linescore runs.",
)

# --- cross-reference --------------------------------------------------------------------------
SCHEDULE_FEED_TEAMS = _rule(
    "SCHEDULE_FEED_TEAMS",
    "error",
    "cross-reference",
    "The schedule and the feed name the same away and home teams.",
)
SCHEDULE_FEED_DATE = _rule(
    "SCHEDULE_FEED_DATE",
    "warning",
    "cross-reference",
    "The schedule and the feed give the same officialDate.",
)
SCHEDULE_FEED_STATUS = _rule(
    "SCHEDULE_FEED_STATUS",
    "info",
    "freshness",
    "The schedule and the feed agree on abstractGameState (the schedule may lag a poll).",
)
SCHEDULE_FEED_SCORE = _rule(
    "SCHEDULE_FEED_SCORE",
    "error",
    "cross-reference",
    "When both say Final, the schedule's score equals the feed's linescore.",
)
TIMECODE_INCREASES = _rule(
    "TIMECODE_INCREASES",
    "warning",
    "freshness",
    "Each stored version of a game has a later metaData.timeStamp than the one before.",
)
SCORE_DROP_UNEXPLAINED = _rule(
    "SCORE_DROP_UNEXPLAINED",
    "error",
    "cross-reference",
    "A team's runs only drop between versions when MLB recorded why (overturned review, "
    "rescored play).",
)
MERGE_DIVERGED = _rule(
    "MERGE_DIVERGED",
    "error",
    "cross-reference",
    "A feed built from diffPatch merges equals a fresh full fetch of the same timecode.",
)
VERSION_GAP = _rule(
    "VERSION_GAP",
    "error",
    "cross-reference",
    "Every version the server lists in a game's timestamps, from the first one stored on, is "
    "stored and rebuilds to itself (the archive audit; the finding names the timecodes).",
)
