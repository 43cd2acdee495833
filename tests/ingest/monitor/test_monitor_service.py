"""The Monitor facade over a real temporary database, driven by a ManualClock."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conftest import load_fixture
from monitor_helpers import game_updated, request

from mlbdash.config import Settings
from mlbdash.ingest.events import (
    AlertChanged,
    Event,
    HealthChanged,
    MetricsSampled,
    PushChanged,
    WorkerHeartbeat,
    WorkerStopped,
)
from mlbdash.ingest.monitor import FIRING, PENDING, RESOLVED, Monitor, MonitorSettings
from mlbdash.ingest.store import ScheduleEntry, Store
from mlbdash.ingest.store import alerts as alert_rows
from mlbdash.ingest.store import metrics as rollup_rows
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def alerts(self) -> list[tuple[str, str, str]]:
        return [(e.rule, e.key, e.state) for e in self.events if isinstance(e, AlertChanged)]


async def step(monitor: Monitor, clock: ManualClock, seconds: float = 1.0) -> None:
    await clock.advance(seconds)
    await monitor.tick()


async def test_alert_history_is_stored_and_restored(tmp_path: Path) -> None:
    clock = ManualClock(START)
    sink = Sink()
    async with Store.open(tmp_path / "m.sqlite3", clock=clock) as store:
        monitor = Monitor(clock, sink, store)
        await monitor.restore()
        monitor.handle(WorkerHeartbeat(clock.now(), "scheduler"))
        await step(monitor, clock)
        await step(monitor, clock, 31)  # scheduler silent 32 s
        assert sink.alerts() == [
            ("worker_crashed", "scheduler", "pending"),
            ("worker_crashed", "scheduler", "firing"),
        ]
        [alert] = monitor.alerts.firing()
        assert monitor.acknowledge(alert.id)
        await step(monitor, clock)
        async with store.read() as conn:
            [stored] = await alert_rows.open_alerts(conn)
            history = await alert_rows.alert_events(conn, stored.id)
        assert (stored.rule, stored.key, stored.state) == ("worker_crashed", "scheduler", FIRING)
        assert stored.acknowledged_at == START + timedelta(seconds=32)
        assert [h.state for h in history] == ["pending", "firing", "acknowledged"]
        assert history[1].message == "scheduler silent for 32s"

    # A new run picks up the open episode and resolves it once the worker is back.
    sink2 = Sink()
    async with Store.open(tmp_path / "m.sqlite3", clock=clock) as store:
        monitor = Monitor(clock, sink2, store)
        await monitor.restore()
        assert [a.id for a in monitor.alerts.firing()] == [stored.id]
        monitor.handle(WorkerHeartbeat(clock.now(), "scheduler"))
        await step(monitor, clock)
        cleared = clock.now()
        for _ in range(60):  # the hold before resolving: the worker keeps beating 5 minutes
            monitor.heartbeat("scheduler")
            await step(monitor, clock, 5)
        assert sink2.alerts() == [("worker_crashed", "scheduler", RESOLVED)]
        [record] = await monitor.alert_history()
        # Resolved as of when the worker came back, not when the hold ended.
        assert record.state == RESOLVED and record.resolved_at == cleared


async def test_minutes_are_rolled_up_into_sqlite(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "m.sqlite3", clock=clock) as store:
        monitor = Monitor(clock, Sink(), store)
        await monitor.tick()
        for i in range(10):
            monitor.handle(request(clock.now(), latency_s=0.1 * (i + 1)))
        monitor.handle(request(clock.now(), status=429, error="HTTP 429"))
        monitor.handle(game_updated(clock.now(), lag_s=4))
        await step(monitor, clock, 59)
        async with store.read() as conn:
            assert await rollup_rows.load_rollups(conn, first_minute="", last_minute="~") == []
        await step(monitor, clock, 1)  # 04:01: the 04:00 minute is complete
        async with store.read() as conn:
            rows = await rollup_rows.load_rollups(
                conn, first_minute="2024-06-12T04:00Z", last_minute="2024-06-12T04:00Z"
            )
    by_name = {(r.name, r.labels): r for r in rows}
    assert by_name[("requests", "kind=feed,source=wire,status=200")].count == 10
    assert by_name[("throttled", "kind=feed")].count == 1
    latency = by_name[("latency_all_s", "")]
    assert (latency.count, latency.min, latency.max) == (11, 0.1, 1.0)
    assert latency.p50 == 0.5
    assert by_name[("freshness_lag_s", "")].max == 4.0
    assert by_name[("updates", "update=diff")].count == 1


async def test_a_failing_database_raises_an_alert_and_the_loop_goes_on(tmp_path: Path) -> None:
    clock = ManualClock(START)
    sink = Sink()
    broken = True

    async def probe() -> None:
        if broken:
            raise sqlite3.OperationalError("disk I/O error")

    monitor = Monitor(clock, sink, database_probe=probe)
    task = asyncio.create_task(monitor.run())
    for _ in range(5):  # let the loop and the lag probe fall asleep on the clock
        await asyncio.sleep(0)
    assert clock.pending_sleepers == 2
    await clock.advance(1)  # first tick: probe fails
    await clock.advance(1)  # second tick: the rule sees it
    assert ("database_write_failed", "", FIRING) in sink.alerts()
    health = {e.check: e.status for e in sink.of(HealthChanged)}  # type: ignore[attr-defined]
    assert health["database_writable"] == "failing"
    broken = False
    await clock.advance(10)  # the next probe succeeds
    await clock.advance(1)
    assert sink.alerts()[-1] == ("database_write_failed", "", FIRING)  # held 5 minutes
    await clock.advance(300)
    assert sink.alerts()[-1] == ("database_write_failed", "", RESOLVED)
    assert not task.done()
    assert len(sink.of(MetricsSampled)) >= 12
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_writes_that_fail_are_kept_and_retried(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "m.sqlite3", clock=clock) as store:
        monitor = Monitor(clock, Sink(), store)
        monitor.handle(WorkerStopped(clock.now(), "validator", "ValueError: bad"))
        monitor.evaluate()
        writes = len(monitor.alerts.outbox)
        assert writes == 2  # pending and firing
        await store.set_meta("x", "y")
        # Make the next transaction fail: a trigger that refuses inserts into alerts.
        async with store.transaction() as conn:
            await conn.execute(
                "CREATE TRIGGER no_alerts BEFORE INSERT ON alerts "
                "BEGIN SELECT RAISE(ABORT, 'alerts are read-only'); END"
            )
        await monitor.flush_alerts()
        assert len(monitor.alerts.outbox) == writes
        assert monitor.database is not None and monitor.database.last_error is not None
        async with store.transaction() as conn:
            await conn.execute("DROP TRIGGER no_alerts")
        await monitor.flush_alerts()
        assert monitor.alerts.outbox == []
        async with store.read() as conn:
            [stored] = await alert_rows.open_alerts(conn)
        assert stored.message == "validator crashed: ValueError: bad"


async def test_metrics_sampled_carries_the_rate_limit_panel() -> None:
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    for _ in range(30):
        monitor.handle(request(clock.now()))
    monitor.handle(request(clock.now(), status=503))
    monitor.handle(game_updated(clock.now(), state="final"))
    monitor.evaluate()
    [sampled] = sink.of(MetricsSampled)
    assert isinstance(sampled, MetricsSampled)
    assert sampled.requests_per_s == 31 / 60
    assert sampled.errors_total == 1
    assert sampled.coverage == 1.0
    report = monitor.sla("2024-06-11")
    assert (report.finals_stored, report.polls, report.polls_failed) == (1, 2, 1)
    assert monitor.tracked_dates() == ["2024-06-11"]


async def test_heartbeat_method_and_stale_live_game_alert() -> None:
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    monitor.heartbeat("poller")
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=1))
    await step(monitor, clock, 20)
    assert sink.alerts() == []
    monitor.heartbeat("poller")
    await step(monitor, clock, 1)
    assert sink.alerts() == [("stale_live_game", "746139", "pending")]
    await step(monitor, clock, 30)  # stale past the rule's pending time
    stale = [a for a in sink.alerts() if a[0] == "stale_live_game"]
    assert stale[-1] == ("stale_live_game", "746139", "firing")
    monitor.handle(game_updated(clock.now(), game_pk=746139, update="none"))
    await step(monitor, clock, 1)
    stale = [a for a in sink.alerts() if a[0] == "stale_live_game"]
    assert stale[-1] == ("stale_live_game", "746139", "firing")  # held
    for _ in range(30):
        monitor.handle(game_updated(clock.now(), game_pk=746139, update="none"))
        await step(monitor, clock, 10)
    stale = [a for a in sink.alerts() if a[0] == "stale_live_game"]
    assert stale[-1] == ("stale_live_game", "746139", RESOLVED)


def _stale(sink: Sink) -> list[tuple[str, str, str]]:
    return [a for a in sink.alerts() if a[0] == "stale_live_game"]


async def test_a_game_followed_by_push_is_not_stale_while_quiet_between_backstop_polls() -> None:
    """The demo's false alarm: a game told of by push is polled on news, else at the backstop
    (60 s); a quiet stretch of play (or a frozen feed) is no news, not a stall."""
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=1))
    monitor.handle(PushChanged(clock.now(), 746139, by_push=True, reason="push socket connected"))
    for _ in range(5):  # five quiet minutes, each closed by the backstop poll
        for _ in range(60):
            await step(monitor, clock, 1)
        monitor.handle(game_updated(clock.now(), game_pk=746139, update="none"))
    assert _stale(sink) == []
    # The same quiet game followed by polling alone is stale past two waits.
    monitor.handle(PushChanged(clock.now(), 746139, by_push=False, reason="push socket closed"))
    await step(monitor, clock, 21)
    assert _stale(sink) == [("stale_live_game", "746139", PENDING)]


async def test_a_push_games_backstop_backing_off_while_quiet_is_not_a_stall() -> None:
    """After a backstop poll that stored nothing the next is due twice as long after (the
    scheduler's push_backstop_interval): 120 s, then stale a wait past it."""
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=1))
    monitor.handle(PushChanged(clock.now(), 746139, by_push=True, reason="push socket connected"))
    await step(monitor, clock, 60)
    monitor.handle(game_updated(clock.now(), game_pk=746139, update="none"))
    await step(monitor, clock, 130)
    assert _stale(sink) == []
    await step(monitor, clock, 1)
    assert _stale(sink) == [("stale_live_game", "746139", PENDING)]


