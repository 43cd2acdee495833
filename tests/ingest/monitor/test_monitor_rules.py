"""Each default rule through pending -> firing -> resolved, driven by hand-built inputs."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mlbdash.ingest.monitor.alerts import FIRING, PENDING, RESOLVED, AlertBook
from mlbdash.ingest.monitor.games import LiveGame
from mlbdash.ingest.monitor.metrics import Metrics, MetricsSnapshot
from mlbdash.ingest.monitor.rules import (
    CRITICAL,
    WARNING,
    ErrorFinding,
    GameCoverage,
    RuleInputs,
    default_rules,
    evaluate,
)
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)
RULES = {rule.name: rule for rule in default_rules()}


def quiet_snapshot() -> MetricsSnapshot:
    return Metrics(ManualClock(START)).snapshot(60)


def inputs(now: datetime, **changes: object) -> RuleInputs:
    base = RuleInputs(
        now=now,
        api_down_s=0.0,
        api_failure=None,
        minute=quiet_snapshot(),
        lookback=replace(quiet_snapshot(), window_s=300.0),
        live_games=(),
        wait_s=10.0,
        coverage=(),
        error_findings=(),
        worker_silence={},
        worker_crashes={},
        database_error=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class Run:
    """An alert book stepped through time with inputs made by ``at(now)``.

    The rule resolves as soon as its condition goes (no hold): these tests are about when each
    rule's condition holds; the hold is tested in test_alert_hysteresis.py.
    """

    def __init__(self, rule: str) -> None:
        self.rules = [replace(RULES[rule], clear_s=0.0)]
        self.book = AlertBook(self.rules)
        self.now = START
        self.events: list[tuple[str, str]] = []

    def step(self, seconds: float, **changes: object) -> list[tuple[str, str, str]]:
        self.now += timedelta(seconds=seconds)
        conds = evaluate(self.rules, inputs(self.now, **changes))
        for e in self.book.apply(conds, self.now):
            self.events.append((e.key, e.state))
        return [(a.key, a.state, a.message) for a in self.book.open_alerts()]


def test_no_rule_is_active_on_a_quiet_pipeline() -> None:
    assert evaluate(default_rules(), inputs(START)) == []


def test_default_rules_and_thresholds() -> None:
    assert {(r.name, r.severity, r.threshold, r.for_s) for r in default_rules()} == {
        ("api_unreachable", CRITICAL, 60.0, 0.0),
        ("error_rate", WARNING, 0.10, 60.0),
        ("throttled", WARNING, 5.0, 0.0),
        ("budget_saturated", WARNING, 0.95, 120.0),
        ("stale_live_game", WARNING, 2.0, 30.0),
        ("frozen_feed", WARNING, 900.0, 0.0),
        ("coverage_gap", WARNING, 6 * 3600.0, 300.0),
        ("error_finding", WARNING, 600.0, 0.0),
        ("worker_crashed", CRITICAL, 30.0, 0.0),
        ("database_write_failed", CRITICAL, 0.0, 0.0),
    }


def test_api_unreachable() -> None:
    run = Run("api_unreachable")
    assert run.step(0, api_down_s=59.0, api_failure="connect refused") == []
    [(key, state, message)] = run.step(1, api_down_s=60.0, api_failure="connect refused")
    assert (key, state) == ("", FIRING)
    assert message == "no successful request for 60s (connect refused)"
    assert run.step(1) == []
    assert run.events == [("", PENDING), ("", FIRING), ("", RESOLVED)]


def test_error_rate_needs_its_for_duration() -> None:
    run = Run("error_rate")
    bad = replace(quiet_snapshot(), wire_requests=100, errors=20, error_rate=0.2, window_s=300.0)
    few = replace(bad, wire_requests=10, errors=5, error_rate=0.5)
    assert run.step(0, lookback=few) == []  # under 20 requests: not judged
    assert [s for _, s, _ in run.step(0, lookback=bad)] == [PENDING]
    assert [s for _, s, _ in run.step(59, lookback=bad)] == [PENDING]
    [(_, state, message)] = run.step(1, lookback=bad)
    assert state == FIRING and message == "20% of 100 requests failed in 5 min"
    assert run.step(1, lookback=replace(bad, errors=5, error_rate=0.05)) == []
    assert run.events == [("", PENDING), ("", FIRING), ("", RESOLVED)]


def test_error_rate_that_clears_while_pending_never_fires() -> None:
    run = Run("error_rate")
    bad = replace(quiet_snapshot(), wire_requests=100, errors=20, error_rate=0.2)
    run.step(0, lookback=bad)
    run.step(30)
    assert run.events == [("", PENDING), ("", RESOLVED)]
    assert run.book.history()[0].fired_at is None


def test_throttled() -> None:
    run = Run("throttled")
    assert run.step(0, lookback=replace(quiet_snapshot(), throttled=4)) == []
    [(_, state, message)] = run.step(1, lookback=replace(quiet_snapshot(), throttled=5))
    assert state == FIRING and "5 responses were 429" in message
    assert run.step(300) == []


def test_budget_saturated_by_use_or_pause() -> None:
    run = Run("budget_saturated")
    busy = replace(
        quiet_snapshot(),
        requests_per_s=4.9,
        budget_rate_per_s=5.0,
        budget_use=0.98,
        budget_waiting=12,
    )
    assert run.step(0, minute=replace(busy, budget_use=0.9)) == []
    assert [s for _, s, _ in run.step(0, minute=busy)] == [PENDING]
    [(_, state, message)] = run.step(120, minute=busy)
    assert state == FIRING
    assert message == "4.9 req/s of 5.0 allowed (98%), 12 queued"
    assert run.step(1, minute=replace(busy, budget_use=0.5)) == []
    paused = replace(quiet_snapshot(), budget_paused_until=run.now + timedelta(seconds=30))
    [(_, state, message)] = run.step(1, minute=paused)
    # In the one clock the screen shows (ET by default), never UTC.
    assert state == PENDING and message == "requests paused until 00:02:31 ET after push-back"


def test_budget_paused_message_follows_a_local_display_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        rule = RULES["budget_saturated"]
        paused = replace(quiet_snapshot(), budget_paused_until=START + timedelta(seconds=30))
        [condition] = rule.evaluate(inputs(START, minute=paused, display_clock="local"))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert condition.message == "requests paused until 06:00:30 CEST after push-back"


def test_stale_live_game_is_per_game_and_uses_twice_the_wait() -> None:
    run = Run("stale_live_game")
    fresh = LiveGame(746139, "2024-06-11", 20.0, 3.0)
    stale = LiveGame(745646, "2024-06-19", 21.0, None)
    state = run.step(0, live_games=(fresh, stale))
    assert [(k, s) for k, s, _ in state] == [("745646", PENDING)]
    state = run.step(30, live_games=(fresh, replace(stale, since_poll_s=51.0)))
    assert state == [
        ("745646", FIRING, "game 745646: stored version not confirmed for 51s (limit 20s)")
    ]
    # A slower server hint widens the limit.
    assert run.step(1, live_games=(fresh, stale), wait_s=15.0) == []


def test_coverage_gap() -> None:
    run = Run("coverage_gap")
    first_pitch = START - timedelta(hours=3)
    games = (
        GameCoverage(1, "2024-06-11", "final", final_stored=False, game_time=first_pitch),
        GameCoverage(2, "2024-06-11", "final", final_stored=True, game_time=first_pitch),
        GameCoverage(3, "2024-06-11", None, final_stored=False),
        GameCoverage(4, "2024-06-11", "postponed", final_stored=False, game_time=first_pitch),
        GameCoverage(5, "2024-06-11", "live", final_stored=False, game_time=first_pitch),
        GameCoverage(6, "2024-06-11", "scheduled", False, START - timedelta(hours=7)),
    )
    assert [(k, s) for k, s, _ in run.step(0, coverage=games)] == [
        ("1", PENDING),
        ("3", PENDING),
        ("6", PENDING),
    ]
    opened = run.step(300, coverage=games)
    assert [(k, s) for k, s, _ in opened] == [("1", FIRING), ("3", FIRING), ("6", FIRING)]
    assert [m for _, _, m in opened] == [
        "game 1: final, but no final version stored",
        "game 3: tracked but no state known",
        "game 6: scheduled more than 6 h after first pitch",
    ]
    fixed = (replace(games[0], final_stored=True), *games[1:])
    assert [k for k, _, _ in run.step(1, coverage=fixed)] == ["3", "6"]
    assert ("1", RESOLVED) in run.events


def test_error_finding_fires_per_game_and_rule_and_ages_out() -> None:
    run = Run("error_finding")
    seen = ErrorFinding(746139, "score_matches_linescore", "runs 3 != 4", START)
    again = replace(seen, seen_at=START + timedelta(seconds=100))
    [(key, state, message)] = run.step(0, error_findings=(seen,))
    assert (key, state) == ("746139:score_matches_linescore", FIRING)
    assert message == "game 746139: score_matches_linescore: runs 3 != 4"
    assert len(run.step(100, error_findings=(seen, again))) == 1  # deduplicated
    assert len(run.step(599, error_findings=(seen, again))) == 1  # 599 s after the last
    assert run.step(2, error_findings=(seen, again)) == []


def test_worker_crashed_by_crash_or_silence() -> None:
    run = Run("worker_crashed")
    assert run.step(0, worker_silence={"scheduler": 30.0}) == []
    opened = run.step(1, worker_silence={"scheduler": 31.0, "validator": 2.0})
    assert opened == [("scheduler", FIRING, "scheduler silent for 31s")]
    opened = run.step(
        1, worker_silence={"scheduler": 1.0, "validator": 3.0}, worker_crashes={"validator": "boom"}
    )
    assert opened == [("validator", FIRING, "validator crashed: boom")]
    assert ("scheduler", RESOLVED) in run.events


def test_database_write_failed() -> None:
    run = Run("database_write_failed")
    [(_, state, message)] = run.step(0, database_error="disk I/O error")
    assert state == FIRING and message == "database write failed: disk I/O error"
    assert run.step(1) == []


def test_one_open_episode_per_rule_and_key_and_ids_are_stable() -> None:
    run = Run("api_unreachable")
    run.step(0, api_down_s=61.0, api_failure="x")
    first = run.book.open_alerts()[0]
    run.step(1, api_down_s=62.0, api_failure="x")
    [again] = run.book.open_alerts()
    assert again.id == first.id and again.message.startswith("no successful request for 62s")
    run.step(1)
    run.step(1, api_down_s=61.0, api_failure="x")
    [third] = run.book.open_alerts()
    assert third.id == first.id + 1  # a new episode after the first resolved


def test_acknowledge_and_silence() -> None:
    run = Run("database_write_failed")
    run.step(0, database_error="locked")
    [alert] = run.book.firing()
    event = run.book.acknowledge(alert.id, run.now)
    assert event is not None and event.acknowledged and event.state == FIRING
    assert run.book.acknowledge(alert.id, run.now) is None  # already acknowledged
    assert run.book.acknowledge(999, run.now) is None
    assert run.book.firing()[0].row().acknowledged
    run.step(1)
    # Silenced: the next episode is recorded but emits no events until the silence ends.
    run.book.silence("database_write_failed", "", run.now + timedelta(minutes=10), run.now)
    before = len(run.events)
    run.step(1, database_error="locked")
    assert run.book.firing()[0].silenced_until == run.now + timedelta(minutes=9, seconds=59)
    run.step(1)
    assert len(run.events) == before
    run.step(600, database_error="locked")
    assert run.events[-1] == ("", FIRING)
    writes = run.book.take_writes()
    assert [w.event_state for w in writes].count("acknowledged") == 1
    assert run.book.take_writes() == []
