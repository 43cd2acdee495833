from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from monitor_helpers import game_updated, request

from mlbdash.ingest.events import GameStateChanged, PushChanged
from mlbdash.ingest.monitor.games import GameLedger
from mlbdash.ingest.monitor.rules import GameCoverage
from mlbdash.ingest.monitor.sla import sla_report
from mlbdash.mlb.timecode import timecode_instant as parse_timecode

START = datetime(2024, 6, 12, 2, 0, tzinfo=UTC)
DATE = "2024-06-11"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_parse_timecode() -> None:
    assert parse_timecode("20240612_042717") == datetime(2024, 6, 12, 4, 27, 17, tzinfo=UTC)
    assert parse_timecode("2024-06-12") is None


def test_live_freshness_is_time_weighted() -> None:
    ledger = GameLedger(wait_s=10.0)
    ledger.handle(GameStateChanged(at(0), 1, "pregame", "live", "In Progress", "schedule"))
    ledger.handle(game_updated(at(10), game_pk=1, lag_s=2))  # fresh
    ledger.handle(game_updated(at(20), game_pk=1, update="none"))  # nothing new: fresh
    # The poller stalls: the next poll, 60 s later, finds a version stamped at 25 s.
    # From 25 + 2*10 = 45 s to 80 s the stored version was stale: 35 s.
    ledger.handle(game_updated(at(80), game_pk=1, lag_s=55))
    ledger.handle(game_updated(at(90), game_pk=1, lag_s=1, state="final"))
    totals = ledger.date_totals(DATE, at(1000))
    assert totals.live_s == 90.0
    assert totals.stale_s == 35.0
    report = sla_report(DATE, totals, None, at(1000))
    assert report.live_freshness == pytest.approx(55 / 90)
    assert report.coverage == 1.0 and report.finals_stored == 1


def test_a_poll_that_finds_nothing_new_vouches_for_a_long_gap() -> None:
    ledger = GameLedger(wait_s=10.0)
    ledger.handle(game_updated(at(0), game_pk=1, lag_s=1))
    ledger.handle(game_updated(at(100), game_pk=1, update="none"))
    totals = ledger.date_totals(DATE, at(100))
    assert (totals.live_s, totals.stale_s) == (100.0, 0.0)


def test_an_overdue_poll_counts_as_stale_until_it_lands() -> None:
    ledger = GameLedger(wait_s=10.0)
    ledger.handle(game_updated(at(0), game_pk=1, lag_s=1))
    totals = ledger.date_totals(DATE, at(50))
    assert (totals.live_s, totals.stale_s) == (50.0, 30.0)
    [live] = ledger.live_games(at(50))
    assert (live.game_pk, live.since_poll_s, live.lag_s) == (1, 50.0, 1.0)


def test_poll_success_rate_counts_failed_feed_requests_of_the_dates_games() -> None:
    ledger = GameLedger()
    for i in range(99):
        ledger.handle(game_updated(at(i), game_pk=1, update="none"))
    ledger.handle(request(at(100), kind="diff_patch", game_pk=1, status=503))
    ledger.handle(request(at(100), kind="schedule", game_pk=1, status=503))  # not a poll
    ledger.handle(request(at(101), kind="feed", game_pk=1, status=200))  # counted by GameUpdated
    report = sla_report(DATE, ledger.date_totals(DATE, at(200)), None, at(200))
    assert (report.polls, report.polls_failed) == (100, 1)
    assert report.poll_success == pytest.approx(0.99)
    assert report.poll_success_met is True
    assert report.to_dict()["poll_success"] == {
        "value": pytest.approx(0.99),
        "goal": 0.99,
        "met": True,
        "polls": 100,
        "failed": 1,
    }


def test_coverage_from_the_scheduler_view() -> None:
    now = at(0)
    old = now - timedelta(hours=8)
    games = [
        GameCoverage(1, DATE, "final", True, old),
        GameCoverage(2, DATE, "final", False, old),
        GameCoverage(3, DATE, "postponed", False, old),  # not owed
        GameCoverage(4, DATE, "live", False, now - timedelta(hours=2)),  # not yet due
        GameCoverage(5, DATE, "scheduled", False, old),  # should have finished
        GameCoverage(6, "2024-06-12", "final", False, old),  # another date
    ]
    ledger = GameLedger()
    report = sla_report(DATE, ledger.date_totals(DATE, now), games, now)
    assert (report.games_due_final, report.finals_stored) == (3, 1)
    assert report.coverage == pytest.approx(1 / 3)
    assert report.missing == (2, 5)
    d = report.to_dict()
    assert d["coverage"]["met"] is False and d["coverage"]["missing"] == [2, 5]
    # Nothing measured yet is None, not a fake 100%.
    assert d["poll_success"]["value"] is None and d["live_freshness"]["value"] is None


def test_an_open_interval_of_a_game_followed_by_push_is_stale_past_its_backstop() -> None:
    ledger = GameLedger(wait_s=10.0, push_backstop_s=60.0)
    ledger.handle(game_updated(at(0), game_pk=1, lag_s=1))
    ledger.handle(PushChanged(at(0), 1, by_push=True, reason="push socket connected"))
    # Quiet play: the backstop poll is due at 60 s; stale only a wait after that.
    assert ledger.date_totals(DATE, at(70)).stale_s == 0.0
    assert ledger.date_totals(DATE, at(100)).stale_s == 30.0
    [live] = ledger.live_games(at(100))
    assert (live.by_push, live.due_s) == (True, 60.0)
