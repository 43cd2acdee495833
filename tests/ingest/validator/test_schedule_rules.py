"""Schedule rules: silent on every real schedule, firing on a derived broken copy."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.ingest.validator.service import detect_kind, validate_schedule

SCHEDULES = fixture_files("schedule")
HYDRATED = "schedule/schedule_2026-04-20_hydrate_linescore_decisions.json.gz"
POSTPONED = "schedule/schedule_2022-04-07_2postponed.json"


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def schedule(rel: str) -> Any:
    return copy.deepcopy(_cached(rel))


@pytest.mark.parametrize("rel", SCHEDULES)
def test_real_schedules_raise_nothing(rel: str) -> None:
    assert detect_kind(_cached(rel)) == "schedule"
    assert validate_schedule(_cached(rel)) == []


def test_postponed_game_under_its_old_date_is_not_a_date_finding() -> None:
    s = _cached(POSTPONED)
    moved = [g for g in s["dates"][0]["games"] if g["officialDate"] != s["dates"][0]["date"]]
    assert len(moved) == 2 and all(g["status"]["codedGameState"] == "D" for g in moved)
    assert validate_schedule(s) == []


def test_final_game_listed_under_another_date_is_flagged() -> None:
    s = schedule("schedule/schedule_2025-08-27.json")
    s["dates"][0]["games"][0]["officialDate"] = "2025-08-28"
    (f,) = validate_schedule(s)
    assert (f.rule, f.severity, f.path) == (
        "SCHEDULE_GAME_DATE",
        "warning",
        "/dates/0/games/0/officialDate",
    )


def test_total_games_disagreeing_with_the_list() -> None:
    s = schedule("schedule/schedule_2024-07-01_3games.json")
    s["totalGames"] = 4
    (f,) = validate_schedule(s)
    assert (f.rule, f.path, f.expected, f.actual) == (
        "SCHEDULE_TOTALS_MATCH",
        "/totalGames",
        "3",
        "4",
    )


def test_hydrated_linescore_runs_and_score() -> None:
    s = schedule(HYDRATED)
    game = s["dates"][0]["games"][0]
    game["linescore"]["innings"][0]["away"]["runs"] += 1
    game["teams"]["home"]["score"] += 2
    found = {(f.rule, f.path, f.severity) for f in validate_schedule(s)}
    assert found == {
        ("SCHEDULE_LINESCORE_RUNS_SUM", "/dates/0/games/0/linescore/teams/away/runs", "error"),
        ("SCHEDULE_SCORE_MATCHES_LINESCORE", "/dates/0/games/0/teams/home/score", "error"),
    }


def test_unknown_status_code_is_a_schema_finding() -> None:
    s = schedule("schedule/schedule_2025-08-27.json")
    s["dates"][0]["games"][3]["status"]["statusCode"] = "ZZ"
    s["dates"][0]["games"][3]["status"]["codedGameState"] = "Z"
    (f,) = validate_schedule(s)
    assert (f.rule, f.category, f.severity) == ("STATUS_UNKNOWN", "schema", "warning")
    assert f.game_pk == s["dates"][0]["games"][3]["gamePk"]
    assert f.actual == "ZZ"


def test_detect_kind_rejects_other_responses() -> None:
    assert detect_kind(load_fixture("other/teams_mlb_2026.json")) is None
    assert (
        detect_kind(load_fixture("diffpatch/diffpatch_746139_20240612_041248_to_041302.json"))
        is None
    )
    assert detect_kind([]) is None
