"""Schema checks (fast field checks and the full model parse) and drift, on derived feeds."""

from __future__ import annotations

import copy
import functools
from typing import Any

from conftest import load_fixture

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator.service import (
    FeedContext,
    rules_checked,
    validate_feed,
    validate_schedule,
)

FINAL = "feed/feed_744914_final.json.gz"
SCHEDULE = "schedule/schedule_2025-08-27.json"
FULL = FeedContext(full=True)


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def copy_of(rel: str) -> Any:
    return copy.deepcopy(_cached(rel))


def keyed(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.severity, f.path) for f in findings}


def test_runs_as_text_is_one_schema_error_in_both_modes() -> None:
    feed = copy_of(FINAL)
    feed["liveData"]["linescore"]["teams"]["home"]["runs"] = "1"
    want = {("SCHEMA_INVALID", "error", "/liveData/linescore/teams/home/runs")}
    assert keyed(validate_feed(feed)) == want
    # The model parse sees it too; the fast check already named the path, so no duplicate.
    assert keyed(validate_feed(feed, context=FULL)) == want


def test_missing_game_pk_and_bad_timecode() -> None:
    feed = copy_of(FINAL)
    del feed["gamePk"]
    feed["metaData"]["timeStamp"] = "2024-07-01 21:44"
    found = keyed(validate_feed(feed))
    assert found == {
        ("SCHEMA_INVALID", "error", "/gamePk"),
        ("SCHEMA_INVALID", "error", "/metaData/timeStamp"),
    }


def test_unknown_status_code_in_a_feed() -> None:
    feed = copy_of(FINAL)
    feed["gameData"]["status"].update(statusCode="FZ", detailedState="Final: New Thing")
    (f,) = validate_feed(feed)
    assert (f.rule, f.severity, f.category, f.actual) == (
        "STATUS_UNKNOWN",
        "warning",
        "schema",
        "FZ",
    )
    assert f.path == "/gameData/status/statusCode"


def test_new_fields_are_info_drift_never_errors() -> None:
    feed = copy_of(FINAL)
    feed["gameData"]["robotUmpire"] = {"enabled": True}
    for play in feed["liveData"]["plays"]["allPlays"]:
        play["about"]["pitchClockViolation"] = 0
    (f,) = validate_feed(feed, context=FULL)
    assert (f.rule, f.severity, f.category, f.path) == ("FIELDS_DRIFTED", "info", "drift", "/")
    assert "/gameData/robotUmpire" in f.message
    assert "/liveData/plays/allPlays/[]/about/pitchClockViolation" in f.message
    assert f.actual == "2 drifted"
    assert validate_feed(feed) == []  # the fast path never parses the models


def test_retyped_optional_field_is_drift() -> None:
    feed = copy_of(FINAL)
    feed["gameData"]["weather"]["temp"] = {"f": 73}
    (f,) = validate_feed(feed, context=FULL)
    assert f.rule == "FIELDS_DRIFTED" and "/gameData/weather/temp (invalid dict)" in f.message


def test_needed_field_missing_under_the_models_is_an_error() -> None:
    feed = copy_of(FINAL)
    del feed["liveData"]["boxscore"]["teams"]["away"]["teamStats"]["batting"]["runs"]
    assert keyed(validate_feed(feed, context=FULL)) == {
        ("SCHEMA_MODEL", "error", "/liveData/boxscore/teams/away/teamStats/batting/runs")
    }


def test_preview_feed_needs_no_runs_yet() -> None:
    # Derived: the real feed turned into a scheduled game with an empty linescore.
    feed = copy_of(FINAL)
    feed["gameData"]["status"] = {
        "abstractGameState": "Preview",
        "codedGameState": "S",
        "detailedState": "Scheduled",
        "statusCode": "S",
        "startTimeTBD": False,
        "abstractGameCode": "P",
    }
    feed["liveData"] = {"plays": {"allPlays": []}, "linescore": {}, "boxscore": {}}
    assert validate_feed(feed, context=FULL) == []


def test_schedule_models() -> None:
    assert validate_schedule(_cached(SCHEDULE), full=True) == []
    schedule = copy_of(SCHEDULE)
    schedule["dates"][0]["games"][2]["broadcastDrone"] = "yes"
    del schedule["dates"][0]["games"][4]["teams"]["home"]["team"]["id"]
    found = keyed(validate_schedule(schedule, full=True))
    assert found == {
        ("SCHEMA_MODEL", "error", "/dates/[]/games/[]/teams/home/team/id"),
        ("FIELDS_DRIFTED", "info", "/"),
    }


def test_rules_checked_follow_the_context() -> None:
    assert "FIELDS_DRIFTED" not in rules_checked()
    assert {"SCHEMA_MODEL", "FIELDS_DRIFTED"} <= set(rules_checked(FULL))
