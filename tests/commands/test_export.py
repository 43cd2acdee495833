"""`mlbdash export validation` against a database filled by the validator."""

from __future__ import annotations

import asyncio
import copy
import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import load_fixture

from mlbdash.cli import main
from mlbdash.ingest.store import Store
from mlbdash.ingest.validator.export import COLUMNS
from mlbdash.ingest.validator.review import validate_and_record
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 7, 1, 22, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_DB_PATH", raising=False)


def derived_broken_feeds() -> list[Any]:
    """Two real Final feeds, each with one fact broken (derived data)."""
    hou_tor = copy.deepcopy(load_fixture("feed/feed_744914_final.json.gz"))
    hou_tor["liveData"]["linescore"]["innings"][2]["home"]["hits"] += 1  # error
    tor_az = copy.deepcopy(load_fixture("feed/feed_747175_final_nocopyright.json.gz"))
    tor_az["liveData"]["linescore"]["balls"] = 7  # warning
    return [hou_tor, tor_az]


async def _fill(db: Path) -> None:
    async with Store.open(db, clock=ManualClock(START)) as store:
        for feed in derived_broken_feeds():
            teams = feed["gameData"]["teams"]
            await store.upsert_game(
                feed["gamePk"],
                {
                    "away_abbrev": teams["away"]["abbreviation"],
                    "home_abbrev": teams["home"]["abbreviation"],
                },
            )
            await validate_and_record(store, feed)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    asyncio.run(_fill(path))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def test_export_all_findings(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "findings.csv"
    assert main(["export", "validation", "--db", str(db), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 2 findings to {out}"
    rows = read_csv(out)
    assert [(r["game_pk"], r["matchup"], r["rule"], r["severity"]) for r in rows] == [
        ("744914", "HOU @ TOR", "LINESCORE_HITS_SUM", "error"),
        ("747175", "TOR @ AZ", "COUNT_POSSIBLE", "warning"),
    ]
    assert rows[0]["official_date"] == "2024-07-01"
    assert rows[0]["status"] == "open" and rows[0]["occurrences"] == "1"


def test_filters(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.csv"
    args = ["export", "validation", "--db", str(db), "--out", str(out), "--force"]
    assert main([*args, "--severity", "error"]) == 0
    assert [r["rule"] for r in read_csv(out)] == ["LINESCORE_HITS_SUM"]
    assert main([*args, "--date", "2024-07-12"]) == 0
    assert [r["game_pk"] for r in read_csv(out)] == ["747175"]
    assert main([*args, "--start", "2024-07-02", "--end", "2024-07-31"]) == 0
    assert [r["game_pk"] for r in read_csv(out)] == ["747175"]
    assert main([*args, "--status", "resolved"]) == 0
    assert read_csv(out) == []
    capsys.readouterr()


def test_refuses_to_overwrite_without_force(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "keep.csv"
    out.write_text("precious", encoding="utf-8")
    assert main(["export", "validation", "--db", str(db), "--out", str(out)]) == 2
    assert f"mlbdash: {out} already exists; use --force to overwrite it" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "precious"


def test_unwritable_path_and_bad_flags(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no" / "such" / "dir.csv"
    assert main(["export", "validation", "--db", str(db), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    both = ["--date", "2024-07-01", "--start", "2024-07-01"]
    assert main(["export", "validation", "--db", str(db), "--out", "x.csv", *both]) == 2
    assert "give --date or --start/--end, not both" in capsys.readouterr().err
    backwards = ["--start", "2024-07-02", "--end", "2024-07-01"]
    assert main(["export", "validation", "--db", str(db), "--out", "x.csv", *backwards]) == 2
    assert "is after --end" in capsys.readouterr().err
    missing_db = str(tmp_path / "none.sqlite3")
    assert main(["export", "validation", "--db", missing_db, "--out", str(tmp_path / "y")]) == 2
    assert "no database at" in capsys.readouterr().err
