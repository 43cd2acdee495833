"""Flags are checked up front: one line, exit 2 (issue 13 point 7); a bad database file exits
2 from every command that takes one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mlbdash.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr, whether argparse (SystemExit) or the command refused the flag."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["replay", "serve", "--demo", "--port", "70000"], "--port: a port is 0 to 65535"),
        (["replay", "serve", "--demo", "--port", "-1"], "--port: a port is 0 to 65535"),
        (["replay", "serve", "--demo", "--rebase-date", "0001-01-01"], "is outside 1876-01-01"),
        (["replay", "serve", "--demo", "--start", "0001-01-01T00:00:00Z"], "is outside"),
        (["replay", "serve", "--demo", "--speed", "nan"], "--speed: must be a finite number"),
        (["replay", "serve", "--demo", "--speed", "inf"], "--speed: must be a finite number"),
        (["replay", "serve", "--demo", "--speed", "-2"], "--speed: must be a finite number"),
        (["replay", "serve", "--demo", "--clone", "-5"], "--clone: must be 0 or more"),
        (["replay", "serve", "--demo", "--diffpatch-window", "-1"], "--diffpatch-window"),
        (["replay", "serve", "--demo", "--clone-stagger", "nan"], "--clone-stagger"),
        (["replay", "serve", "--demo", "--host", ""], "--host: not a host name"),
        (["replay", "serve", "--demo", "--host", "  "], "--host: not a host name"),
        (["ingest", "--duration", "nan"], "--duration must be a positive number"),
        (["ingest", "--duration", "inf"], "--duration must be a positive number"),
        (["ingest", "--sport-id", "-1"], "--sport-id: an id is a whole number from 1"),
        (["ingest", "--team", "0"], "--team: an id is a whole number from 1"),
        (["ingest", "--metrics-port", "70000"], "--metrics-port: a port is 0 to 65535"),
        (["ingest", "--date", "0001-01-01"], "--date: 0001-01-01 is outside"),
        (["ingest", "--start", "1800-01-01", "--end", "1800-01-02"], "--start: 1800-01-01"),
        (["report", "--date", "0001-01-01"], "--date: 0001-01-01 is outside"),
        (["validate", "--date", "0001-01-01"], "--date: 0001-01-01 is outside"),
        (["export", "validation", "--out", "x.csv", "--date", "0001-01-01"], "is outside"),
        (["--demo", "--speed", "nan"], "--speed must be positive and finite"),
        (["--date", "0001-01-01"], "--date '0001-01-01': 0001-01-01 is outside"),
    ],
)
def test_bad_flag_is_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(argv, capsys)
    assert code == 2
    assert says in err
    assert err.startswith("mlbdash: ") and err.count("\n") == 1, err


def test_metrics_port_0_prints_the_port_in_use(tmp_path: Path) -> None:
    """The system picks the port; ingest says which on stderr (API unreachable: port 9)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlbdash",
            "ingest",
            "--metrics-port",
            "0",
            "--duration",
            "1",
            "--api-url",
            "http://127.0.0.1:9/api",
            "--db",
            str(tmp_path / "db.sqlite3"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MLBDASH_CONFIG": str(tmp_path / "none.toml")},
    )
    [line] = [x for x in result.stderr.splitlines() if "metrics on" in x]
    port = int(line.rsplit(":", 1)[1].split("/")[0])
    assert line == f"mlbdash: metrics on http://127.0.0.1:{port}/metrics" and port > 0


def _not_a_database(folder: Path) -> Path:
    path = folder / "garbage.sqlite3"
    path.write_bytes(b"this is not a database, " * 100)
    return path


def _not_mlbdash(folder: Path) -> Path:
    path = folder / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    return path


def _missing(folder: Path) -> Path:
    return folder / "typo.sqlite3"


def _commands(db: Path, folder: Path) -> list[list[str]]:
    return [
        ["report", "--db", str(db), "--date", "2024-07-01"],
        ["validate", "--db", str(db)],
        ["export", "validation", "--db", str(db), "--out", str(folder / "out.csv")],
        ["db", "check", "--db", str(db)],
        ["db", "check", "--vacuum", "--db", str(db)],
        ["db", "backup", str(folder / "copy.sqlite3"), "--db", str(db)],
        ["archive", "export", "--db", str(db), "--out", str(folder / "day")],
        ["replay", "serve", "--db", str(db)],
        ["ingest", "--db", str(db), "--api-url", "http://127.0.0.1:9/api", "--duration", "1"],
    ]


@pytest.mark.parametrize("make", [_not_a_database, _not_mlbdash, _missing])
def test_a_bad_database_file_exits_2_from_every_command(
    make: object,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "none.toml"))
    assert callable(make)
    db = make(tmp_path)
    before = db.read_bytes() if db.exists() else None
    for argv in _commands(db, tmp_path):
        if before is None and argv[0] == "ingest":
            continue  # ingest starts a new database where none is
        code, err = run_cli(argv, capsys)
        assert (code, err.count("\n")) == (2, 1), (argv, err)
        assert str(db) in err
    assert (db.read_bytes() if db.exists() else None) == before


@pytest.mark.slow
def test_a_bad_database_file_ends_every_command_as_a_process(tmp_path: Path) -> None:
    """As a user runs them: each command ends (no thread left holding the process) with 2."""
    db = _not_a_database(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "MLBDASH_CONFIG": str(tmp_path / "none.toml")}
    for argv in _commands(db, tmp_path):
        result = subprocess.run(
            [sys.executable, "-m", "mlbdash", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert (result.returncode, result.stderr.count("\n")) == (2, 1), (argv, result.stderr)