async def test_a_game_followed_by_push_whose_backstop_poll_never_comes_is_stale() -> None:
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=1))
    monitor.handle(PushChanged(clock.now(), 746139, by_push=True, reason="push socket connected"))
    await step(monitor, clock, 70)
    assert _stale(sink) == []
    await step(monitor, clock, 1)  # the backstop poll is a wait late
    assert _stale(sink) == [("stale_live_game", "746139", PENDING)]
    await step(monitor, clock, 30)
    assert _stale(sink)[-1] == ("stale_live_game", "746139", FIRING)
    (alert,) = [a for a in monitor.alerts.firing() if a.rule == "stale_live_game"]
    assert alert.message == (
        "game 746139: stored version not confirmed for 101s "
        "(limit 70s; followed by push, polled every 60s when quiet)"
    )


async def test_a_game_whose_socket_is_lost_is_due_a_poll_within_a_wait() -> None:
    """Back to polling 5 s after a poll: the next is due by 15 s, stale past 25 s."""
    clock = ManualClock(START)
    sink = Sink()
    monitor = Monitor(clock, sink)
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=1))
    monitor.handle(PushChanged(clock.now(), 746139, by_push=True, reason="push socket connected"))
    await step(monitor, clock, 5)
    monitor.handle(PushChanged(clock.now(), 746139, by_push=False, reason="push socket closed"))
    await step(monitor, clock, 20)
    assert _stale(sink) == []
    await step(monitor, clock, 1)
    assert _stale(sink) == [("stale_live_game", "746139", PENDING)]


