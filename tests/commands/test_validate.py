"""`mlbdash validate` on recorded files and on a database, through mlbdash.cli.main."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import fixture_files, fixture_path, load_fixture

from mlbdash.cli import main
from mlbdash.ingest.store import ScheduleEntry, Store
from mlbdash.mlb.clock import ManualClock

FINAL = "feed/feed_744914_final.json.gz"
START = datetime(2024, 7, 1, 22, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_DB_PATH", raising=False)


def broken_final(tmp_path: Path) -> Path:
    """The real Final feed with home hits in the 3rd off by one (derived), gzipped."""
    feed = load_fixture(FINAL)
    feed["liveData"]["linescore"]["innings"][2]["home"]["hits"] += 1
    path = tmp_path / "broken.json.gz"
    path.write_bytes(gzip.compress(json.dumps(feed).encode()))
    return path


def test_every_real_fixture_validates_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(fixture_path(rel)) for rel in [*fixture_files("feed"), *fixture_files("schedule")]]
    files.append(str(fixture_path("diffpatch/diffpatch_776567_noparams_fullgame.json.gz")))
    assert main(["validate", *files]) == 0
    out = capsys.readouterr().out
    assert out.count("no findings") == len(files)


def test_error_finding_exits_1_and_is_grouped_by_game_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(broken_final(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "(feed, game 744914, HOU @ TOR, 20240701_214404): 1 finding, 1 error" in out
    assert "  game 744914\n    LINESCORE_HITS_SUM [error, consistency]\n" in out
    assert "/liveData/linescore/teams/home/hits" in out
    assert "(expected 5, actual 4)" in out


def test_json_output_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = str(fixture_path("schedule/schedule_2024-07-01_3games.json"))
    assert main(["validate", "--json", str(broken_final(tmp_path)), good]) == 1
    doc = json.loads(capsys.readouterr().out)
    broken, schedule = doc["files"]
    assert (broken["kind"], broken["game_pk"], schedule["kind"]) == ("feed", 744914, "schedule")
    assert schedule["findings"] == []
    (finding,) = broken["findings"]
    assert {k: finding[k] for k in ("rule", "severity", "category", "path")} == {
        "rule": "LINESCORE_HITS_SUM",
        "severity": "error",
        "category": "consistency",
        "path": "/liveData/linescore/teams/home/hits",
    }
    assert (finding["expected"], finding["actual"]) == ("5", "4")
    assert "message" in finding


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (b"{not json", "not JSON (Expecting property name enclosed in double quotes"),
        (b"\xff\xfe\x00", "not JSON (not UTF-8 text)"),
        (b'{"teams": []}', "neither a live feed nor a schedule response"),
        ("truncated", "truncated gzip"),
    ],
)
def test_unreadable_input_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, reason: str
) -> None:
    path = tmp_path / ("x.json.gz" if content == "truncated" else "x.json")
    if content == "truncated":
        whole = fixture_path(FINAL).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif content is not None:
        path.write_bytes(content)
    good = str(fixture_path("schedule/schedule_2025-08-27.json"))
    assert main(["validate", str(path), good]) == 2
    captured = capsys.readouterr()
    assert f"mlbdash: {path}: {reason}" in captured.err
    assert "Traceback" not in captured.err
    assert "no findings" in captured.out  # the readable file is still validated


def test_date_with_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--date", "2024-07-01", str(fixture_path(FINAL))]) == 2
    assert "--date selects stored games" in capsys.readouterr().err


def test_missing_database_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert "no database at" in capsys.readouterr().err


async def _store_games(path: Path, feeds: list[Any]) -> None:
    async with Store.open(path, clock=ManualClock(START)) as store:
        for feed in feeds:
            teams = feed["gameData"]["teams"]
            await store.store_version(
                feed["gamePk"],
                feed["metaData"]["timeStamp"],
                "full",
                feed,
                None,
                {
                    "away_abbrev": teams["away"]["abbreviation"],
                    "home_abbrev": teams["home"]["abbreviation"],
                },
            )
            official = feed["gameData"]["datetime"]["officialDate"]
            await store.upsert_schedule_games(
                [ScheduleEntry(feed["gamePk"], date.fromisoformat(official))]
            )


def test_stored_games_from_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db.sqlite3"
    good = load_fixture("feed/feed_747175_final_nocopyright.json.gz")
    bad = copy.deepcopy(load_fixture(FINAL))
    bad["liveData"]["boxscore"]["teams"]["away"]["teamStats"]["batting"]["runs"] = 9
    asyncio.run(_store_games(db, [good, bad]))

    assert main(["validate", "--db", str(db), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    by_game = {g["game_pk"]: g for g in doc["games"]}
    assert by_game[747175]["findings"] == []
    assert by_game[747175]["matchup"] == "TOR @ AZ"
    assert {f["rule"] for f in by_game[744914]["findings"]} == {
        "BOXSCORE_RUNS_MATCH",
        "PLAYER_BATTING_SUMS",
    }

    assert main(["validate", "--db", str(db), "--date", "2024-07-12"]) == 0
    out = capsys.readouterr().out
    assert "game 747175 (TOR @ AZ, 20240713_041909): no findings" in out
    assert "744914" not in out
