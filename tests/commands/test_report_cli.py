"""`mlbdash report`: exit codes, formats and one-line errors (named apart from
tests/ingest/test_report.py: the test folders are not packages, so basenames must differ)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from report_helpers import JULY1, game_day_db

from mlbdash.cli import main
from mlbdash.commands.report import write_report
from mlbdash.mlb.clock import ManualClock

NOW = datetime(2024, 7, 2, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_DB_PATH", raising=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-cli") / "mlbdash.sqlite3"
    asyncio.run(game_day_db(path))
    return path


def test_json_for_a_date(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--db", str(db), "--date", "2024-07-01", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0
    assert out.err == ""
    doc = json.loads(out.out)
    assert doc["official_date"] == "2024-07-01"
    assert doc["games"]["list"][0]["matchup"] == "HOU @ TOR"
    assert doc["sla"]["coverage"]["missing"] == [744840, 746535]


def test_text_by_default_for_the_last_date_played(db: Path) -> None:
    out = io.StringIO()
    assert write_report(db, None, "text", clock=ManualClock(NOW), out=out) == 0
    text = out.getvalue()
    assert text.startswith("mlbdash daily report for 2024-07-01\n")
    [line] = [row for row in text.splitlines() if "HOU @ TOR" in row]
    assert "3-1" in line


def test_markdown_format(db: Path) -> None:
    out = io.StringIO()
    assert write_report(db, JULY1, "markdown", clock=ManualClock(NOW), out=out) == 0
    assert "| final | 744914 | HOU @ TOR | 3-1 | Final | yes |  |" in out.getvalue().splitlines()


def test_missing_database_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "mlbdash.sqlite3"
    assert main(["report", "--db", str(missing)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == f"mlbdash: no database at {missing}; give --db\n"
    assert not missing.exists()  # a report never creates a database


def test_not_a_database_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database\n")
    assert main(["report", "--db", str(text)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlbdash: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_untracked_date_is_exit_1_with_a_clear_message(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--db", str(db), "--date", "2024-07-02"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"mlbdash: nothing tracked for 2024-07-02 in {db}: no schedule or games stored\n"
    )


def test_bad_date_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--db", str(db), "--date", "yesterday"])
    assert exit_info.value.code == 2
    assert "not a date (want YYYY-MM-DD): 'yesterday'" in capsys.readouterr().err


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = capsys.readouterr().out
    assert "--format {text,markdown,json}" in text
    for line in (
        "0  report written",
        "1  nothing tracked for the date",
        "2  usage error: no database at the path",
    ):
        assert line in text


def test_date_defaults_through_the_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The real clock is far past July 2024: the last date played is still the default.
    assert main(["report", "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["official_date"] == JULY1.isoformat()
