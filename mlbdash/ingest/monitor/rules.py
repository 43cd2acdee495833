"""Alert rules: pure functions from what the monitor knows (``RuleInputs``) to active conditions.

A rule says *what is wrong right now*; the alert book (``alerts.py``) turns a condition that
lasts ``for_s`` into a firing alert and one that goes away into a resolved one. Nothing here
reads the clock or does I/O, so every rule is unit-testable with hand-built inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mlbdash.ingest.monitor.games import FINAL, LIVE_STATES, WONT_FINISH, FrozenGame, LiveGame
from mlbdash.ingest.monitor.metrics import MetricsSnapshot
from mlbdash.mlb.dates import clock_time

WARNING = "warning"
CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class GameCoverage:
    """One tracked game as the scheduler sees it (the runtime supplies these)."""

    game_pk: int
    official_date: str
    state: str | None  # Lifecycle value; None when tracked but no state is known yet
    final_stored: bool
    game_time: datetime | None = None  # scheduled first pitch, UTC


@dataclass(frozen=True, slots=True)
class ErrorFinding:
    game_pk: int | None
    rule: str
    message: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class RuleInputs:
    now: datetime
    api_down_s: float  # seconds the API has been failing with no success since (0 if fine)
    api_failure: str | None
    minute: MetricsSnapshot  # last 60 s
    lookback: MetricsSnapshot  # the rate rules' window ([alerts] rate_window_s, 300 s)
    live_games: Sequence[LiveGame]
    wait_s: float
    coverage: Sequence[GameCoverage]
    error_findings: Sequence[ErrorFinding]
    worker_silence: dict[str, float]
    worker_crashes: dict[str, str]
    database_error: str | None
    frozen_games: Sequence[FrozenGame] = ()
    display_clock: str = "league"  # ``league`` (ET) or ``local``: as times on screen


@dataclass(frozen=True, slots=True)
class Condition:
    """A rule is active for ``key`` ("" for the whole pipeline)."""

    rule: str
    key: str
    severity: str
    message: str


Check = Callable[["AlertRule", RuleInputs], list[Condition]]


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    severity: str
    threshold: float
    for_s: float  # the condition must hold this long before the alert fires
    summary: str
    check: Check = field(repr=False)
    # The condition must stay away this long before the alert resolves: a game that falls
    # behind every few minutes, or an API that fails on and off, is one incident, not many.
    clear_s: float = 300.0

    def evaluate(self, inputs: RuleInputs) -> list[Condition]:
        return self.check(self, inputs)

    def condition(self, message: str, key: str = "") -> Condition:
        return Condition(self.name, key, self.severity, message)


def window_span(seconds: float) -> str:
    """A look-back as people say it: ``5 min``, ``30 s``."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _api_unreachable(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    if x.api_down_s < rule.threshold:
        return []
    return [rule.condition(f"no successful request for {x.api_down_s:.0f}s ({x.api_failure})")]


