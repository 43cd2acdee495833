"""Alerts as incidents: a pending time before firing and a hold before resolving, so a
condition that comes and goes is one incident, not a dozen (driven by hand-built inputs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mlbdash.config import Settings
from mlbdash.ingest.monitor import MonitorSettings
from mlbdash.ingest.monitor.alerts import FIRING, PENDING, RESOLVED, AlertBook
from mlbdash.ingest.monitor.games import LiveGame
from mlbdash.ingest.monitor.metrics import Metrics
from mlbdash.ingest.monitor.rules import AlertRule, RuleInputs, default_rules, evaluate
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 0, 0, tzinfo=UTC)
STALE = next(r for r in default_rules() if r.name == "stale_live_game")


def _inputs(now: datetime, since_poll_s: float) -> RuleInputs:
    quiet = Metrics(ManualClock(START)).snapshot(60)
    return RuleInputs(
        now=now,
        api_down_s=0.0,
        api_failure=None,
        minute=quiet,
        lookback=quiet,
        live_games=(LiveGame(746139, "2024-06-11", since_poll_s, None),),
        wait_s=10.0,
        coverage=(),
        error_findings=(),
        worker_silence={},
        worker_crashes={},
        database_error=None,
    )


def _flapping(rule: AlertRule, minutes: int = 35) -> tuple[AlertBook, list[tuple[str, str]]]:
    """A live game whose polls fail for 70 s, then succeed for 30 s, over and over (a light
    fault run): stale, fresh, stale... each second for ``minutes``."""
    book = AlertBook([rule])
    events: list[tuple[str, str]] = []
    last_poll = START
    for second in range(minutes * 60):
        now = START + timedelta(seconds=second)
        if second % 100 >= 70:
            last_poll = now  # a poll confirmed the stored version
        since = (now - last_poll).total_seconds()
        for event in book.apply(evaluate([rule], _inputs(now, since)), now):
            events.append((event.key, event.state))
    final = START + timedelta(minutes=minutes)
    for second in range(400):  # then the game is fine for good
        now = final + timedelta(seconds=second)
        applied = book.apply(evaluate([rule], _inputs(now, 0.0)), now)
        events.extend((e.key, e.state) for e in applied)
    return book, events


def test_a_flapping_condition_is_one_incident() -> None:
    book, events = _flapping(STALE)
    assert events == [("746139", PENDING), ("746139", FIRING), ("746139", RESOLVED)]
    (incident,) = book.history()
    assert incident.fired_at is not None and incident.resolved_at is not None
    # Resolved as of when the game was confirmed for good (the last cycle's polls at 34:30),
    # not when the hold ran out.
    assert incident.resolved_at == START + timedelta(minutes=34, seconds=30)


def test_without_the_pending_time_and_the_hold_it_would_be_a_dozen() -> None:
    _, events = _flapping(replace(STALE, for_s=0.0, clear_s=0.0))
    assert events.count(("746139", FIRING)) == 21


def test_a_condition_shorter_than_the_pending_time_never_fires() -> None:
    book = AlertBook([STALE])
    states = []
    for second in range(400):
        now = START + timedelta(seconds=second)
        since = 45.0 if second < 25 else 0.0  # stale for 25 s only
        states += [e.state for e in book.apply(evaluate([STALE], _inputs(now, since)), now)]
    assert states == [PENDING, RESOLVED]
    (episode,) = book.history()
    assert episode.fired_at is None


def test_the_hold_is_a_setting() -> None:
    settings = Settings.model_validate({"alerts": {"resolve_hold_s": 60}})
    rules = MonitorSettings.from_settings(settings).rules
    assert {rule.clear_s for rule in rules} == {60.0}
    assert {rule.clear_s for rule in MonitorSettings.from_settings(Settings()).rules} == {300.0}
