"""The runtime: wires the API client, scheduler, store, validator and monitor into one pipeline.

Use it as ``async with Runtime(settings) as rt: summary = await rt.run(until_done=True)``.
Entering it opens the services and makes one ``RuntimeState`` that every part shares:
``ScheduleReader`` (schedule reads), ``VersionKeeper`` (feed polls, storing and validating
versions), ``PushLink`` (push sockets), ``Monitoring`` (request log, heartbeats, loops),
``Jobs`` (what the driver runs), the views (``scheduler.views.ViewBuilder``) and the summary.
Every event goes through one fan-out (``subscribe``) to the monitor, the request ledger and
log, and whoever listens (the dashboard, the ``ingest`` progress line). The dashboard's calls
(``snapshot``, ``game_detail``, ``refresh_now`` ...) are methods here, so no widget ever
touches the store, the feed or the network.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from mlbdash.config import Settings
from mlbdash.errors import UsageError
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.events import Event, EventSink, GameUpdated, RequestFinished, WorkerStopped
from mlbdash.ingest.history import version_view
from mlbdash.ingest.monitor import Monitor, MonitorSettings, PrometheusServer, serve_prometheus
from mlbdash.ingest.replay_clock import discover_clock
from mlbdash.ingest.retry import RetryPolicy
from mlbdash.ingest.runtime.jobs import Jobs
from mlbdash.ingest.runtime.monitoring import HEARTBEAT_S, Monitoring, coverage_games
from mlbdash.ingest.runtime.pushing import PushLink
from mlbdash.ingest.runtime.recording import beat
from mlbdash.ingest.runtime.schedule import ScheduleReader
from mlbdash.ingest.runtime.state import EventBus, RuntimeState
from mlbdash.ingest.runtime.summary import build_summary
from mlbdash.ingest.runtime.versions import MERGE_CHECK_RATE, VersionKeeper
from mlbdash.ingest.scheduler import PollPolicy, Scheduler, TrackedDates
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.summary import IngestSummary, RequestLedger
from mlbdash.ingest.scheduler.views import ViewBuilder
from mlbdash.ingest.store import Store, StoreError
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.validator.export import export_findings_csv
from mlbdash.ingest.validator.review import set_review_status
from mlbdash.ingest.views import DashboardSnapshot, GameDetail, VersionView
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.dates import league_today
from mlbdash.mlb.facts import VersionFacts

LATE_REAL_S = 0.02


@dataclass(frozen=True, slots=True)
class _Parts:
    """The parts of an open runtime, wired to one shared state."""

    state: RuntimeState
    views: ViewBuilder
    monitoring: Monitoring
    versions: VersionKeeper
    schedule: ScheduleReader
    push: PushLink
    jobs: Jobs


class Runtime:
    """One ingest pipeline. Not reusable: enter it once."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        tracked: TrackedDates | None = None,
        db_path: Path | None = None,
        retry: RetryPolicy | None = None,
        history: bool = True,
        merge_check_rate: float = MERGE_CHECK_RATE,
    ) -> None:
        self.settings = settings
        self.history = history
        self.merge_check_rate = merge_check_rate
        self.tracked = tracked or TrackedDates()
        self.db_path = db_path or settings.resolved_db_path()
        self._given_clock = clock
        self._transport = transport
        self._retry = retry
        self._bus = EventBus()
        self._stack: AsyncExitStack | None = None
        self._parts: _Parts | None = None
        self._prometheus: PrometheusServer | None = None
        self._stop = asyncio.Event()
        self._stop_reason = "stopped"
        self._started_at: datetime | None = None
        self._gave_up: str | None = None  # why an --until-done run gave up, once it has

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            self._parts = await self._open(stack)
            if self.settings.metrics_port is not None:
                monitor = self._parts.state.monitor
                try:
                    self._prometheus = await serve_prometheus(
                        monitor.metrics,
                        self.settings.metrics_port,
                        health=monitor.health(),
                        alerts=monitor.alerts,
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

    async def _open(self, stack: AsyncExitStack) -> _Parts:
        """Open the services, make the shared state, and wire each part to it."""
        settings, emit = self.settings, self._bus.emit
        clock = self._given_clock or await discover_clock(
            settings.api_url, transport=self._transport
        )
        store = await stack.enter_async_context(Store.open(self.db_path, clock=clock))
        client = MlbApiClient.from_settings(
            settings, clock=clock, sink=emit, transport=self._transport, retry=self._retry
        )
        await stack.enter_async_context(client)
        scheduler = Scheduler(
            PollPolicy(settings.poll),
            self.tracked.initial(league_today(clock.now())),
            # A poll counts as late past 1 clock second or 20 ms of real time, whichever is
            # longer: on a fast replay clock a second is a millisecond or two.
            lateness_tolerance_s=max(1.0, LATE_REAL_S * clock.speed),
        )
        monitor = Monitor(
            clock,
            emit,
            store,
            settings=MonitorSettings.from_settings(settings),
            budget=client.budget.snapshot,
            coverage=lambda: coverage_games(scheduler),
            delayed_share=lambda: scheduler.lateness.degraded,
            data_dir=self.db_path.parent,
            schedules=scheduler.schedule_status,
        )
        state = RuntimeState(
            settings=settings,
            clock=clock,
            store=store,
            client=client,
            monitor=monitor,
            scheduler=scheduler,
            ledger=RequestLedger(),
            emit=emit,
            history=self.history,
            merge_check_rate=self.merge_check_rate,
        )
        views = ViewBuilder(state)
        # Late-bound: the loop re-reads through ``refresh_findings`` as it is at each pass.
        monitoring = Monitoring(state, lambda: self.refresh_findings())
        push = PushLink(state)
        versions = VersionKeeper(state, monitoring, push)
        schedule = ScheduleReader(state, versions)
        jobs = Jobs(state, schedule, versions, monitoring)
        # The pipeline's own consumers of every event, in this order, before any listener.
        self._bus.attach(monitor.handle)
        self._bus.attach(_ledger_sink(state.ledger))
        self._bus.attach(monitoring.handle)
        return _Parts(state, views, monitoring, versions, schedule, push, jobs)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            if self._parts is not None:
                with contextlib.suppress(StoreError):
                    await self._parts.monitoring.flush_requests()
            await stack.aclose()

    @property
    def parts(self) -> _Parts:
        """The parts of the open pipeline and the state they share (raises when not open)."""
        if self._parts is None:
            raise RuntimeError("Runtime is not open; use it as 'async with Runtime(...)'")
        return self._parts

    # -- running -----------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until no poll or schedule read is running (returns at once when not running)."""
        driver = self._parts.state.driver if self._parts else None
        if driver is not None:
            await driver.wait_idle()

    def stop(self, reason: str = "stopped") -> None:
        """Ask ``run`` to end cleanly; ``reason`` becomes the summary's ``stop_reason``
        (``interrupted`` for SIGINT, ``terminated`` for SIGTERM, ``duration``...).

        Requests waiting on the network or a backoff end at once; a write in progress is
        finished (or rolled back), never cut off.
        """
        if not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()
        if self._parts is not None:
            self._parts.state.client.abort_requests()
            self._parts.state.wake_driver()

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
        parts = self.parts
        state, monitoring, jobs = parts.state, parts.monitoring, parts.jobs
        scheduler, clock = state.scheduler, state.clock
        self._started_at = clock.now()
        reason = "stopped"
        driver = Driver(
            scheduler,
            clock,
            jobs.run_job,
            max_concurrency=self.settings.max_concurrency,
            on_crash=jobs.crashed,
            heartbeat=lambda: beat(state, "scheduler"),
            heartbeat_s=HEARTBEAT_S,
            job_deadline_s=self.settings.job_deadline_s,
            on_overdue=jobs.overdue,
        )
        state.driver = driver
        hub = parts.push.start()
        loop = asyncio.get_running_loop()
        timer = None
        if duration_s is not None:
            timer = loop.call_later(duration_s, self.stop, "duration")
        monitoring.closing.clear()
        # Loops that write to the store end on their own when asked (cancelling one inside a
        # transaction would leave the shared connection mid-rollback); the follow loop and the
        # loop-lag probe do not write and are cancelled.
        writers = [
            self._worker("monitor", monitoring.monitor_loop),
            self._worker("request-log", monitoring.flush_loop),
            self._worker("findings-view", monitoring.findings_loop),
        ]
        others = [asyncio.create_task(state.monitor.loop_lag.run(), name="loop-lag")]
        if follow:
            others.append(self._worker("follow", parts.schedule.follow_loop))

        waits_for_done = until_done and not follow

        def should_stop() -> bool:
            if self._stop.is_set():
                return True
            if not waits_for_done:
                return False
            if scheduler.finished():
                return True
            if give_up_after_s is not None and self._gave_up is None:
                self._gave_up = state.monitor.gave_up(give_up_after_s)
            return self._gave_up is not None

        try:
            await driver.run(should_stop)
        except Exception as exc:
            state.emit(WorkerStopped(clock.now(), "scheduler", _reason(exc)))
            raise
        else:
            state.emit(WorkerStopped(clock.now(), "scheduler"))
        finally:
            if timer is not None:
                timer.cancel()
            monitoring.closing.set()
            monitoring.flush_wanted.set()
            for task in others:
                task.cancel()
            await asyncio.gather(*writers, *others, return_exceptions=True)
            if hub is not None:
                state.push = None
                await hub.close()
            state.driver = None
        if self._stop.is_set() and self._stop_reason != "stopped":
            reason = self._stop_reason
        elif until_done and scheduler.finished():
            reason = "done"
        elif self._gave_up is not None:
            reason = "gave_up"
        await monitoring.last_flush()
        with contextlib.suppress(StoreError):
            await state.monitor.tick()
        return await self.summary(reason)

    def _worker(self, name: str, loop: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run one long-lived loop as a task; its end is reported (with the error if it
        crashed), so the monitor's workers check shows it failing rather than silent."""
        state = self.parts.state

        async def supervised() -> None:
            error: str | None = None
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = _reason(exc)
            finally:
                state.emit(WorkerStopped(state.clock.now(), name, error))

        return asyncio.create_task(supervised(), name=name)

    # -- what the pipeline holds (valid inside ``async with``) -------------------------------

    @property
    def clock(self) -> Clock:
        return self.parts.state.clock

    @property
    def store(self) -> Store:
        return self.parts.state.store

    @property
    def client(self) -> MlbApiClient:
        return self.parts.state.client

    @property
    def monitor(self) -> Monitor:
        return self.parts.state.monitor

    @property
    def scheduler(self) -> Scheduler:
        return self.parts.state.scheduler

    @property
    def ledger(self) -> RequestLedger:
        return self.parts.state.ledger

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def league_dates(self) -> tuple[str, ...]:
        return self.parts.state.league_dates

    @property
    def metrics_port(self) -> int | None:
        """The port the Prometheus exporter listens on (None when not serving)."""
        return self._prometheus.port if self._prometheus else None

    @property
    def write_failures(self) -> Counter[str]:
        """Failed writes by what they held (versions, findings, requests, ...)."""
        return self._parts.state.write_failures if self._parts else Counter()

    @property
    def unstored(self) -> Counter[str]:
        """What failed writes lost for good, by what it was."""
        return self._parts.state.unstored if self._parts else Counter()

    @property
    def write_error(self) -> str | None:
        """The last failed write, until a write succeeds."""
        return self._parts.state.write_error if self._parts else None

    def labels(self, game_pk: int) -> tuple[str, str]:
        """(away, home) as a scoreboard shows them: abbreviations once a feed has been read."""
        return self.parts.state.label(game_pk)

    def facts_of(self, game_pk: int) -> VersionFacts | None:
        """The facts of the game's current version (None before its first poll)."""
        return self.parts.state.facts_of(game_pk)

    def follower_feed(self, game_pk: int) -> dict[str, Any] | None:
        return self.parts.state.follower_feed(game_pk)

    # -- events ------------------------------------------------------------------------------

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Receive every event from now on; call the returned function to stop."""
        return self._bus.subscribe(sink)

    # -- dashboard calls ---------------------------------------------------------------------

    def snapshot(self) -> DashboardSnapshot:
        return self.parts.views.snapshot()

    async def game_detail(self, game_pk: int) -> GameDetail:
        return await self.parts.views.game_detail(game_pk)

    async def game_version(self, game_pk: int, timecode: str) -> VersionView:
        """One stored version of a game, rebuilt from the archive (time travel)."""
        return await version_view(self.store, game_pk, timecode)

    async def refresh_findings(self) -> None:
        """Re-read the findings the dashboard shows (done every few seconds while running)."""
        await self.parts.views.refresh_findings()

    async def refresh_now(self) -> None:
        """Poll every followed game and read every tracked date's schedule now, and return
        once those requests have ended (retries included).

        Raises ``MlbdashError`` naming what failed and why: a schedule that could not be read,
        polls that failed, or a pipeline that is not running.
        """
        await self.parts.jobs.refresh_now()

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
        summary = await build_summary(self.parts.state, stop_reason, self._started_at)
        if self._gave_up is not None:
            summary = replace(summary, extra={**summary.extra, "gave_up": self._gave_up})
        return summary


def _ledger_sink(ledger: RequestLedger) -> EventSink:
    """The request ledger as a consumer of events: requests, and what each poll did."""

    def handle(event: Event) -> None:
        if isinstance(event, GameUpdated | RequestFinished):
            ledger.handle(event)

    return handle


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
