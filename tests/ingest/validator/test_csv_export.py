"""CSV export of findings: columns, quoting, formula neutralisation, overwrite protection."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlbdash.ingest.store.findings import FindingRecord
from mlbdash.ingest.validator.export import (
    COLUMNS,
    ExportError,
    export_findings_csv,
    neutralise,
)

AT = datetime(2024, 7, 1, 21, 44, 4, tzinfo=UTC)


def record(**overrides: object) -> FindingRecord:
    values: dict[str, object] = {
        "id": 1,
        "fingerprint": "abc",
        "game_pk": 744914,
        "official_date": "2024-07-01",
        "rule": "LINESCORE_RUNS_SUM",
        "severity": "error",
        "category": "consistency",
        "timecode": "20240701_214404",
        "path": "/liveData/linescore/teams/home/runs",
        "expected": "1",
        "actual": "2",
        "message": "home runs by inning add up to 1, the total says 2",
        "first_seen": AT,
        "last_seen": AT,
        "occurrences": 3,
        "status": "open",
        "correction": None,
        "recheck_at": None,
        "matchup": "HOU @ TOR",
    }
    values.update(overrides)
    return FindingRecord(**values)  # type: ignore[arg-type]


def read_back(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_header_and_row_in_stable_columns(tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    assert export_findings_csv([record()], out) == 1
    raw = out.read_bytes()
    assert raw.startswith(b"game_pk,official_date,matchup,severity,category,rule,path,")
    assert b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    (row,) = read_back(out)
    assert list(row) == list(COLUMNS)
    assert row["matchup"] == "HOU @ TOR"
    assert row["occurrences"] == "3"
    assert row["first_seen"] == "2024-07-01T21:44:04+00:00"
    assert row["correction"] == ""


def test_quotes_commas_newlines_and_unicode_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    message = 'Yariel Rodríguez, "loser",\nnot in boxscore'
    export_findings_csv([record(message=message)], out)
    (row,) = read_back(out)
    assert row["message"] == message


def test_formula_cells_are_neutralised_but_numbers_are_data(tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    export_findings_csv(
        [
            record(
                message='=HYPERLINK("http://x")',
                expected="-1",
                actual="+2.5",
                correction="@SUM(A1)",
                path="-2+3+cmd|' /C calc'!A0",
                rule="\tTAB",
            )
        ],
        out,
    )
    (row,) = read_back(out)
    assert row["message"] == '\'=HYPERLINK("http://x")'
    assert row["correction"] == "'@SUM(A1)"
    assert row["path"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["rule"] == "'\tTAB"
    assert (row["expected"], row["actual"]) == ("-1", "+2.5")


@pytest.mark.parametrize(
    ("cell", "want"),
    [
        ("=1+1", "'=1+1"),
        ("\rx", "'\rx"),
        ("-", "'-"),
        ("-1.5", "-1.5"),
        ("12", "12"),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(cell: str, want: str) -> None:
    assert neutralise(cell) == want


def test_existing_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(ExportError, match="already exists; use --force") as info:
        export_findings_csv([record()], out)
    assert info.value.exit_code == 2
    assert out.read_text(encoding="utf-8") == "keep me"
    assert export_findings_csv([record(), record(game_pk=1)], out, force=True) == 2
    assert len(read_back(out)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]  # no temp file left


def test_unwritable_paths_give_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_findings_csv([record()], tmp_path / "missing" / "v.csv")
    with pytest.raises(ExportError, match="is a folder"):
        export_findings_csv([record()], tmp_path)
    (tmp_path / "plain").write_text("", encoding="utf-8")
    with pytest.raises(ExportError, match="plain is not a folder"):
        export_findings_csv([record()], tmp_path / "plain" / "v.csv")
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(ExportError, match="cannot write"):
            export_findings_csv([record()], locked / "v.csv")
    finally:
        locked.chmod(0o700)


def test_empty_export_has_just_the_header(tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    assert export_findings_csv([], out) == 0
    assert next(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))) == list(COLUMNS)


def test_the_report_gets_ordinary_file_permissions(tmp_path: Path) -> None:
    # Written through a private temporary file; the result must not stay 0600.
    out = tmp_path / "findings.csv"
    old = os.umask(0o022)
    try:
        export_findings_csv([record()], out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
