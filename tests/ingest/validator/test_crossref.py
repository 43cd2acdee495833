"""Cross-reference rules, corrections and the validate_feed entry point on real data."""

from __future__ import annotations

import copy
import dataclasses
import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.ingest.findings import has_errors
from mlbdash.ingest.validator.corrections import decide_corrections
from mlbdash.ingest.validator.crossref import (
    check_consecutive,
    check_schedule_vs_feed,
    compare_merged_vs_full,
    sample_for_merge_check,
    summarize_feed,
)
from mlbdash.ingest.validator.service import FeedContext, rules_checked, validate_feed
from mlbdash.mlb.patch import apply_diff_blocks

FINAL = "feed/feed_744914_final.json.gz"
SCHEDULE_744914 = "schedule/schedule_2024-07-01_3games.json"
T7 = "feed/feed_746139_live_t7_20240612_041248.json.gz"
B7 = "feed/feed_746139_live_b7_20240612_042717.json.gz"
PAIRS = [
    (T7, "diffpatch/diffpatch_746139_20240612_041248_to_041302.json"),
    (B7, "diffpatch/diffpatch_746139_20240612_042717_to_042758.json"),
]
NOW = datetime(2024, 7, 1, 22, 0, tzinfo=UTC)


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def copy_of(rel: str) -> Any:
    return copy.deepcopy(_cached(rel))


def schedule_game(game_pk: int) -> Any:
    s = _cached(SCHEDULE_744914)
    return copy.deepcopy(next(g for d in s["dates"] for g in d["games"] if g["gamePk"] == game_pk))


@pytest.mark.parametrize("rel", [*fixture_files("feed")])
def test_validate_feed_has_no_errors_on_real_feeds(rel: str) -> None:
    findings = validate_feed(_cached(rel))
    assert not has_errors(findings)
    assert findings == []


@pytest.mark.parametrize(("base", "diff"), PAIRS)
def test_feeds_merged_from_real_diffpatches_are_clean(base: str, diff: str) -> None:
    # Derived data: a real feed with its real diffPatch applied, as the tracker does.
    before = copy_of(base)
    merged = apply_diff_blocks(copy_of(base), _cached(diff))
    context = FeedContext(previous=summarize_feed(before))
    assert validate_feed(merged, context=context) == []


def test_the_two_live_snapshots_of_one_game_are_valid_consecutive_versions() -> None:
    assert check_consecutive(summarize_feed(_cached(T7)), _cached(B7)) == []


def test_an_older_version_after_a_newer_one_is_flagged() -> None:
    (f,) = check_consecutive(summarize_feed(_cached(B7)), _cached(T7))
    assert (f.rule, f.severity, f.category) == ("TIMECODE_INCREASES", "warning", "freshness")
    assert f.actual == "20240612_041248"


def test_score_drop_without_a_recorded_reason_is_an_error() -> None:
    later = copy_of(B7)
    later["metaData"]["timeStamp"] = "20240612_043000"
    later["liveData"]["linescore"]["teams"]["home"]["runs"] = 13
    (f,) = check_consecutive(summarize_feed(_cached(B7)), later)
    assert (f.rule, f.severity, f.path) == (
        "SCORE_DROP_UNEXPLAINED",
        "error",
        "/liveData/linescore/teams/home/runs",
    )
    assert (f.expected, f.actual) == (">= 14", "13")


def test_score_drop_after_an_overturned_review_is_explained() -> None:
    prev = summarize_feed(_cached(B7))
    later = copy_of(B7)
    later["metaData"]["timeStamp"] = "20240612_043000"
    later["liveData"]["linescore"]["teams"]["home"]["runs"] = 13
    play = later["liveData"]["plays"]["allPlays"][-3]
    play["reviewDetails"] = {"isOverturned": True, "inProgress": False, "reviewType": "MA"}
    assert check_consecutive(prev, later) == []


def test_score_drop_with_a_play_rescored_is_explained() -> None:
    prev = summarize_feed(_cached(B7))
    assert prev.scoring_plays
    dropped = dataclasses.replace(
        summarize_feed(_cached(B7)),
        timecode="20240612_043000",
        home_runs=13,
        scoring_plays=prev.scoring_plays[:-1],
    )
    assert check_consecutive(prev, dropped) == []


