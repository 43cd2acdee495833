"""Cross-reference rules: schedule versus feed, consecutive versions, merged versus full.

How a legitimate score drop shows in real data: MLB takes runs back through a replay review
that overturns the call (the play gains ``reviewDetails.isOverturned: true``) or by rescoring
a play (it leaves ``liveData.plays.scoringPlays``, or plays are rewritten and their number
falls). A drop with none of these between two versions is unexplained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import rules as R
from mlbdash.ingest.validator.consistency import SIDES, FeedParts, as_dict, as_int, as_list
from mlbdash.ingest.validator.corrections import Correction


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """What check_consecutive needs of a stored version; small enough to keep per game."""

    game_pk: int | None
    timecode: str | None
    away_runs: int | None
    home_runs: int | None
    plays: int
    overturned_reviews: int
    scoring_plays: tuple[int, ...]


def summarize_feed(feed: Mapping[str, Any], parts: FeedParts | None = None) -> VersionSummary:
    parts = parts if parts is not None else FeedParts.of(feed)
    teams = as_dict(parts.linescore.get("teams"))
    overturned = sum(1 for play in parts.plays if play.overturned)
    plays = as_dict(as_dict(feed.get("liveData")).get("plays"))
    scoring = tuple(i for i in as_list(plays.get("scoringPlays")) if as_int(i) is not None)
    return VersionSummary(
        game_pk=parts.game_pk,
        timecode=parts.timecode,
        away_runs=as_int(as_dict(teams.get("away")).get("runs")),
        home_runs=as_int(as_dict(teams.get("home")).get("runs")),
        plays=len(parts.plays),
        overturned_reviews=overturned,
        scoring_plays=scoring,
    )


def check_consecutive(
    prev: VersionSummary,
    new: VersionSummary | Mapping[str, Any],
    parts: FeedParts | None = None,
) -> list[Finding]:
    """Findings about a new version of a game compared with the version stored before it.

    ``new`` is the new version's summary or the feed itself (``parts``: its FeedParts).
    """
    cur = new if isinstance(new, VersionSummary) else summarize_feed(new, parts)
    out: list[Finding] = []
    if prev.timecode and cur.timecode and cur.timecode <= prev.timecode:
        # Timecodes are fixed-width YYYYMMDD_HHMMSS, so text order is time order.
        out.append(
            R.TIMECODE_INCREASES.finding(
                game_pk=cur.game_pk,
                timecode=cur.timecode,
                path="/metaData/timeStamp",
                expected=f"> {prev.timecode}",
                actual=cur.timecode,
                message=f"version {cur.timecode} is not later than the stored {prev.timecode}",
            )
        )
    explained = (
        cur.overturned_reviews > prev.overturned_reviews
        or bool(set(prev.scoring_plays) - set(cur.scoring_plays))
        or cur.plays < prev.plays
    )
    for side, before, after in (
        ("away", prev.away_runs, cur.away_runs),
        ("home", prev.home_runs, cur.home_runs),
    ):
        if before is None or after is None or after >= before or explained:
            continue
        out.append(
            R.SCORE_DROP_UNEXPLAINED.finding(
                game_pk=cur.game_pk,
                timecode=cur.timecode,
                path=f"/liveData/linescore/teams/{side}/runs",
                expected=f">= {before}",
                actual=after,
                message=f"{side} runs fell from {before} ({prev.timecode}) to {after} with no "
                "overturned review or rescored play",
            )
        )
    return out


# --- schedule versus feed ---------------------------------------------------------------------
_MOVED_KEYS = ("rescheduleDate", "rescheduledFrom", "rescheduledTo", "resumeDate", "resumedFrom")


def check_schedule_vs_feed(
    schedule_game: Mapping[str, Any], feed: Mapping[str, Any]
) -> list[Finding]:
    """Teams, officialDate, status and (when both are Final) the score of one game."""
    parts = FeedParts.of(feed)
    game_data = as_dict(feed.get("gameData"))
    out: list[Finding] = []
    out.extend(_teams(schedule_game, game_data, parts))
    sched_date = schedule_game.get("officialDate")
    game_datetime = as_dict(game_data.get("datetime"))
    feed_date = game_datetime.get("officialDate")
    # A postponed or suspended game lives on two dates; the two answers may name either.
    moved = any(key in schedule_game for key in _MOVED_KEYS) or any(
        key in game_datetime for key in _MOVED_KEYS
    )
    if (
        isinstance(sched_date, str)
        and isinstance(feed_date, str)
        and sched_date != feed_date
        and not moved
    ):
        out.append(
            R.SCHEDULE_FEED_DATE.finding(
                game_pk=parts.game_pk,
                timecode=parts.timecode,
                path="/gameData/datetime/officialDate",
                expected=sched_date,
                actual=feed_date,
                message=f"schedule dates the game {sched_date}, the feed {feed_date}",
            )
        )
    sched_state = as_dict(schedule_game.get("status")).get("abstractGameState")
    if isinstance(sched_state, str) and parts.abstract_game_state not in (None, sched_state):
        out.append(
            R.SCHEDULE_FEED_STATUS.finding(
                game_pk=parts.game_pk,
                timecode=parts.timecode,
                path="/gameData/status/abstractGameState",
                expected=sched_state,
                actual=parts.abstract_game_state,
                message=f"schedule says {sched_state}, the feed {parts.abstract_game_state}",
            )
        )
    if sched_state == "Final" and parts.is_final:
        out.extend(_final_score(schedule_game, parts))
    return out


def _teams(
    schedule_game: Mapping[str, Any], game_data: Mapping[str, Any], parts: FeedParts
) -> Iterator[Finding]:
    sched_teams = as_dict(schedule_game.get("teams"))
    feed_teams = as_dict(game_data.get("teams"))
    for side in SIDES:
        want = as_int(as_dict(as_dict(sched_teams.get(side)).get("team")).get("id"))
        got = as_int(as_dict(feed_teams.get(side)).get("id"))
        if want is not None and got is not None and want != got:
            yield R.SCHEDULE_FEED_TEAMS.finding(
                game_pk=parts.game_pk,
                timecode=parts.timecode,
                path=f"/gameData/teams/{side}/id",
                expected=want,
                actual=got,
                message=f"schedule has {side} team {want}, the feed {got}",
            )


def _final_score(schedule_game: Mapping[str, Any], parts: FeedParts) -> Iterator[Finding]:
    sched_teams = as_dict(schedule_game.get("teams"))
    line_teams = as_dict(parts.linescore.get("teams"))
    for side in SIDES:
        want = as_int(as_dict(sched_teams.get(side)).get("score"))
        got = as_int(as_dict(line_teams.get(side)).get("runs"))
        if want is not None and got is not None and want != got:
            yield R.SCHEDULE_FEED_SCORE.finding(
                game_pk=parts.game_pk,
                timecode=parts.timecode,
                path=f"/liveData/linescore/teams/{side}/runs",
                expected=want,
                actual=got,
                message=f"final {side} score is {want} in the schedule, {got} in the feed",
            )


# --- merged versus full -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MergeCheck:
    """Result of comparing a diff-merged feed with a full fetch of the same timecode.

    ``comparable`` is False when the two are different versions (nothing was checked);
    ``correction`` is a refetch the caller must act on when they diverge.
    """

    comparable: bool
    findings: tuple[Finding, ...]
    correction: Correction | None
    divergent_paths: tuple[str, ...]


# A full feed from diffPatch carries no copyright; the merged one keeps its base's. Not data.
_IGNORED_TOP = frozenset({"copyright"})


def compare_merged_vs_full(
    merged: Mapping[str, Any], full: Mapping[str, Any], *, max_paths: int = 5
) -> MergeCheck:
    """Compare two whole feeds; on divergence a MERGE_DIVERGED finding and a refetch."""
    m_parts = FeedParts.of(merged)
    f_parts = FeedParts.of(full)
    if m_parts.timecode != f_parts.timecode:
        return MergeCheck(False, (), None, ())
    paths: list[str] = []
    keys = (set(merged) | set(full)) - _IGNORED_TOP
    for key in sorted(keys):
        _diff(
            merged.get(key, _MISSING), full.get(key, _MISSING), f"/{_escape(key)}", paths, max_paths
        )
        if len(paths) >= max_paths:
            break
    if not paths:
        return MergeCheck(True, (), None, ())
    game_pk = f_parts.game_pk
    finding = R.MERGE_DIVERGED.finding(
        game_pk=game_pk,
        timecode=f_parts.timecode,
        path=paths[0],
        expected="same as full fetch",
        actual=f"{len(paths)}{'+' if len(paths) >= max_paths else ''} differing paths",
        message=f"merged feed differs from a full fetch at {', '.join(paths)}",
    )
    correction = Correction(
        game_pk=game_pk,
        action="refetch",
        reason=f"merged feed diverged from a full fetch at {paths[0]}",
    )
    return MergeCheck(True, (finding,), correction, tuple(paths))


_MISSING = object()


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit or a == b:
        return  # == on dicts and lists runs in C: cheap when (as nearly always) they agree
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}/{_escape(key)}", out, limit)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}/{i}", out, limit)
        return
    out.append(path)


def sample_for_merge_check(game_pk: int, timecode: str, rate: float) -> bool:
    """Whether this merged version is one of the sampled ``rate`` share to verify.

    Deterministic per (game, version), so a replay or a test samples the same versions.
    """
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"{game_pk}:{timecode}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate
