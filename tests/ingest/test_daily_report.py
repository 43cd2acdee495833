"""The daily report built from a real game-day database (see tests/report_helpers.py)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import load_fixture
from report_helpers import (
    APRIL7,
    FAILED_POLLS,
    JULY1,
    JUNE11,
    LIVE_S,
    OK_POLLS,
    STALE_S,
    add_schedule,
    game_day_db,
)

from mlbdash.ingest.events import Event, GameUpdated, RequestFinished
from mlbdash.ingest.monitor.games import GameLedger
from mlbdash.ingest.monitor.sla_db import StoredState, StoredVersion, ledger_events
from mlbdash.ingest.report import DailyReport, build_report, default_date, render, report_dict
from mlbdash.ingest.report.build import _game_line
from mlbdash.ingest.store import ScheduleEntry, Store
from mlbdash.mlb.clock import ManualClock

# The morning after: 09:00 ET.
NOW = datetime(2024, 7, 2, 13, 0, tzinfo=UTC)
OFF_DAY = "schedule/schedule_2024-10-27_offday_empty_nocopyright.json"
AS_OF = datetime(2024, 7, 1, 23, 30, tzinfo=UTC)  # the last row the day wrote


@pytest.fixture(scope="module")
def game_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "mlbdash.sqlite3"
    asyncio.run(game_day_db(path))
    return path


@pytest.fixture
def db(game_day: Path, tmp_path: Path) -> Path:
    """A private copy, so a test may write to it."""
    copy = tmp_path / "mlbdash.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{game_day}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{copy}{suffix}")
    return copy


async def report_of(path: Path, day: date, now: datetime = NOW) -> DailyReport:
    async with Store.open(path, clock=ManualClock(now)) as store:
        return await build_report(store, day)


async def test_games_by_final_state_with_scores(db: Path) -> None:
    report = await report_of(db, JULY1)
    assert report.tracked and not report.off_day
    assert [(g.game_pk, g.outcome, g.matchup, g.score, g.final_stored) for g in report.games] == [
        (744914, "final", "HOU @ TOR", "3-1", True),
        (744840, "final", "New York Mets @ Washington Nationals", None, False),
        (746535, "final", "Milwaukee Brewers @ Colorado Rockies", None, False),
    ]
    hou = report.games[0]
    assert (hou.versions, hou.polls) == (1, OK_POLLS + 29)


async def test_postponed_games_and_their_makeup_dates(db: Path) -> None:
    report = await report_of(db, APRIL7)
    postponed = report.games_in("postponed")
    assert [(g.game_pk, g.reason, g.note) for g in postponed] == [
        (661333, "Inclement Weather", "makeup 2022-04-08"),
        (661750, "Inclement Weather", "makeup 2022-04-08"),
    ]
    assert len(report.games_in("final")) == 7
    cov = report.coverage
    assert (cov.scheduled, cov.not_played, cov.due_final, cov.final_stored) == (9, 2, 7, 0)
    assert report.sla.report.coverage == 0.0
    # Nothing was polled on that date: no figure rather than a made-up 100%.
    assert report.sla.report.poll_success is None
    assert report.sla.report.live_freshness is None


async def test_a_game_left_live_is_unfinished_and_stale_once_tracking_stopped(db: Path) -> None:
    report = await report_of(db, JUNE11)
    [game] = report.games
    assert (game.outcome, game.matchup, game.inning_half, game.inning) == (
        "unfinished",
        "TEX @ LAD",
        "Top",
        7,
    )
    sla = report.sla
    # Measured until six hours after first pitch (02:10Z), not until the July rows.
    assert sla.as_of == datetime(2024, 6, 12, 8, 10, tzinfo=UTC)
    live_since = datetime(2024, 6, 12, 4, 12, 50, tzinfo=UTC)
    assert sla.report.live_s == (sla.as_of - live_since).total_seconds()
    # Fresh: the 15 s between the two polls (the second brought 04:13:02, within 20 s) and the
    # first 20 s after the last poll; everything after that went unwatched.
    assert sla.report.fresh_s == 35.0
    assert sla.report.poll_success == 1.0


async def test_sla_figures_match_the_monitor_definitions(db: Path) -> None:
    sla = (await report_of(db, JULY1)).sla
    r = sla.report
    assert (r.polls, r.polls_failed) == (OK_POLLS + FAILED_POLLS, FAILED_POLLS)
    assert r.poll_success == pytest.approx(OK_POLLS / (OK_POLLS + FAILED_POLLS))
    assert r.poll_success_met is False
    assert (r.live_s, r.fresh_s) == (LIVE_S, LIVE_S - STALE_S)
    assert r.live_freshness == pytest.approx((LIVE_S - STALE_S) / LIVE_S)
    assert (r.games_due_final, r.finals_stored, r.missing) == (3, 1, (744840, 746535))
    assert sla.as_of == AS_OF
    assert sla.note is None


async def test_findings_by_rule_and_review_status(db: Path) -> None:
    report = await report_of(db, JULY1)
    assert [(r.rule, r.severity, r.findings, r.by_status) for r in report.rules] == [
        (
            "LINESCORE_RUNS_SUM",
            "error",
            1,
            {"open": 1, "acknowledged": 0, "resolved": 0, "ignored": 0},
        ),
        (
            "LINESCORE_ERRORS_SUM",
            "warning",
            2,
            {"open": 0, "acknowledged": 1, "resolved": 0, "ignored": 1},
        ),
    ]
    statuses = {s.status: (s.findings, s.by_severity) for s in report.statuses}
    assert statuses["open"] == (1, {"error": 1, "warning": 0, "info": 0})
    assert statuses["ignored"] == (1, {"error": 0, "warning": 1, "info": 0})
    assert statuses["resolved"] == (0, {"error": 0, "warning": 0, "info": 0})
    assert (await report_of(db, APRIL7)).rules == ()


async def test_alerts_fired_with_durations(db: Path) -> None:
    report = await report_of(db, JULY1)
    assert [(a.rule, a.key, a.state, a.duration_s, a.acknowledged) for a in report.alerts] == [
        ("error_rate", "", "resolved", 240.0, True),
        # Still firing: counted up to the last recorded instant.
        ("coverage_gap", "744840", "firing", 1500.0, False),
    ]
    assert (await report_of(db, APRIL7)).alerts == ()


async def test_requests_and_bytes_of_the_league_day(db: Path) -> None:
    report = await report_of(db, JULY1)
    total = report.requests
    assert total.requests == 2 + OK_POLLS + FAILED_POLLS
    assert (total.errors, total.retries, total.http_429) == (FAILED_POLLS, 29 * 2, 0)
    kinds = {r.kind: r for r in report.requests_by_kind}
    assert sorted(kinds) == ["diff_patch", "feed", "schedule"]
    assert (kinds["feed"].requests, kinds["feed"].errors) == (4, 3)
    assert kinds["diff_patch"].bytes_decoded == 919 * 2 + 29 * 9_000
    assert total.bytes_wire == sum(r.bytes_wire for r in kinds.values())
    assert total.ratio == pytest.approx(total.bytes_decoded / total.bytes_wire)
    assert report.throttled == 4  # from the minute rollups: retried 429s included


def test_json_is_one_object_with_stable_keys(db: Path) -> None:
    report = asyncio.run(report_of(db, JULY1))
    doc = json.loads(render(report, "json"))
    assert doc == report_dict(report)
    assert list(doc) == [
        "official_date",
        "generated_at",
        "league_day",
        "tracked",
        "off_day",
        "games",
        "coverage",
        "sla",
        "findings",
        "alerts",
        "requests",
    ]
    assert doc["official_date"] == "2024-07-01"
    assert doc["generated_at"] == "2024-07-02T13:00:00Z"
    assert doc["league_day"] == {"start": "2024-07-01T10:00:00Z", "end": "2024-07-02T10:00:00Z"}
    assert doc["games"]["counts"] == {
        "final": 3,
        "postponed": 0,
        "cancelled": 0,
        "suspended": 0,
        "unfinished": 0,
    }
    hou = doc["games"]["list"][0]
    assert (hou["matchup"], hou["away_score"], hou["home_score"]) == ("HOU @ TOR", 3, 1)
    poll = doc["sla"]["poll_success"]
    assert (poll["polls"], poll["failed"], poll["goal"], poll["met"]) == (952, 32, 0.99, False)
    fresh = doc["sla"]["live_freshness"]
    assert (fresh["live_seconds"], fresh["fresh_seconds"]) == (9480.0, 9200.0)
    assert doc["sla"]["coverage"]["missing"] == [744840, 746535]
    assert doc["coverage"]["ratio"] == pytest.approx(1 / 3)
    assert doc["findings"]["total"] == 3
    assert doc["findings"]["by_status"]["acknowledged"] == {
        "total": 1,
        "error": 0,
        "warning": 1,
        "info": 0,
    }
    assert [a["resolved_at"] for a in doc["alerts"]] == ["2024-07-01T21:45:00Z", None]
    assert doc["requests"]["by_kind"]["feed"]["errors"] == 3
    assert doc["requests"]["throttled"] == 4


def test_markdown_tables_paste_into_a_channel(db: Path) -> None:
    text = render(asyncio.run(report_of(db, JULY1)), "markdown")
    lines = text.splitlines()
    assert lines[0] == "## mlbdash daily report: 2024-07-01"
    assert "| final | 744914 | HOU @ TOR | 3-1 | Final | yes |  |" in lines
    assert "| poll success | 96.6% | >= 99.0% | MISSED | 920 of 952 polls ok |" in lines
    assert "| coverage | 33.3% | >= 100.0% | MISSED | 1 of 3 finals stored |" in lines
    assert "| LINESCORE_RUNS_SUM | error | 1 | 1 | 1 | 0 | 0 | 0 |" in lines
    # On the display clock (ET by default), as the dashboard tells time; JSON keeps UTC.
    assert (
        "| error_rate | - | critical | 2024-07-01 17:41 ET | 17:45:00 ET | 4m 00s | yes |" in lines
    )
    assert lines[2] == "league day 2024-07-01 06:00 ET to 2024-07-02 06:00 ET  "
    # Every table row of a table has as many cells as its heading.
    header = lines.index("| outcome | game | matchup | score | state | final stored | note |")
    assert lines[header + 1] == "| --- | ---: | --- | --- | --- | --- | --- |"
    rows = lines[header : header + 5]
    assert {row.count(" | ") for row in rows} == {6}


def test_markdown_cells_keep_api_text_as_text(db: Path) -> None:
    report = asyncio.run(report_of(db, JULY1))
    odd = replace(report.games[1], away="A|B")
    text = render(replace(report, games=(odd,)), "markdown")
    assert "| final | 744840 | A\\|B @ Washington Nationals | - |" in text


def test_text_has_aligned_columns_matchups_and_scores(db: Path) -> None:
    text = render(asyncio.run(report_of(db, JULY1)), "text")
    lines = text.splitlines()
    assert lines[0] == "mlbdash daily report for 2024-07-01"
    [hou] = [line for line in lines if "HOU @ TOR" in line]
    assert "3-1" in hou and "Final" in hou
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith("OUTCOME"))
    table = lines[head : head + 4]
    column = table[0].index("MATCHUP")
    assert [row[column:].split("  ")[0] for row in table] == [
        "MATCHUP",
        "HOU @ TOR",
        "New York Mets @ Washington Nationals",
        "Milwaukee Brewers @ Colorado Rockies",
    ]
    [poll] = [line for line in lines if line.lstrip().startswith("poll success")]
    assert "96.6%" in poll and "MISSED" in poll
    assert "Coverage: 1 of 3 final games stored (33.3%); 0 not played; missing 744840, 746535" in (
        lines
    )
    assert any(line.split()[:2] == ["coverage_gap", "744840"] for line in lines)
    assert "still firing" in text


def test_text_of_a_date_with_postponed_games(db: Path) -> None:
    text = render(asyncio.run(report_of(db, APRIL7)), "text")
    [red_sox] = [line for line in text.splitlines() if "661333" in line]
    assert red_sox.split()[0] == "postponed"
    assert "Boston Red Sox @ New York Yankees" in red_sox
    assert "Postponed (Inclement Weather)" in red_sox and "makeup 2022-04-08" in red_sox
    assert "Games: 9 listed: 7 final, 2 postponed" in text


async def test_untracked_date_says_so(db: Path) -> None:
    report = await report_of(db, date(2024, 7, 2))
    assert (report.tracked, report.off_day, report.games) == (False, False, ())
    assert "Nothing tracked" in render(report, "text")
    assert json.loads(render(report, "json"))["tracked"] is False


async def test_off_day_is_confirmed_by_the_stored_schedule(db: Path) -> None:
    off = date(2024, 10, 27)
    clock = ManualClock(datetime(2024, 10, 27, 16, 0, tzinfo=UTC))
    async with Store.open(db, clock=clock) as store:
        listed = await add_schedule(store, OFF_DAY, off)
    assert listed == []
    report = await report_of(db, off)
    assert (report.tracked, report.off_day) == (False, True)
    assert "Off day" in render(report, "markdown")


async def test_pruned_request_log_gives_no_poll_figures(db: Path) -> None:
    async with Store.open(db, clock=ManualClock(NOW)) as store:
        await store.prune_requests(NOW)
    sla = (await report_of(db, JULY1)).sla
    assert sla.polls_logged == 0
    assert (sla.report.poll_success, sla.report.live_freshness) == (None, None)
    assert sla.note is not None and "pruned" in sla.note
    assert sla.report.coverage == pytest.approx(1 / 3)


async def test_default_date_is_the_last_date_played(db: Path) -> None:
    async with Store.open(db, clock=ManualClock(NOW)) as store:
        assert await default_date(store, NOW) == JULY1
        # Not a date after today's league date: on 2024-06-20 the latest is June 11.
        assert await default_date(store, datetime(2024, 6, 20, 16, tzinfo=UTC)) == JUNE11
        before = datetime(2021, 1, 5, 16, tzinfo=UTC)
        assert await default_date(store, before) == date(2021, 1, 5)


def test_a_suspended_listing_outranks_the_games_later_state() -> None:
    statuses = load_fixture("other/gamestatus_all.json")
    [rain] = [s for s in statuses if s["statusCode"] == "TR"]
    entry = ScheduleEntry(
        game_pk=1,
        official_date=date(2024, 5, 1),
        status_code=rain["statusCode"],
        coded_game_state=rain["codedGameState"],
        detailed_state=rain["detailedState"],
        abstract_game_state=rain["abstractGameState"],
        reason=rain["reason"],
        resume_date="2024-05-02",
    )
    line = _game_line(entry, None)
    assert (line.outcome, line.detailed_state, line.note) == (
        "suspended",
        "Suspended: Rain",
        "resumes 2024-05-02",
    )


def _poll(at: datetime, game_pk: int = 746139, status: int | None = 200) -> RequestFinished:
    url = f"https://statsapi.mlb.com/api/v1.1/game/{game_pk}/feed/live/diffPatch"
    error = None if status == 200 else f"HTTP {status}"
    return RequestFinished(at, "diff_patch", url, status, 0.2, 500, 3_000, error=error)


def _totals(events: list[Event], now: datetime) -> tuple[int, int, float, float]:
    ledger = GameLedger(wait_s=10.0)
    for event in events:
        ledger.handle(event)
    t = ledger.date_totals(JUNE11.isoformat(), now)
    return t.polls_ok, t.polls_failed, t.live_s, t.stale_s


def test_a_poll_catching_up_on_versions_is_one_poll() -> None:
    """Three diffPatch requests back to back store three versions: one poll, judged by the
    newest version it stored, as the monitor sees it."""
    t0 = datetime(2024, 6, 12, 4, 12, 50, tzinfo=UTC)
    live = StoredState(746139, t0, "live", "In Progress", "feed")
    first = [_poll(t0)]
    catch_up = [_poll(t0 + timedelta(seconds=s)) for s in (60.0, 61.0, 62.0)]
    versions = [
        StoredVersion(746139, "20240612_041248", "full", t0),
        StoredVersion(746139, "20240612_041302", "diff", t0 + timedelta(seconds=60.1)),
        StoredVersion(746139, "20240612_041325", "diff", t0 + timedelta(seconds=61.1)),
        StoredVersion(746139, "20240612_041347", "diff", t0 + timedelta(seconds=62.1)),
    ]
    events = ledger_events(JUNE11, first + catch_up, [live], versions, wait_s=10.0)
    updates = [e for e in events if isinstance(e, GameUpdated)]
    assert [(u.update, u.row.timecode) for u in updates] == [
        ("full", "20240612_041248"),
        ("diff", "20240612_041347"),
    ]
    ok, failed, live_s, stale_s = _totals(events, t0 + timedelta(seconds=62.1))
    assert (ok, failed) == (2, 0)
    assert live_s == pytest.approx(62.1)
    # Stale from the newest stamp (04:13:47) plus 20 s on: nothing by 04:13:52.1.
    assert stale_s == 0.0


def test_a_failed_request_is_counted_and_ends_a_poll() -> None:
    t0 = datetime(2024, 6, 12, 4, 12, 50, tzinfo=UTC)
    polls = [
        _poll(t0),
        _poll(t0 + timedelta(seconds=1), status=503),
        _poll(t0 + timedelta(seconds=2)),
    ]
    events = ledger_events(JUNE11, polls, [], [], wait_s=10.0)
    assert [type(e).__name__ for e in events] == ["GameUpdated", "RequestFinished", "GameUpdated"]


def test_a_game_on_two_dates_counts_what_happened_on_each() -> None:
    """Suspended on one league date and resumed on the next: each date keeps its own polls."""
    day_one = datetime(2024, 6, 12, 2, 0, tzinfo=UTC)  # 22:00 ET on June 11
    day_two = datetime(2024, 6, 12, 20, 0, tzinfo=UTC)  # 16:00 ET on June 12
    polls = [_poll(day_one), _poll(day_two), _poll(day_two + timedelta(seconds=30))]
    june11 = ledger_events(JUNE11, polls, [], [], wait_s=10.0, split_by_day=[746139])
    june12 = ledger_events(date(2024, 6, 12), polls, [], [], wait_s=10.0, split_by_day=[746139])
    assert [e.at for e in june11] == [day_one]
    assert [e.at for e in june12] == [day_two, day_two + timedelta(seconds=30)]
    # Without the split, a game listed once keeps all of its polls.
    assert len(ledger_events(JUNE11, polls, [], [], wait_s=10.0)) == 3


def test_text_tells_time_on_the_local_clock_when_set(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        text = render(asyncio.run(report_of(db, JULY1)), "text", "local")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "league day 2024-07-01 12:00 CEST to 2024-07-02 12:00 CEST (06:00 to 06:00 ET)" in text
    assert "2024-07-01 23:41 CEST" in text and "23:45:00 CEST" in text
    assert " ET" not in text.replace("06:00 to 06:00 ET", "")