def test_validate_feed_with_previous_runs_consecutive_rules() -> None:
    context = FeedContext(previous=summarize_feed(_cached(B7)))
    assert [f.rule for f in validate_feed(_cached(T7), context=context)] == ["TIMECODE_INCREASES"]
    assert "SCORE_DROP_UNEXPLAINED" in rules_checked(context)
    assert "SCORE_DROP_UNEXPLAINED" not in rules_checked()


def test_schedule_agrees_with_the_feed_of_the_same_game() -> None:
    assert check_schedule_vs_feed(schedule_game(744914), _cached(FINAL)) == []


def test_schedule_versus_feed_disagreements() -> None:
    game = schedule_game(744914)
    game["teams"]["home"]["team"]["id"] = 147
    game["teams"]["away"]["score"] = 4
    game["officialDate"] = "2024-07-02"
    found = {(f.rule, f.severity, f.path) for f in check_schedule_vs_feed(game, _cached(FINAL))}
    assert found == {
        ("SCHEDULE_FEED_TEAMS", "error", "/gameData/teams/home/id"),
        ("SCHEDULE_FEED_SCORE", "error", "/liveData/linescore/teams/away/runs"),
        ("SCHEDULE_FEED_DATE", "warning", "/gameData/datetime/officialDate"),
    }


def test_schedule_lagging_the_feed_is_only_info() -> None:
    game = schedule_game(744914)
    game["status"]["abstractGameState"] = "Live"
    (f,) = check_schedule_vs_feed(game, _cached(FINAL))
    assert (f.rule, f.severity, f.category) == ("SCHEDULE_FEED_STATUS", "info", "freshness")


def test_merged_equal_to_full_passes_even_without_copyright() -> None:
    full = copy_of(FINAL)
    merged = copy_of(FINAL)
    del merged["copyright"]
    check = compare_merged_vs_full(merged, full)
    assert check.comparable and check.findings == () and check.correction is None


def test_divergent_merge_is_an_error_and_asks_for_a_refetch() -> None:
    full = copy_of(FINAL)
    merged = copy_of(FINAL)
    merged["liveData"]["linescore"]["outs"] = 2
    merged["liveData"]["plays"]["allPlays"].pop()
    check = compare_merged_vs_full(merged, full)
    assert check.divergent_paths == ("/liveData/linescore/outs", "/liveData/plays/allPlays")
    (f,) = check.findings
    assert (f.rule, f.severity, f.path) == ("MERGE_DIVERGED", "error", "/liveData/linescore/outs")
    assert check.correction is not None
    assert (check.correction.action, check.correction.game_pk) == ("refetch", 744914)


def test_merge_check_of_two_different_versions_is_not_comparable() -> None:
    check = compare_merged_vs_full(_cached(T7), _cached(B7))
    assert not check.comparable and check.correction is None


def test_merge_sampling_is_deterministic_and_near_the_rate() -> None:
    picks = [sample_for_merge_check(745000 + i, "20240612_041302", 0.1) for i in range(2000)]
    assert picks == [
        sample_for_merge_check(745000 + i, "20240612_041302", 0.1) for i in range(2000)
    ]
    assert 140 <= sum(picks) <= 260
    assert not sample_for_merge_check(1, "x", 0) and sample_for_merge_check(1, "x", 1)


def test_final_game_failing_a_rule_is_rechecked_after_the_delay() -> None:
    broken = copy_of(FINAL)
    broken["liveData"]["linescore"]["innings"][2]["home"]["hits"] += 1
    findings = validate_feed(broken)
    (c,) = decide_corrections(findings, is_final=True, now=NOW, recheck_delay_s=600)
    assert c.action == "recheck" and c.recheck_at == NOW + timedelta(minutes=10)
    assert "LINESCORE_HITS_SUM" in c.reason
    assert decide_corrections(findings, is_final=False, now=NOW) == []
    (default,) = decide_corrections(findings, is_final=True, now=NOW)
    assert default.recheck_at == NOW + timedelta(minutes=30)


def test_info_findings_never_trigger_a_recheck() -> None:
    game = schedule_game(744914)
    game["status"]["abstractGameState"] = "Live"
    findings = check_schedule_vs_feed(game, _cached(FINAL))
    assert decide_corrections(findings, is_final=True, now=NOW) == []


def test_rescheduled_game_may_carry_either_date() -> None:
    game = schedule_game(744914)
    game["officialDate"] = "2024-07-02"
    game["rescheduledFrom"] = "2024-07-01"
    assert check_schedule_vs_feed(game, _cached(FINAL)) == []
