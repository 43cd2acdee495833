"""The monitor: takes every event, keeps health, metrics, alerts and SLA, and runs a 1 s loop.

``handle`` is what the runtime's sink fan-out calls; it only counts. ``run`` does the rest each
second: evaluate health and alert rules, emit ``HealthChanged``/``AlertChanged``/``MetricsSampled``,
persist alert changes, roll finished minutes into ``metric_rollups`` and probe the database.
A failed database write raises the ``database_write_failed`` alert; it never ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from mlbdash.config import Settings
from mlbdash.ingest.events import (
    Event,
    EventSink,
    HealthChanged,
    IssueFound,
    MetricsSampled,
    WorkerHeartbeat,
    WorkerStopped,
    WriteFailed,
)
from mlbdash.ingest.monitor.alerts import Alert, AlertBook
from mlbdash.ingest.monitor.health import (
    OK,
    CheckResult,
    DatabaseProbe,
    DatabaseStatus,
    DiskUsageProbe,
    Health,
    HealthThresholds,
    LoopLagProbe,
    ScheduleSource,
    disk_usage_of,
)
from mlbdash.ingest.monitor.metrics import BudgetProbe, Metrics
from mlbdash.ingest.monitor.rollup import rollup_rows
from mlbdash.ingest.monitor.rules import (
    AlertRule,
    ErrorFinding,
    GameCoverage,
    RuleInputs,
    default_rules,
    evaluate,
)
from mlbdash.ingest.monitor.sla import SlaReport, due_final, sla_report
from mlbdash.ingest.monitor.sla_db import with_stored_coverage
from mlbdash.ingest.store import Store, StoreError
from mlbdash.ingest.store import alerts as alert_rows
from mlbdash.ingest.store import metrics as rollup_store
from mlbdash.ingest.store.codec import iso
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.dates import league_time

CoverageSource = Callable[[], Iterable[GameCoverage]]
DB_ERRORS = (StoreError, sqlite3.Error, OSError)
MAX_QUEUED_WRITES = 5000


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    wait_s: float = 10.0  # metaData.wait: 10 in every recording
    # Both in real seconds: on a replay clock at speed 600 the loop still runs once a real
    # second (each tick then covers 600 clock seconds), so the monitor's cost does not scale
    # with the replay speed.
    tick_s: float = 1.0
    probe_every_s: float = 10.0
    max_game_s: float = 6 * 3600.0  # a game not final this long after first pitch is owed
    thresholds: HealthThresholds = field(default_factory=HealthThresholds)
    rules: tuple[AlertRule, ...] = field(default_factory=default_rules)
    display_clock: str = "league"  # the zone alert messages tell time in ([display] clock)
    rate_window_s: float = 300.0  # the throttled and error_rate rules' look-back
    push_backstop_s: float = 60.0  # a push game's poll interval while its socket is healthy

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorSettings:
        """The monitor as the user configured it (``[alerts]`` in the settings)."""
        hold = settings.alerts.resolve_hold_s
        rules = default_rules(frozen_feed_s=settings.alerts.frozen_feed_s)
        return cls(
            rules=tuple(replace(rule, clear_s=hold) for rule in rules),
            display_clock=settings.display.clock,
            rate_window_s=settings.alerts.rate_window_s,
            push_backstop_s=settings.poll.push_backstop_s,
        )


class Monitor:
    """Health, metrics, alerts and SLA of one ingest run."""

    def __init__(
        self,
        clock: Clock,
        sink: EventSink,
        store: Store | None = None,
        *,
        settings: MonitorSettings | None = None,
        budget: BudgetProbe | None = None,
        database_probe: DatabaseProbe | None = None,
        coverage: CoverageSource | None = None,
        delayed_share: Callable[[], float] | None = None,
        data_dir: Path | None = None,
        disk_usage: DiskUsageProbe = disk_usage_of,
        real_time: Callable[[], float] = time.monotonic,
        schedules: ScheduleSource | None = None,
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.store = store
        self.settings = settings or MonitorSettings()
        self.metrics = Metrics(clock, budget_probe=budget)
        self.metrics.games.wait_s = self.settings.wait_s
        self.metrics.games.push_backstop_s = self.settings.push_backstop_s
        self.loop_lag = LoopLagProbe(clock, self.settings.tick_s, real_time)
        self.database = DatabaseStatus() if store is not None or database_probe else None
        self._health = Health(
            clock,
            self.metrics,
            self.settings.thresholds,
            database=self.database,
            loop_lag=self.loop_lag,
            data_dir=data_dir,
            disk_usage=disk_usage,
            schedules=schedules,
        )
        self._health.workers.speed = clock.speed
        self.alerts = AlertBook(self.settings.rules)
        self._probe = database_probe or (self._meta_probe if store is not None else None)
        self._coverage = coverage
        self._delayed_share = delayed_share
        self._real_time = real_time
        self._error_findings: deque[ErrorFinding] = deque(maxlen=1000)
        self._statuses: dict[str, str] = {}
        self._rolled_until: int | None = None  # epoch second of the next minute to roll up
        self._last_probe: float | None = None
        self._restored = False

    # -- fed by the runtime ------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Take one event from the sink fan-out. Cheap and never blocks."""
        self.metrics.handle(event)
        if isinstance(event, WorkerHeartbeat):
            self._health.workers.beat(event.worker, event.at)
        elif isinstance(event, WorkerStopped):
            self._health.workers.stopped(event.worker, event.error, event.at)
        elif isinstance(event, WriteFailed) and self.database is not None:
            # At once, not at the next probe: the database_writable check and its alert.
            self.database.failed(event.at, f"{event.what}: {event.error}")
        elif isinstance(event, IssueFound) and event.severity == "error":
            self._error_findings.append(
                ErrorFinding(event.game_pk, event.rule, event.message, event.at)
            )

    def heartbeat(self, worker: str) -> None:
        """A worker is alive (the same as a ``WorkerHeartbeat`` event, stamped now)."""
        self._health.workers.beat(worker, self.clock.now())

    # -- read by the UI, reports and ``ingest --json`` ----------------------------------

    def health(self) -> Health:
        return self._health

    def checks(self) -> list[CheckResult]:
        return self._health.checks()

    def gave_up(self, after_s: float) -> str | None:
        """Why to give up, once no request has succeeded for ``after_s`` real seconds while
        requests fail (an idle run that asks nothing is not failing); None until then."""
        api = self.metrics.api
        if api.failing_since is None:
            return None
        now = self.clock.now()
        down_s = (now - api.failing_since).total_seconds() / (self.clock.speed or 1.0)
        if down_s < after_s:
            return None
        return (
            f"no successful request for {down_s:.0f}s (since {league_time(api.failing_since)}): "
            f"{api.last_failure}"
        )

    def coverage_games(self) -> list[GameCoverage]:
        if self._coverage is not None:
            return list(self._coverage())
        return [
            GameCoverage(g.game_pk, g.official_date, g.state, g.final_stored)
            for g in self.metrics.games.games.values()
            if g.official_date is not None
        ]

    def sla(self, official_date: str) -> SlaReport:
        now = self.clock.now()
        totals = self.metrics.games.date_totals(official_date, now)
        games = list(self._coverage()) if self._coverage is not None else None
        return sla_report(official_date, totals, games, now, max_game_s=self.settings.max_game_s)

    async def sla_stored(self, official_date: str) -> SlaReport:
        """``sla`` with coverage read from the database (schedule rows and stored finals).

        Used when no coverage source is wired (``ingest --json``, reports); a failed read
        counts as a database failure and the in-memory figures are returned.
        """
        report = self.sla(official_date)
        if self.store is None or self._coverage is not None:
            return report
        try:
            stored = await self.store.coverage(date.fromisoformat(official_date))
        except DB_ERRORS as exc:
            self._db_failed(exc)
            return report
        return with_stored_coverage(report, stored)

    def tracked_dates(self) -> list[str]:
        dates = set(self.metrics.games.dates())
        if self._coverage is not None:
            dates.update(g.official_date for g in self._coverage())
        return sorted(dates)

    def acknowledge(self, alert_id: int) -> bool:
        """Acknowledge an open alert by id; False when there is no such open alert."""
        event = self.alerts.acknowledge(alert_id, self.clock.now())
        if event is None:
            return False
        self.sink(event)
        return True

    def silence(self, rule: str, key: str, until: datetime) -> None:
        self.alerts.silence(rule, key, until, self.clock.now())

    async def alert_history(self, limit: int = 500) -> list[alert_rows.AlertRecord]:
        """Stored episodes, newest first (this run's only, when there is no store)."""
        if self.store is None:
            return [_record(a) for a in self.alerts.history()[:limit]]
        async with self.store.read() as conn:
            return await alert_rows.list_alerts(conn, limit=limit)

    # -- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Evaluate every ``tick_s`` until cancelled."""
        await self.restore()
        lag_task = asyncio.create_task(self.loop_lag.run(), name="monitor-loop-lag")
        try:
            while True:
                await self.clock.sleep(self.settings.tick_s * self.clock.speed)
                await self.tick()
        finally:
            lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag_task

    async def restore(self) -> None:
        """Pick up open episodes a previous run left in the store (once; later calls do nothing).

        Alert writes wait for it, so this run's episode ids never reuse a stored one.
        """
        if self.store is None or self._restored:
            return
        try:
            async with self.store.read() as conn:
                records = await alert_rows.open_alerts(conn)
                next_id = await alert_rows.next_alert_id(conn)
        except DB_ERRORS as exc:
            self._db_failed(exc)
            return
        self.alerts.restore([_alert(r) for r in records], next_id)
        self._restored = True

    async def tick(self) -> None:
        """One round of the loop (tests call it directly after moving a ManualClock)."""
        self.evaluate()
        await self.probe_database()
        await self.flush_alerts()
        await self.roll_up()

    def evaluate(self) -> None:
        """Health and alert rules now; emits what changed and one MetricsSampled."""
        now = self.clock.now()
        checks = self._health.checks()
        for check in checks:
            if self._statuses.get(check.name, OK) != check.status:
                self.sink(HealthChanged(now, check.name, check.status, check.reason))
            self._statuses[check.name] = check.status
        inputs = self.rule_inputs(now)
        for event in self.alerts.apply(evaluate(self.settings.rules, inputs), now):
            self.sink(event)
        self.sink(self._sampled(now, inputs))

    def rule_inputs(self, now: datetime) -> RuleInputs:
        api = self.metrics.api
        down = 0.0 if api.failing_since is None else (now - api.failing_since).total_seconds()
        workers = self._health.workers
        return RuleInputs(
            now=now,
            api_down_s=down,
            api_failure=api.last_failure,
            minute=self.metrics.snapshot(60.0, detail=False),
            lookback=self.metrics.snapshot(self.settings.rate_window_s, detail=False),
            live_games=self.metrics.games.live_games(now),
            wait_s=self.settings.wait_s,
            coverage=self.coverage_games(),
            error_findings=tuple(self._error_findings),
            worker_silence=workers.silent_for(now),
            worker_crashes=workers.crashes(now),
            database_error=self.database.last_error if self.database else None,
            frozen_games=self.metrics.games.frozen_games(),
            display_clock=self.settings.display_clock,
        )

    def _sampled(self, now: datetime, inputs: RuleInputs) -> MetricsSampled:
        snap = inputs.minute
        due = [g for g in inputs.coverage if due_final(g, now, self.settings.max_game_s)]
        stored = sum(g.final_stored for g in due)
        return MetricsSampled(
            at=now,
            requests_per_s=snap.requests_per_s,
            budget_rate_per_s=snap.budget_rate_per_s or 0.0,
            budget_nominal_per_s=snap.budget_nominal_per_s or 0.0,
            budget_in_use=snap.budget_in_use,
            budget_waiting=snap.budget_waiting,
            backoff_until=snap.budget_paused_until,
            retries_total=snap.retries_total,
            throttled_total=snap.throttled_total,
            errors_total=snap.errors_total,
            coverage=stored / len(due) if due else 1.0,
            degraded=self._delayed_share() if self._delayed_share else 0.0,
        )

    async def probe_database(self, *, force: bool = False) -> None:
        if self._probe is None or self.database is None:
            return
        mono = self.clock.monotonic() / self.clock.speed
        due = self._last_probe is None or mono - self._last_probe >= self.settings.probe_every_s
        if not (due or force):
            return
        self._last_probe = mono
        start = self._real_time()
        try:
            await self._probe()
        except DB_ERRORS as exc:
            self._db_failed(exc)
            return
        self.database.succeeded(self.clock.now(), self._real_time() - start)

    async def flush_alerts(self) -> None:
        """Persist queued alert changes in one transaction; kept for the next try on failure."""
        if self.store is None:
            self.alerts.take_writes()
            return
        # While the database is down the queue is bounded: the oldest history lines go first.
        del self.alerts.outbox[:-MAX_QUEUED_WRITES]
        await self.restore()
        if not self._restored:
            return  # the database cannot be read; the writes stay queued
        writes = self.alerts.take_writes()
        if not writes:
            return
        try:
            async with self.store.transaction() as conn:
                for write in writes:
                    await alert_rows.save_alert(conn, _record(write.alert))
                    await alert_rows.add_alert_event(
                        conn,
                        write.alert.id,
                        at=write.at,
                        state=write.event_state,
                        message=write.message,
                    )
        except DB_ERRORS as exc:
            self.alerts.outbox[:0] = writes
            self._db_failed(exc)

    async def roll_up(self) -> None:
        """Write every finished minute not yet written to ``metric_rollups``."""
        current = int(self.clock.now().timestamp()) // 60 * 60
        if self._rolled_until is None:
            self._rolled_until = current
        if self.store is None:
            self._rolled_until = current
            return
        while self._rolled_until < current:
            minute = self._rolled_until
            bucket = self.metrics.windows.minute(minute)
            if bucket is not None:
                rows = rollup_rows(bucket)
                try:
                    async with self.store.transaction() as conn:
                        await rollup_store.save_rollups(conn, rows)
                except DB_ERRORS as exc:
                    self._db_failed(exc)
                    return
            self._rolled_until = minute + 60

    async def _meta_probe(self) -> None:
        assert self.store is not None
        await self.store.set_meta("monitor_probe_at", iso(self.clock.now()))

    def _db_failed(self, exc: BaseException) -> None:
        if self.database is not None:
            self.database.failed(self.clock.now(), str(exc) or type(exc).__name__)


def _record(alert: Alert) -> alert_rows.AlertRecord:
    return alert_rows.AlertRecord(
        id=alert.id,
        rule=alert.rule,
        key=alert.key,
        severity=alert.severity,
        state=alert.state,
        message=alert.message,
        pending_since=alert.pending_since,
        fired_at=alert.fired_at,
        resolved_at=alert.resolved_at,
        acknowledged_at=alert.acknowledged_at,
        silenced_until=alert.silenced_until,
    )


def _alert(record: alert_rows.AlertRecord) -> Alert:
    return Alert(
        id=record.id,
        rule=record.rule,
        key=record.key,
        severity=record.severity,
        state=record.state,
        message=record.message or "",
        pending_since=record.pending_since or datetime.fromtimestamp(0, UTC),
        fired_at=record.fired_at,
        resolved_at=record.resolved_at,
        acknowledged_at=record.acknowledged_at,
        silenced_until=record.silenced_until,
    )