async def test_sla_coverage_from_the_database(tmp_path: Path) -> None:
    clock = ManualClock(START)
    feed = load_fixture("feed/feed_744914_final.json.gz")
    async with Store.open(tmp_path / "m.sqlite3", clock=clock) as store:
        day = date(2024, 6, 11)
        final = {"coded_game_state": "F", "abstract_game_state": "Final"}
        await store.upsert_schedule_games(
            [
                ScheduleEntry(744914, day, **final),  # type: ignore[arg-type]
                ScheduleEntry(745646, day, **final),  # type: ignore[arg-type]
                ScheduleEntry(746215, day, coded_game_state="D", abstract_game_state="Final"),
            ]
        )
        await store.store_version(
            744914, feed["metaData"]["timeStamp"], "full", feed, None, {"state": "final"}
        )
        monitor = Monitor(clock, Sink(), store)
        monitor.handle(game_updated(clock.now(), game_pk=744914, state="final"))
        report = await monitor.sla_stored("2024-06-11")
    # The postponed game (coded D) is not owed; the unstored final is missing.
    assert (report.games_due_final, report.finals_stored) == (2, 1)
    assert report.missing == (745646,)
    assert report.to_dict()["coverage"]["value"] == 0.5
    assert report.polls == 1


async def test_episodes_opened_before_restore_never_overwrite_stored_ones(tmp_path: Path) -> None:
    clock = ManualClock(START)
    path = tmp_path / "m.sqlite3"
    async with Store.open(path, clock=clock) as store:
        first = Monitor(clock, Sink(), store)
        first.handle(WorkerStopped(clock.now(), "a", "boom"))
        first.handle(WorkerStopped(clock.now(), "b", "boom"))
        await first.tick()
    async with Store.open(path, clock=clock) as store:
        second = Monitor(clock, Sink(), store)
        # Evaluated before any restore: "c" is numbered 1 in memory, like stored "a".
        second.handle(WorkerStopped(clock.now(), "c", "bang"))
        second.evaluate()
        await second.flush_alerts()
        async with store.read() as conn:
            rows = {r.key: (r.id, r.message) for r in await alert_rows.list_alerts(conn)}
    assert rows == {
        "a": (1, "a crashed: boom"),
        "b": (2, "b crashed: boom"),
        "c": (3, "c crashed: bang"),
    }


