"""``mlbdash archive export`` and ``mlbdash replay serve --db``, as a user runs them."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from archive_helpers import COUNT, DAY, FULL_AT, GAME, Archived, fill_archive

from mlbdash.cli import main
from mlbdash.mlb.timecode import timecode_instant as parse_timecode
from mlbdash.replay import replay_subprocess
from mlbdash.replay.exact import compact
from mlbdash.replay.timeutil import to_iso


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_DB_PATH", raising=False)


@pytest.fixture
def archived(tmp_path: Path) -> Archived:
    return asyncio.run(fill_archive(tmp_path))


def test_export_writes_the_date_and_says_what_it_wrote(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "handed-on"
    code = main(
        ["archive", "export", "--db", str(archived.db), "--date", str(DAY), "--out", str(out)]
    )
    said = capsys.readouterr().out
    assert code == 0
    assert said.startswith(f"exported {DAY} from {archived.db} to {out}: 1 games, {COUNT} versions")
    assert "(2 whole feeds, 38 diffs)" in said
    schedule = json.loads(gzip.decompress((out / f"schedule/schedule_{DAY}.json.gz").read_bytes()))
    assert schedule == archived.schedule
    first = archived.versions[0].timecode
    feed = gzip.decompress((out / f"feed/feed_{GAME}_{first}.json.gz").read_bytes())
    assert feed == compact(archived.feeds[0])
    stamps = json.loads(
        gzip.decompress((out / f"timestamps/timestamps_{GAME}.json.gz").read_bytes())
    )
    assert stamps == [v.timecode for v in archived.versions]
    # Without --date: the latest date with a game under way, the same as 'report'.
    again = tmp_path / "again"
    assert main(["archive", "export", "--db", str(archived.db), "--out", str(again)]) == 0
    assert f"exported {DAY}" in capsys.readouterr().out


def test_export_failures_are_one_line_with_their_exit_code(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    missing = ["archive", "export", "--db", str(tmp_path / "none.sqlite3"), "--out", out]
    assert main(missing) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"mlbdash: no database at {tmp_path / 'none.sqlite3'}; give --db"
    )
    assert (
        main(["archive", "export", "--db", str(archived.db), "--date", "2026-05-02", "--out", out])
        == 1
    )
    assert "lists no game on 2026-05-02" in capsys.readouterr().err
    assert not Path(out).exists()
    Path(out).mkdir()
    (Path(out) / "keep.txt").write_text("x")
    assert main(["archive", "export", "--db", str(archived.db), "--out", out]) == 1
    assert "not empty; use --force" in capsys.readouterr().err
    assert main(["archive", "export", "--db", str(archived.db), "--out", out, "--force"]) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--db", "X", "--rebase-date", "2026-05-02"], "stored timecodes; it cannot move"),
        (["--db", "X", "--clone", "3"], "--clone copies recorded final feeds"),
        (["--data", ".", "--db", "X"], "give one of --data, --demo and --db"),
        (["--demo", "--date", "2026-05-01"], "--date selects a league date of an archive"),
        (["--db", "/no/such.sqlite3"], "--db /no/such.sqlite3: no database there"),
    ],
)
def test_replay_serve_refuses_flags_that_do_not_fit_an_archive(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "serve", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_serving_the_archive_and_its_exported_folder_gives_the_same_answers(
    archived: Archived, tmp_path: Path
) -> None:
    """Both servers in their own processes, their virtual time after the last version, so
    every answer is fixed; each endpoint's body must be the same bytes from both."""
    out = tmp_path / "folder"
    export = ["archive", "export", "--db", str(archived.db), "--date", str(DAY), "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "mlbdash", *export],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    versions = [v.timecode for v in archived.versions]
    last = parse_timecode(versions[-1])
    assert last is not None
    start = ("--start", to_iso(last + timedelta(hours=1)))
    game = f"/v1.1/game/{GAME}/feed/live"
    asks: list[tuple[str, dict[str, str]]] = [
        ("/v1/schedule", {"date": str(DAY)}),
        (f"{game}/timestamps", {}),
        (game, {}),
        (game, {"timecode": versions[10]}),
        (f"{game}/diffPatch", {"startTimecode": versions[3], "endTimecode": versions[30]}),
        (f"{game}/diffPatch", {"startTimecode": versions[FULL_AT - 1]}),
        (f"{game}/diffPatch", {"startTimecode": versions[-1]}),
    ]
    answers: list[list[bytes]] = []
    for source in (["--db", str(archived.db), "--date", str(DAY)], ["--data", str(out)]):
        with replay_subprocess(*source, *start) as server:
            answers.append(
                [httpx.get(server.base_url + path, params=params).content for path, params in asks]
            )
    assert answers[0] == answers[1]
    assert answers[0][2] == compact(archived.feeds[-1])
    assert json.loads(answers[0][1]) == versions
