"""Terminal escapes sent by the API reach no output: ingest progress and summary, report (text
and markdown), validate (files and stored games), game. Issue 13 point 5.

One recorded game (662751, CWS @ HOU) is served by the replay server with escapes in its team
abbreviations, status and last play (tests/hostile.py), ingested by the real runtime, and the
database it leaves is read by the commands.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from api_mock import json_response, make_client, new_router
from hostile import (
    AWAY,
    CLEAR,
    GAME,
    LINK,
    MARKUP,
    SHOWN_CLEAR,
    SHOWN_LINK,
    assert_terminal_safe,
    hostile_feed,
    write_hostile_data,
)

from mlbdash.cli import main
from mlbdash.commands.game import follow_game
from mlbdash.commands.ingest import Progress, write_summary
from mlbdash.commands.report import write_report
from mlbdash.config import PollSettings, Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.store import Store
from mlbdash.ingest.store import alerts as alert_rows
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.validator import rules as R
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import start_replay_server

DAY = date(2026, 5, 1)


async def _ingest(tmp: Path) -> tuple[str, str, Path]:
    data = write_hostile_data(tmp / "data")
    db = tmp / "hostile.sqlite3"
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(data, clock=make_clock, rebase_date=DAY) as server:
        clock = clocks[0]
        settings = Settings(
            api_url=server.base_url,
            requests_per_second=1000,
            burst=1000,
            poll=PollSettings(final_recheck_after_s=120),
        )
        progress_out = io.StringIO()
        async with Runtime(
            settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=db
        ) as rt:
            progress = Progress(rt, progress_out)
            rt.subscribe(progress.handle)
            run = asyncio.create_task(rt.run(until_done=True))
            for _ in range(2000):
                if run.done() or rt.scheduler.finished():
                    break
                await rt.wait_idle()
                progress_out.write(progress.line() + "\n")
                await clock.advance(30)
            summary = await asyncio.wait_for(run, 30)
            async with rt.store.transaction() as conn:
                # A finding quoting the API (as a rule does, through Rule.finding), led by a
                # spreadsheet formula, and an alert naming the game as the API spelled it.
                quoted = R.LINESCORE_RUNS_SUM.finding(
                    game_pk=GAME,
                    timecode=None,
                    path="/liveData/linescore/teams/home/runs",
                    expected=f"{LINK}1",
                    actual=2,
                    message=f'=HYPERLINK("http://x") {CLEAR}away {AWAY}',
                )
                await finding_rows.record_findings(
                    conn, [quoted], now=clock.now(), official_date=DAY
                )
                await alert_rows.save_alert(
                    conn,
                    alert_rows.AlertRecord(
                        id=99,
                        rule="stale_live_game",
                        key=str(GAME),
                        severity="warning",
                        state="firing",
                        message=f"{GAME} {CLEAR}stale",
                        pending_since=None,
                        fired_at=clock.now(),
                        resolved_at=None,
                        acknowledged_at=None,
                        silenced_until=None,
                    ),
                )
    summary_out = io.StringIO()
    write_summary(summary, summary_out)
    return progress_out.getvalue(), summary_out.getvalue(), db


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    return asyncio.run(_ingest(tmp_path_factory.mktemp("hostile")))


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_DB_PATH", raising=False)


def test_ingest_progress_lines_and_summary_are_safe(ingested: tuple[str, str, Path]) -> None:
    progress, summary, _ = ingested
    assert f"Final\\r{MARKUP}" in progress  # the state change to Final, with its status
    assert_terminal_safe(progress)
    assert f"CWS{SHOWN_CLEAR} @ \\x1b]8;;file://" in summary  # cut at 28 characters
    assert_terminal_safe(summary)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_report_is_safe(ingested: tuple[str, str, Path], fmt: str) -> None:
    _, _, db = ingested
    out = io.StringIO()
    assert write_report(db, DAY, fmt, out=out) == 0
    text = out.getvalue()
    assert_terminal_safe(text)
    if fmt == "text":
        assert f"CWS{SHOWN_CLEAR} @ {SHOWN_LINK}HOU" in text
        assert f"Final\\r{MARKUP}" in text
    else:
        # Markdown doubles the backslash of an escape, so the page shows \r, not a break.
        assert "Final\\\\r" in text
        assert "\\\\x1b" in text


def test_report_through_the_cli_is_safe(
    ingested: tuple[str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, db = ingested
    assert main(["report", "--db", str(db), "--date", DAY.isoformat()]) == 0
    assert_terminal_safe(capsys.readouterr().out)


def test_validate_stored_games_is_safe(
    ingested: tuple[str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, db = ingested
    main(["validate", "--db", str(db)])
    out = capsys.readouterr()
    assert f"CWS{SHOWN_CLEAR} @ {SHOWN_LINK}HOU" in out.out
    assert_terminal_safe(out.out + out.err)


def test_validate_a_file_is_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = hostile_feed()
    feed["gameData"][f"new{CLEAR}field"] = f"{LINK}x"  # drift: a key no model knows
    feed["metaData"]["timeStamp"] += "\r"
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    main(["validate", str(path)])
    out = capsys.readouterr()
    assert f"CWS{SHOWN_CLEAR} @ {SHOWN_LINK}HOU" in out.out
    assert f"/gameData/new{SHOWN_CLEAR}field" in out.out
    assert_terminal_safe(out.out + out.err)


async def test_game_is_safe() -> None:
    body = json.dumps(hostile_feed()).encode()
    router = new_router()
    router.get(f"/v1.1/game/{GAME}/feed/live").mock(return_value=json_response(body))
    out = io.StringIO()
    clock = ManualClock()
    settings = Settings(api_url="https://statsapi.test/api")
    async with make_client(router, clock=clock) as client:
        await follow_game(
            settings, GAME, follow=False, as_json=False, out=out, clock=clock, client=client
        )
    text = out.getvalue()
    assert text.startswith(f"{GAME} CWS{SHOWN_CLEAR} @ {SHOWN_LINK}HOU  final (Final\\r{MARKUP})")
    assert_terminal_safe(text)


async def test_an_archive_written_before_escaping_is_read_safely(tmp_path: Path) -> None:
    """Rows stored raw (by an older mlbdash) are made safe where the store reads them."""
    db = tmp_path / "old.sqlite3"
    async with Store.open(db, clock=ManualClock()) as store:
        await store.upsert_game(GAME, {"away_abbrev": f"CWS{CLEAR}", "detailed_state": "Final\r"})
        async with store.transaction() as conn:
            raw = R.LINESCORE_RUNS_SUM.finding(
                game_pk=GAME, timecode=None, path="/x", expected=1, actual=2, message="m"
            )
            await conn.execute(
                "INSERT INTO findings (fingerprint, game_pk, rule, severity, category, path, "
                "message, first_seen, last_seen, occurrences, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '2026-05-01T00:00:00Z', "
                "'2026-05-01T00:00:00Z', 1, 'open')",
                (raw.fingerprint, GAME, raw.rule, raw.severity, raw.category, "/x", LINK),
            )
            [found] = await finding_rows.list_findings(conn)
        record = await store.get_game(GAME)
    assert record is not None
    assert (record.away_abbrev, record.detailed_state) == (f"CWS{SHOWN_CLEAR}", "Final\\r")
    assert found.message == SHOWN_LINK


def test_csv_export_escapes_and_keeps_formulas_neutralised(
    ingested: tuple[str, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, db = ingested
    out = tmp_path / "findings.csv"
    assert main(["export", "validation", "--db", str(db), "--out", str(out)]) == 0
    capsys.readouterr()
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    [row] = [r for r in rows if r["rule"] == R.LINESCORE_RUNS_SUM.id]
    assert row["message"] == f'\'=HYPERLINK("http://x") {SHOWN_CLEAR}away CWS{SHOWN_CLEAR}'
    assert row["expected"] == f"{SHOWN_LINK}1"
    assert_terminal_safe(out.read_text(encoding="utf-8"))