async def test_throttled_counts_429s_over_the_rate_window_setting() -> None:
    """``[alerts] rate_window_s`` (the demo's 30 s): five 429s fire ``throttled`` and name the
    window; once they are older than the window and the hold has passed, it resolves."""
    clock = ManualClock(START)
    sink = Sink()
    settings = Settings.model_validate({"alerts": {"rate_window_s": 30, "resolve_hold_s": 15}})
    monitor = Monitor(clock, sink, settings=MonitorSettings.from_settings(settings))
    for _ in range(5):
        monitor.handle(request(clock.now(), status=429))
    await step(monitor, clock, 1)
    assert sink.alerts() == [("throttled", "", PENDING), ("throttled", "", FIRING)]
    firing = sink.of(AlertChanged)[-1]
    assert isinstance(firing, AlertChanged)
    assert firing.message == "5 responses were 429 Too Many Requests in 30 s"
    await step(monitor, clock, 29)  # the 429s are 30 s old: still in the window
    assert sink.alerts()[-1] == ("throttled", "", FIRING)
    for _ in range(16):  # out of the window, then the 15 s hold
        await step(monitor, clock, 1)
    assert sink.alerts()[-1] == ("throttled", "", RESOLVED)
    assert Settings().alerts.rate_window_s == 300.0  # live default: five minutes
