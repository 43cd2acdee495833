"""How pipeline values read on screen (pure functions, no app)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mlbdash.ingest.events import PushChanged
from mlbdash.ingest.views import AlertRow, CheckRow, GameRow
from mlbdash.ui import format as fmt
from mlbdash.ui.screens.detail import _about, _archive, _title

from .fakes import NOW, FakeSource


def test_live_inning_shows_half_and_outs_final_shows_last_inning() -> None:
    games = FakeSource().games
    assert str(fmt.inning(games[746139])) == "▲7 2 out"
    assert str(fmt.inning(games[633860])) == "▼7 0 out"
    assert str(fmt.inning(games[744914])) == "9th"
    assert str(fmt.inning(games[661333])) == "—"
    middle = replace(games[746139], inning_half="Middle")
    assert str(fmt.inning(middle)) == "mid 7", "no outs between halves"


def test_state_adds_the_reason_unless_the_state_says_it() -> None:
    postponed = FakeSource().games[661333]
    assert str(fmt.state(postponed)) == "Postponed: Inclement Weather"
    delayed = replace(postponed, detailed_state="Delayed: Rain", reason="Rain")
    assert str(fmt.state(delayed)) == "Delayed: Rain"


def test_age_uses_the_largest_unit_and_flags_stale() -> None:
    assert str(fmt.age(NOW, NOW - timedelta(seconds=42))) == "42s"
    assert str(fmt.age(NOW, NOW - timedelta(minutes=4, seconds=59))) == "4m"
    assert str(fmt.age(NOW, NOW - timedelta(hours=5))) == "5h"
    assert str(fmt.age(NOW, NOW - timedelta(days=3))) == "3d"
    assert str(fmt.age(NOW, None)) == "—"
    assert str(fmt.age(NOW, NOW + timedelta(seconds=5))) == "0s", "clock skew is not negative"
    assert fmt.age(NOW, NOW - timedelta(minutes=3)).style == "yellow"


def test_overall_health_is_the_worst_check() -> None:
    assert fmt.overall_health([]) == "ok"
    checks = [CheckRow("api", "ok", ""), CheckRow("disk", "degraded", "")]
    assert fmt.overall_health(checks) == "degraded"
    assert fmt.overall_health([*checks, CheckRow("db", "failing", "")]) == "failing"


def _alert(severity: str, state: str) -> AlertRow:
    return AlertRow(1, "stale_game", "746139", severity, state, "no new version", NOW, False, None)


def test_overall_health_is_not_ok_while_an_alert_fires() -> None:
    ok = [CheckRow("api_reachable", "ok", "")]
    assert fmt.overall_health(ok, [_alert("warning", "pending")]) == "ok"
    assert fmt.overall_health(ok, [_alert("warning", "resolved")]) == "ok"
    assert fmt.overall_health(ok, [_alert("warning", "firing")]) == "degraded"
    assert fmt.overall_health(ok, [_alert("critical", "firing")]) == "failing"
    failing = [CheckRow("database_writable", "failing", "")]
    assert fmt.overall_health(failing, [_alert("warning", "firing")]) == "failing"


def test_league_dates_and_clock_labels() -> None:
    assert fmt.league_dates([]) == "no league date"
    assert fmt.league_dates(["2024-07-01"]) == "2024-07-01"
    assert fmt.league_dates(["2024-07-02", "2024-07-01"]) == "2024-07-01, 2024-07-02"
    many = ["2024-07-01", "2024-07-02", "2024-07-03"]
    assert fmt.league_dates(many) == "2024-07-01 … 2024-07-03 (3 dates)"
    at = datetime(2024, 7, 1, 23, 5, 9, tzinfo=UTC)
    assert fmt.clock_time(at, 1.0) == "19:05:09 ET"
    assert fmt.clock_time(at, 60.0) == "19:05:09 ET ×60"


def test_long_team_names_are_cut_to_fit_the_games_panel() -> None:
    row = replace(FakeSource().games[661333], away="Toronto Blue Jays", home="Arizona Diamondbacks")
    assert str(fmt.matchup(row)) == "Toronto Blue Jays @ Ari…"
    assert str(fmt.matchup(row, width=None)) == "Toronto Blue Jays @ Arizona Diamondbacks"


def test_brackets_stay_literal() -> None:
    row = replace(FakeSource().games[746139], away="[b]X", detailed_state="Delayed: [Rain]")
    assert fmt.matchup(row).plain == "[b]X @ LAD"
    assert fmt.state(row).plain == "Delayed: [Rain]"
    assert fmt.plain("[red]boom[/red]").plain == "[red]boom[/red]"


def test_one_display_clock_for_screen_and_file_names(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2024, 7, 1, 23, 5, 9, tzinfo=UTC)
    league = fmt.DisplayClock.named("league")
    assert (league.time(at), league.stamp(at), league.label(at)) == (
        "19:05:09",
        "2024-07-01 19:05:09",
        "ET",
    )
    assert league.file_stamp(at) == "20240701-190509-ET"
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        local = fmt.DisplayClock.named("local")
        assert local.time(at) == "01:05:09" and local.label(at) == "CEST"
        assert local.file_stamp(at) == "20240702-010509-CEST"
        assert fmt.clock_time(at, 1.0, local) == "01:05:09 CEST"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_game_screen_names_what_the_archive_lacks_below_its_title() -> None:
    owed = "history: 160 earlier versions not yet archived (20260501_231155 to 20260502_004204)"
    row = GameRow(1, "2026-05-01", "CWS", "HOU", "live", "In Progress", archive_gaps=owed)
    assert _archive(row).plain == f" archive: {owed}"
    assert "archive" not in _title(row).plain + _about(row, fmt.Following(), fmt.LEAGUE_CLOCK).plain
    whole = GameRow(1, "2026-05-01", "CWS", "HOU", "live", "In Progress")
    assert _archive(whole).plain == ""


def test_the_game_screen_title_fits_80_columns() -> None:
    row = GameRow(
        718096, "2026-11-30", "MIN", "LAA", "live", "In Progress", None, 6, 3, 8, "Top", 1
    )
    title = _title(row).plain
    assert title == " MIN @ LAA  In Progress  6-3  ▲8 1 out  2026-11-30  gamePk 718096"
    assert len(title) <= 80


def test_following_says_push_or_polling_and_why() -> None:
    at = datetime(2026, 12, 1, 0, 1, 2, tzinfo=UTC)  # 19:01:02 ET
    live = GameRow(1, "2026-11-30", "MIN", "LAA", "live", "In Progress")
    final = replace(live, state="final", detailed_state="Final")

    def said(row: GameRow, push_on: bool | None, change: PushChanged | None = None) -> str:
        return fmt.following(row, fmt.Following(push_on, change), fmt.LEAGUE_CLOCK).plain

    assert said(live, False) == "followed by polling: push is off"
    assert said(live, True) == "followed by polling: no push socket yet"
    assert said(final, True) == "followed by polling: push sockets are for games under way"
    assert said(live, None) == "followed by polling"
    assert said(replace(live, by_push=True), None) == "followed by push, polled as a backstop"
    opened = PushChanged(at, 1, by_push=True, reason="push socket connected")
    assert said(live, True, opened) == "followed by push since 19:01:02 ET, polled as a backstop"
    refused = PushChanged(
        at, 1, by_push=False, reason="push socket cannot connect: upgrade refused (403)"
    )
    assert said(live, True, refused) == (
        "followed by polling since 19:01:02 ET: push socket cannot connect: upgrade refused (403)"
    )