def _error_rate(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    snap = x.lookback
    if snap.wire_requests < 20 or snap.error_rate < rule.threshold:
        return []
    span = window_span(snap.window_s)
    return [
        rule.condition(f"{snap.error_rate:.0%} of {snap.wire_requests} requests failed in {span}")
    ]


def _throttled(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    n = x.lookback.throttled
    if n < rule.threshold:
        return []
    span = window_span(x.lookback.window_s)
    return [rule.condition(f"{n} responses were 429 Too Many Requests in {span}")]


def _budget_saturated(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    snap = x.minute
    paused = snap.budget_paused_until
    if paused is not None and paused > x.now:
        until = clock_time(paused, x.display_clock)
        return [rule.condition(f"requests paused until {until} after push-back")]
    use = snap.budget_use
    if use is None or use < rule.threshold:
        return []
    return [
        rule.condition(
            f"{snap.requests_per_s:.1f} req/s of {snap.budget_rate_per_s:.1f} allowed "
            f"({use:.0%}), {snap.budget_waiting} queued"
        )
    ]


def _stale_live_game(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    out = []
    for g in x.live_games:
        # Past its next poll by more than (threshold - 1) waits: threshold x wait for a polled
        # game; a push game is polled on news, else at the backstop, so quiet play is no delay.
        due = x.wait_s if g.due_s is None else g.due_s
        limit = due + (rule.threshold - 1) * x.wait_s
        if g.since_poll_s <= limit:
            continue
        how = f"; followed by push, polled every {due:.0f}s when quiet" if g.by_push else ""
        out.append(
            rule.condition(
                f"game {g.game_pk}: stored version not confirmed for {g.since_poll_s:.0f}s "
                f"(limit {limit:.0f}s{how})",
                key=str(g.game_pk),
            )
        )
    return out


def _frozen_feed(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    out = []
    for g in x.frozen_games:
        if g.frozen_s < rule.threshold:
            continue
        version = f"still version {g.timecode}" if g.timecode else "no version read yet"
        out.append(
            rule.condition(
                f"game {g.game_pk}: In Progress but its feed has not changed for "
                f"{g.frozen_s / 60:.0f} min of play ({version})",
                key=str(g.game_pk),
            )
        )
    return out


def coverage_gap(game: GameCoverage, now: datetime, max_game_s: float) -> str | None:
    """Why a tracked game is a coverage gap, or None when it is not."""
    if game.state is None:
        return "tracked but no state known"
    if game.final_stored or game.state in WONT_FINISH or game.state in LIVE_STATES:
        return None
    if game.state == FINAL:
        return "final, but no final version stored"
    if game.game_time is not None and (now - game.game_time).total_seconds() > max_game_s:
        hours = max_game_s / 3600
        return f"{game.state} more than {hours:.0f} h after first pitch"
    return None


def _coverage_gap(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    out = []
    for game in x.coverage:
        why = coverage_gap(game, x.now, rule.threshold)
        if why is not None:
            out.append(rule.condition(f"game {game.game_pk}: {why}", key=str(game.game_pk)))
    return out


def _error_finding(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    latest: dict[str, ErrorFinding] = {}
    for f in x.error_findings:
        if (x.now - f.seen_at).total_seconds() <= rule.threshold:
            key = f"{f.game_pk or ''}:{f.rule}"
            latest[key] = f
    return [
        rule.condition(
            f"{'game ' + str(f.game_pk) + ': ' if f.game_pk else ''}{f.rule}: {f.message}", key
        )
        for key, f in sorted(latest.items())
    ]


def _worker_crashed(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    out = [rule.condition(f"{n} crashed: {e}", key=n) for n, e in sorted(x.worker_crashes.items())]
    out += [
        rule.condition(f"{n} silent for {s:.0f}s", key=n)
        for n, s in sorted(x.worker_silence.items())
        if s > rule.threshold
    ]
    return out


def _database_write_failed(rule: AlertRule, x: RuleInputs) -> list[Condition]:
    if x.database_error is None:
        return []
    return [rule.condition(f"database write failed: {x.database_error}")]


def default_rules(*, frozen_feed_s: float = 900.0) -> tuple[AlertRule, ...]:
    """The rules mlbdash ships with. Thresholds are in the units each summary names."""
    return (
        AlertRule(
            "api_unreachable",
            CRITICAL,
            60.0,
            0.0,
            "requests failing with no success for threshold seconds",
            _api_unreachable,
        ),
        AlertRule(
            "error_rate",
            WARNING,
            0.10,
            60.0,
            "share of failed requests over the rate window (at least 20 requests)",
            _error_rate,
        ),
        AlertRule("throttled", WARNING, 5.0, 0.0, "429 responses in the rate window", _throttled),
        AlertRule(
            "budget_saturated",
            WARNING,
            0.95,
            120.0,
            "requests per second over the budget rate (1 min), or paused by push-back",
            _budget_saturated,
        ),
        AlertRule(
            "stale_live_game",
            WARNING,
            2.0,
            # One failed poll and its back-off leave a game unconfirmed for 30-40 s; only a
            # game stale well past that is worth a person's look.
            30.0,
            "a live game's stored version unconfirmed for more than threshold x wait (a game "
            "followed by push: its backstop poll interval plus (threshold - 1) x wait)",
            _stale_live_game,
        ),
        AlertRule(
            "frozen_feed",
            WARNING,
            frozen_feed_s,
            0.0,
            "a game In Progress whose feed has not changed for threshold seconds "
            "(delays, reviews and suspensions not counted)",
            _frozen_feed,
        ),
        AlertRule(
            "coverage_gap",
            WARNING,
            6 * 3600.0,
            300.0,
            "a final game not stored, a tracked game with no state, or a game not final "
            "threshold seconds after first pitch",
            _coverage_gap,
        ),
        AlertRule(
            "error_finding",
            WARNING,
            600.0,
            0.0,
            "an error-level validation finding seen in the last threshold seconds",
            _error_finding,
        ),
        AlertRule(
            "worker_crashed",
            CRITICAL,
            30.0,
            0.0,
            "a worker crashed or sent no heartbeat for threshold seconds",
            _worker_crashed,
        ),
        AlertRule(
            "database_write_failed",
            CRITICAL,
            0.0,
            0.0,
            "the last database write (probe or metrics roll-up) failed",
            _database_write_failed,
        ),
    )


def evaluate(rules: Sequence[AlertRule], inputs: RuleInputs) -> list[Condition]:
    """Every active condition of every rule."""
    out: list[Condition] = []
    for rule in rules:
        out.extend(rule.evaluate(inputs))
    return out
