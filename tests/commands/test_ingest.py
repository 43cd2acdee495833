"""``mlbdash ingest``: flags, usage and configuration errors (exit 2), and the text summary.

A full run against the replay server is in tests/e2e (as a real process, with --json).
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlbdash.cli import main
from mlbdash.commands.ingest import write_summary
from mlbdash.ingest.scheduler.summary import IngestSummary
from mlbdash.ingest.views import GameRow


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MLBDASH_CONFIG", "MLBDASH_API_URL", "MLBDASH_DB_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "none.toml"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2024-13-01"], "--date: not a real calendar date"),
        (["--date", "yesterday"], "--date: not a date"),
        (["--date", "2024-07-01", "--start", "2024-07-01", "--end", "2024-07-02"], "not both"),
        (["--start", "2024-07-01"], "--start and --end go together"),
        (["--start", "2024-07-02", "--end", "2024-07-01"], "is before start date"),
        (["--duration", "0"], "--duration must be a positive number"),
        (["--give-up-after", "0"], "--give-up-after must be a positive number"),
        (["--give-up-after", "nan"], "--give-up-after must be a positive number"),
    ],
)
def test_bad_flags_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["ingest", "--db", str(tmp_path / "db.sqlite3"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_stop_conditions_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ingest", "--until-done", "--follow"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_bad_configuration_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("requests_per_second = -3\n", encoding="utf-8")
    code = main(["ingest", "--config", str(config), "--db", str(tmp_path / "db.sqlite3")])
    err = capsys.readouterr().err
    assert code == 2
    assert "requests_per_second" in err and str(config) in err


def test_unreadable_database_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
    code = main(["ingest", "--db", str(not_a_db), "--api-url", "http://127.0.0.1:9/api"])
    err = capsys.readouterr().err
    assert code != 0
    assert str(not_a_db) in err
    assert "Traceback" not in err


def _summary(complete: bool) -> IngestSummary:
    start = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
    games = (
        GameRow(662751, "2026-05-01", "CWS", "HOU", "final", "Final", away_score=3,
                home_score=4, versions=431, final_stored=True, timecode="20260502_021501",
                polls=356, full_updates=4, diff_updates=427),
        GameRow(661333, "2026-05-01", "BOS", "NYY", "postponed", "Postponed: Rain"),
    )  # fmt: skip
    return IngestSummary(
        started_at=start,
        stopped_at=start + timedelta(hours=4),
        stop_reason="done" if complete else "stopped",
        dates=("2026-05-01",),
        games=games,
        requests={
            "total": 880,
            "by_kind": {"diff_patch": 730, "feed": 2, "schedule": 142, "timestamps": 6},
            "retries": 3,
            "errors": 1,
            "bytes_wire": 731_379,
            "bytes_decoded": 4_136_384,
        },
        updates={"full": 4, "diff": 427},
        findings={"error": 0, "warning": 1, "info": 2},
        alerts={"fired": 2, "firing": []},
        coverage=1.0 if complete else 0.5,
        coverage_by_date={},
        gaps=()
        if complete
        else (
            {
                "date": "2026-05-01",
                "game_pk": 1,
                "detailed_state": "In Progress",
                "state": "live",
                "reason": "in progress",
            },
        ),
        degraded={
            "share": 0.02,
            "late_polls": 7,
            "due_polls": 350,
            "mean_late_s": 3.1,
            "max_late_s": 12.5,
        },
        sla={},
        complete=complete,
    )


def test_text_summary_lists_games_and_figures() -> None:
    out = io.StringIO()
    write_summary(_summary(True), out)
    text = out.getvalue()
    assert "stopped (done)" in text
    assert "CWS @ HOU" in text and "3-4" in text and "stored" in text
    assert "Postponed: Rain" in text
    assert "requests  880 (diff_patch 730, feed 2, schedule 142, timestamps 6)" in text
    assert "updates   4 full, 427 diff" in text
    assert "findings  0 errors, 1 warnings, 2 info" in text
    assert "coverage  100%" in text
    assert _summary(True).exit_code == 0


def test_text_summary_names_the_gaps_and_exits_1() -> None:
    out = io.StringIO()
    summary = _summary(False)
    write_summary(summary, out)
    assert "gap: 2026-05-01 game 1 In Progress: in progress" in out.getvalue()
    assert summary.exit_code == 1
    assert summary.as_dict()["coverage"] == 0.5


def test_text_summary_of_a_date_never_read_shows_unknown_coverage_and_why_it_gave_up() -> None:
    out = io.StringIO()
    summary = replace(
        _summary(False),
        games=(),
        gaps=(),
        coverage=None,
        stop_reason="gave_up",
        extra={"gave_up": "no successful request for 600s (since 20:00:00 ET): refused"},
    )
    write_summary(summary, out)
    text = out.getvalue()
    assert "stopped (gave_up)" in text
    assert "coverage  -;" in text and "100%" not in text
    assert "gave up   no successful request for 600s (since 20:00:00 ET): refused" in text
    assert summary.exit_code == 1
    assert summary.as_dict()["coverage"] is None


def test_a_game_met_mid_game_says_its_earlier_versions_are_not_archived() -> None:
    summary = _summary(True)
    met_late = replace(summary.games[0], not_archived=78)
    summary = replace(summary, games=(met_late, summary.games[1]))
    out = io.StringIO()
    write_summary(summary, out)
    assert (
        "earlier: game 662751: 78 versions before its first stored one not archived"
        in out.getvalue()
    )
    assert summary.as_dict()["games"][0]["not_archived"] == 78
    assert summary.exit_code == 0  # by design, not a gap
