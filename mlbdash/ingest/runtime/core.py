"""The runtime: wires the API client, scheduler, store, validator and monitor into one pipeline.

Use it as ``async with Runtime(settings) as rt: summary = await rt.run(until_done=True)``.
Every event any worker emits goes through one fan-out (``subscribe``) to the monitor, the
request log and whoever listens (the dashboard, the ``ingest`` progress line). The dashboard's
calls (``snapshot``, ``game_detail``, ``refresh_now`` ...) are methods here, so no widget ever
touches the store, the feed or the network.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from mlbdash.errors import UsageError
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.events import WorkerStopped
from mlbdash.ingest.history import version_view
from mlbdash.ingest.monitor import Monitor, MonitorSettings, serve_prometheus
from mlbdash.ingest.replay_clock import discover_clock
from mlbdash.ingest.runtime.base import (
    FINDINGS_REFRESH_S,
    FOLLOW_CHECK_S,
    HEARTBEAT_S,
    LATE_REAL_S,
    MONITOR_MIN_TICK_S,
    REQUEST_FLUSH_S,
    REQUESTS_HELD_MAX,
)
from mlbdash.ingest.runtime.schedule import ScheduleRuntime
from mlbdash.ingest.runtime.summary import build_summary
from mlbdash.ingest.scheduler import PollPolicy, Scheduler
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.summary import IngestSummary
from mlbdash.ingest.scheduler.views import ViewBuilder
from mlbdash.ingest.store import Store, StoreError
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.validator.export import export_findings_csv
from mlbdash.ingest.validator.review import set_review_status
from mlbdash.ingest.views import DashboardSnapshot, GameDetail, VersionView
from mlbdash.mlb.dates import league_today


class Runtime(ScheduleRuntime):
    """One ingest pipeline. Not reusable: enter it once."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            clock = self._given_clock or await discover_clock(
                self.settings.api_url, transport=self._transport
            )
            self._clock = clock
            self._store = await stack.enter_async_context(Store.open(self.db_path, clock=clock))
            client = MlbApiClient.from_settings(
                self.settings,
                clock=clock,
                sink=self._emit,
                transport=self._transport,
                retry=self._retry,
            )
            self._client = await stack.enter_async_context(client)
            self._monitor = Monitor(
                clock,
                self._emit,
                self._store,
                settings=MonitorSettings.from_settings(self.settings),
                budget=client.budget.snapshot,
                coverage=self._coverage_games,
                delayed_share=lambda: self.scheduler.lateness.degraded,
                data_dir=self.db_path.parent,
                schedules=lambda: self.scheduler.schedule_status(),
            )
            today = league_today(clock.now())
            self._scheduler = Scheduler(
                PollPolicy(self.settings.poll),
                self.tracked.initial(today),
                # A poll counts as late past 1 clock second or 20 ms of real time, whichever is
                # longer: on a fast replay clock a second is a millisecond or two.
                lateness_tolerance_s=max(1.0, LATE_REAL_S * clock.speed),
            )
            self._views = ViewBuilder(self)
            if self.settings.metrics_port is not None:
                try:
                    self._prometheus = await serve_prometheus(
                        self._monitor.metrics,
                        self.settings.metrics_port,
                        health=self._monitor.health(),
                        alerts=self._monitor.alerts,
                    )
                except OSError as exc:
                    raise UsageError(
                        f"cannot serve metrics on port {self.settings.metrics_port}: "
                        f"{exc.strerror or exc}"
                    ) from None
                stack.push_async_callback(self._prometheus.close)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            with contextlib.suppress(StoreError):
                await self._flush_requests()
            await stack.aclose()

    # -- running -----------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until no poll or schedule read is running (returns at once when not running)."""
        if self._driver is not None:
            await self._driver.wait_idle()

    def stop(self, reason: str = "stopped") -> None:
        """Ask ``run`` to end cleanly; ``reason`` becomes the summary's ``stop_reason``
        (``interrupted`` for SIGINT, ``terminated`` for SIGTERM, ``duration``...).

        Requests waiting on the network or a backoff end at once; a write in progress is
        finished (or rolled back), never cut off.
        """
        if not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()
        if self._client is not None:
            self._client.abort_requests()
        if self._driver is not None:
            self._driver.wake()

    async def run(
        self,
        until_done: bool = False,
        duration_s: float | None = None,
        follow: bool = False,
        give_up_after_s: float | None = None,
    ) -> IngestSummary:
        """Ingest until ``stop()``, until every game is done (``until_done``), or for
        ``duration_s`` real seconds; ``follow`` adds each new league date as it begins.

        With ``until_done`` (and not ``follow``), ``give_up_after_s`` ends the run once no
        request has succeeded for that many real seconds: stop reason ``gave_up``, the cause
        in the summary's ``gave_up``. Other runs keep trying."""
        if duration_s is not None and duration_s <= 0:
            raise UsageError("duration must be a positive number of seconds")
        scheduler = self.scheduler
        self._started_at = self.clock.now()
        reason = "stopped"
        driver = Driver(
            scheduler,
            self.clock,
            self._run_job,
            max_concurrency=self.settings.max_concurrency,
            on_crash=self._job_crashed,
            heartbeat=lambda: self._beat("scheduler"),
            heartbeat_s=HEARTBEAT_S,
            job_deadline_s=self.settings.job_deadline_s,
            on_overdue=self._job_overdue,
        )
        self._driver = driver
        hub = self._start_push()
        loop = asyncio.get_running_loop()
        timer = None
        if duration_s is not None:
            timer = loop.call_later(duration_s, self.stop, "duration")
        self._closing.clear()
        # Loops that write to the store end on their own when asked (cancelling one inside a
        # transaction would leave the shared connection mid-rollback); the follow loop and the
        # loop-lag probe do not write and are cancelled.
        writers = [
            self._worker("monitor", self._monitor_loop),
            self._worker("request-log", self._flush_loop),
            self._worker("findings-view", self._findings_loop),
        ]
        others = [asyncio.create_task(self.monitor.loop_lag.run(), name="loop-lag")]
        if follow:
            others.append(self._worker("follow", self._follow_loop))

        waits_for_done = until_done and not follow

        def should_stop() -> bool:
            if self._stop.is_set():
                return True
            if not waits_for_done:
                return False
            if scheduler.finished():
                return True
            if give_up_after_s is not None and self._gave_up is None:
                self._gave_up = self.monitor.gave_up(give_up_after_s)
            return self._gave_up is not None

        try:
            await driver.run(should_stop)
        except Exception as exc:
            self._emit(WorkerStopped(self.clock.now(), "scheduler", _reason(exc)))
            raise
        else:
            self._emit(WorkerStopped(self.clock.now(), "scheduler"))
        finally:
            if timer is not None:
                timer.cancel()
            self._closing.set()
            self._flush_wanted.set()
            for task in others:
                task.cancel()
            await asyncio.gather(*writers, *others, return_exceptions=True)
            if hub is not None:
                self._push = None
                await hub.close()
            self._driver = None
        if self._stop.is_set() and self._stop_reason != "stopped":
            reason = self._stop_reason
        elif until_done and scheduler.finished():
            reason = "done"
        elif self._gave_up is not None:
            reason = "gave_up"
        try:
            await self._flush_requests()
        except StoreError as exc:
            self._write_failed("requests", exc.message, lost=len(self._requests_pending))
            self._requests_pending = []
            self._polls_pending = {}
        with contextlib.suppress(StoreError):
            await self.monitor.tick()
        return await self.summary(reason)

    def _worker(self, name: str, loop: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run one long-lived loop as a task; its end is reported (with the error if it
        crashed), so the monitor's workers check shows it failing rather than silent."""

        async def supervised() -> None:
            error: str | None = None
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = _reason(exc)
            finally:
                if self._monitor is not None:
                    self._emit(WorkerStopped(self.clock.now(), name, error))

        return asyncio.create_task(supervised(), name=name)

    async def _pause(self, real_s: float) -> None:
        """Sleep ``real_s`` real seconds, or less when the run is closing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), real_s)

    async def _monitor_loop(self) -> None:
        monitor = self.monitor
        await monitor.restore()
        # One tick per clock second, but never more than a few per real second: against a
        # fast replay clock every tick would otherwise cost a database probe and a rule pass.
        tick = max(monitor.settings.tick_s / self.clock.speed, MONITOR_MIN_TICK_S)
        while not self._closing.is_set():
            self._beat("monitor")
            await self._pause(min(tick, HEARTBEAT_S))
            if not self._closing.is_set():
                await monitor.tick()

    async def _flush_loop(self) -> None:
        while not self._closing.is_set():
            self._beat("request-log")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_wanted.wait(), REQUEST_FLUSH_S)
            self._flush_wanted.clear()
            try:
                await self._flush_requests()
            except StoreError as exc:
                self._write_failed("requests", exc.message)

    async def _findings_loop(self) -> None:
        while not self._closing.is_set():
            self._beat("findings-view")
            with contextlib.suppress(StoreError):
                await self.refresh_findings()
            await self._pause(min(FINDINGS_REFRESH_S, HEARTBEAT_S))

    async def _flush_requests(self) -> None:
        """Write the request log and the games' poll counters: one transaction per batch.

        Per-poll writes would cost a transaction for every poll that found nothing new; on a
        full slate that is most polls, and the one database connection is the bottleneck.
        """
        if self._store is None or not (self._requests_pending or self._polls_pending):
            return
        batch, self._requests_pending = self._requests_pending, []
        polls, self._polls_pending = self._polls_pending, {}
        try:
            await self._store.log_requests_and_polls(batch, polls)
        except BaseException:
            # Kept for the next flush (newest first to go if the database stays down), so a
            # failed write loses nothing until the run ends, where what is left is named.
            self._requests_pending = [*batch, *self._requests_pending][-REQUESTS_HELD_MAX:]
            for pk, (n, at, ok) in polls.items():
                later = self._polls_pending.get(pk)
                if later is None:
                    self._polls_pending[pk] = (n, at, ok)
                else:
                    self._polls_pending[pk] = (n + later[0], later[1], later[2] or ok)
            raise

    async def _follow_loop(self) -> None:
        # Looks every FOLLOW_CHECK_S clock seconds, but wakes to beat every HEARTBEAT_S real
        # seconds (as long as the clock moves: a test's ManualClock only moves when stepped).
        step = min(FOLLOW_CHECK_S, HEARTBEAT_S * self.clock.speed)
        next_check = self.clock.now()
        while True:
            self._beat("follow")
            now = self.clock.now()
            if now >= next_check:
                next_check = now + timedelta(seconds=FOLLOW_CHECK_S)
                today = league_today(now)
                # Finished days before today leave memory (all of it is in the store).
                self._retire_dates(today)
                if self.scheduler.add_date(today) and self._driver is not None:
                    self._driver.wake()
            await self.clock.sleep(step)

    # -- dashboard calls ---------------------------------------------------------------------

    def snapshot(self) -> DashboardSnapshot:
        assert self._views is not None
        return self._views.snapshot()

    async def game_detail(self, game_pk: int) -> GameDetail:
        assert self._views is not None
        return await self._views.game_detail(game_pk)

    async def game_version(self, game_pk: int, timecode: str) -> VersionView:
        """One stored version of a game, rebuilt from the archive (time travel)."""
        return await version_view(self.store, game_pk, timecode)

    async def refresh_findings(self) -> None:
        """Re-read the findings the dashboard shows (done every few seconds while running)."""
        assert self._views is not None
        await self._views.refresh_findings()

    async def set_finding_status(self, finding_id: int, status: str) -> None:
        if not await set_review_status(self.store, finding_id, status):
            raise UsageError(f"no finding with id {finding_id}")
        await self.refresh_findings()

    async def acknowledge_alert(self, alert_id: int) -> None:
        if not self.monitor.acknowledge(alert_id):
            raise UsageError(f"no open alert with id {alert_id}")
        await self.monitor.flush_alerts()

    async def silence_alert(self, alert_id: int, until: datetime) -> None:
        alert = next((a for a in self.monitor.alerts.open_alerts() if a.id == alert_id), None)
        if alert is None:
            raise UsageError(f"no open alert with id {alert_id}")
        self.monitor.silence(alert.rule, alert.key, until)
        await self.monitor.flush_alerts()

    async def export_validation_csv(self, path: Path, *, force: bool = False) -> int:
        async with self.store.read() as conn:
            rows = await finding_rows.list_findings(conn)
        return await asyncio.to_thread(export_findings_csv, rows, Path(path), force=force)

    # -- the summary -------------------------------------------------------------------------

    async def summary(self, stop_reason: str = "stopped") -> IngestSummary:
        summary = await build_summary(self, stop_reason, self._started_at, self._crashes)
        if self._gave_up is not None:
            summary = replace(summary, extra={**summary.extra, "gave_up": self._gave_up})
        return summary


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
