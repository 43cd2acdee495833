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
import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from mlbdash.config import Settings
from mlbdash.errors import UsageError
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.events import (
    Event,
    EventSink,
    FeedRefetched,
    GameStateChanged,
    GameUpdated,
    IssueFound,
    RequestFinished,
    ScheduleGameUpdated,
    WorkerHeartbeat,
    WorkerStopped,
)
from mlbdash.ingest.monitor import Monitor, PrometheusServer, serve_prometheus
from mlbdash.ingest.monitor.rules import GameCoverage
from mlbdash.ingest.replay_clock import discover_clock
from mlbdash.ingest.retry import RetryPolicy
from mlbdash.ingest.scheduler import (
    FEED,
    FeedFacts,
    Job,
    Phase,
    PollPolicy,
    Scheduler,
    TrackedDates,
    Transition,
)
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.entries import (
    ScheduleParseError,
    entries_by_date,
    parse_schedule,
    stored_entry,
)
from mlbdash.ingest.scheduler.facts import FeedSummary, summarize_feed
from mlbdash.ingest.scheduler.recorder import GameRecorder, VersionKind
from mlbdash.ingest.scheduler.summary import GameSummary, IngestSummary, RequestLedger
from mlbdash.ingest.scheduler.views import ViewBuilder
from mlbdash.ingest.store import Store, StoreError
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store import requests as request_rows
from mlbdash.ingest.store.codec import iso
from mlbdash.ingest.store.feeds import is_final
from mlbdash.ingest.validator.corrections import CORRECTED_BY_RECHECK
from mlbdash.ingest.validator.crossref import (
    VersionSummary,
    check_schedule_vs_feed,
    compare_merged_vs_full,
    sample_for_merge_check,
)
from mlbdash.ingest.validator.crossref import summarize_feed as summarize_version
from mlbdash.ingest.validator.export import export_findings_csv
from mlbdash.ingest.validator.findings import Finding
from mlbdash.ingest.validator.review import set_review_status, validate_and_record
from mlbdash.ingest.validator.rules import (
    SCHEDULE_FEED_DATE,
    SCHEDULE_FEED_SCORE,
    SCHEDULE_FEED_STATUS,
    SCHEDULE_FEED_TEAMS,
)
from mlbdash.ingest.validator.service import FeedContext, validate_feed, validate_schedule
from mlbdash.ingest.views import DashboardSnapshot, GameDetail
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.dates import league_today

CROSSREF_RULES = (
    SCHEDULE_FEED_TEAMS.id,
    SCHEDULE_FEED_DATE.id,
    SCHEDULE_FEED_STATUS.id,
    SCHEDULE_FEED_SCORE.id,
)
REQUEST_FLUSH_S = 1.0  # real seconds between batched writes of the request log
REQUEST_FLUSH_MAX = 500
FOLLOW_CHECK_S = 60.0  # clock seconds between looks for a new league date under --follow
LATE_REAL_S = 0.02
MONITOR_MIN_TICK_S = 0.25  # real seconds
FINDINGS_REFRESH_S = 2.0  # real seconds between re-reads of the findings the dashboard shows
# Share of diff-merged versions checked against a fresh full fetch of the same timecode (a
# Final version always is): one extra request per 50 versions keeps the budget nearly intact.
MERGE_CHECK_RATE = 1 / 50
# Real seconds between heartbeats of the long-lived loops at most; the monitor calls a worker
# silent for 15 s degraded and 30 s failing.
HEARTBEAT_S = 2.0


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
        self._stack: AsyncExitStack | None = None
        self._subscribers: list[EventSink] = []
        self._requests_pending: list[RequestFinished] = []
        self._polls_pending: dict[int, tuple[int, datetime, datetime | None]] = {}
        self._flush_wanted = asyncio.Event()
        self._stop = asyncio.Event()
        # Held from a status change in the scheduler to its row in game_states, so the stored
        # transitions keep the order in which they happened.
        self._state_lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self.ledger = RequestLedger()
        self._recorders: dict[int, GameRecorder] = {}
        self._previous: dict[int, VersionSummary] = {}
        # Games whose last recorded validation found nothing (so a sound version has nothing
        # to resolve). A game not in here is validated through the store.
        self._clean: set[int] = set()
        self._crossref_pending: set[int] = set()  # final stored, schedule not Final yet
        self._raw_games: dict[tuple[date, int], dict[str, Any]] = {}
        self._labels: dict[int, tuple[str, str]] = {}
        self._rechecking: set[int] = set()
        self._driver: Driver | None = None
        self._prometheus: PrometheusServer | None = None
        self._started_at: datetime | None = None
        self._crashes = 0
        # Set in __aenter__.
        self._clock: Clock | None = None
        self._store: Store | None = None
        self._client: MlbApiClient | None = None
        self._monitor: Monitor | None = None
        self._scheduler: Scheduler | None = None
        self._views: ViewBuilder | None = None

    # -- lifecycle -----------------------------------------------------------------------

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
                budget=client.budget.snapshot,
                coverage=self._coverage_games,
                delayed_share=lambda: self.scheduler.lateness.degraded,
                data_dir=self.db_path.parent,
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

    # -- parts (valid inside ``async with``) ---------------------------------------------

    @property
    def clock(self) -> Clock:
        if self._clock is None:
            raise RuntimeError("Runtime is not open; use it as 'async with Runtime(...)'")
        return self._clock

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("Runtime is not open")
        return self._store

    @property
    def client(self) -> MlbApiClient:
        if self._client is None:
            raise RuntimeError("Runtime is not open")
        return self._client

    @property
    def monitor(self) -> Monitor:
        if self._monitor is None:
            raise RuntimeError("Runtime is not open")
        return self._monitor

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            raise RuntimeError("Runtime is not open")
        return self._scheduler

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def league_dates(self) -> tuple[str, ...]:
        return tuple(d.isoformat() for d in self.scheduler.dates)

    @property
    def metrics_port(self) -> int | None:
        """The port the Prometheus exporter listens on (None when not serving)."""
        return self._prometheus.port if self._prometheus else None

    def labels(self, game_pk: int) -> tuple[str, str]:
        """(away, home) as a scoreboard shows them: abbreviations once a feed has been read."""
        if game_pk in self._labels:
            return self._labels[game_pk]
        track = self.scheduler.tracks.get(game_pk)
        return (track.entry.away, track.entry.home) if track else ("?", "?")

    def recorder_feed(self, game_pk: int) -> dict[str, Any] | None:
        recorder = self._recorders.get(game_pk)
        return recorder.feed if recorder else None

    # -- events --------------------------------------------------------------------------

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Receive every event from now on; call the returned function to stop."""
        self._subscribers.append(sink)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(sink)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        if self._monitor is not None:
            self._monitor.handle(event)
        if isinstance(event, RequestFinished):
            self.ledger.handle(event)
            self._requests_pending.append(event)
            if len(self._requests_pending) >= REQUEST_FLUSH_MAX:
                self._flush_wanted.set()
        for sink in list(self._subscribers):
            try:
                sink(event)
            except Exception:
                # A listener that breaks must not break ingest: it stops listening.
                with contextlib.suppress(ValueError):
                    self._subscribers.remove(sink)

    # -- running -------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until no poll or schedule read is running (returns at once when not running)."""
        if self._driver is not None:
            await self._driver.wait_idle()

    def stop(self) -> None:
        """Ask ``run`` to end cleanly (signal handlers call this)."""
        self._stop.set()
        if self._driver is not None:
            self._driver.wake()

    async def run(
        self,
        until_done: bool = False,
        duration_s: float | None = None,
        follow: bool = False,
    ) -> IngestSummary:
        """Ingest until ``stop()``, until every game is done (``until_done``), or for
        ``duration_s`` real seconds; ``follow`` adds each new league date as it begins."""
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
        )
        self._driver = driver
        loop = asyncio.get_running_loop()
        timer = None
        if duration_s is not None:
            timer = loop.call_later(duration_s, self.stop)
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

        def should_stop() -> bool:
            return self._stop.is_set() or (until_done and not follow and scheduler.finished())

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
            self._driver = None
        if until_done and scheduler.finished():
            reason = "done"
        elif duration_s is not None and self._stop.is_set():
            reason = "duration"
        await self._flush_requests()
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

    def _beat(self, worker: str) -> None:
        self._emit(WorkerHeartbeat(self.clock.now(), worker))

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
                self._emit(WorkerStopped(self.clock.now(), "request-log", exc.message))

    async def _findings_loop(self) -> None:
        while not self._closing.is_set():
            self._beat("findings-view")
            with contextlib.suppress(StoreError):
                await self.refresh_findings()
            await self._pause(min(FINDINGS_REFRESH_S, HEARTBEAT_S))

    def _note_poll(self, game_pk: int, *, success: bool) -> None:
        """Count a poll for the games table; written in batches with the request log."""
        now = self.clock.now()
        polls, _, last_success = self._polls_pending.get(game_pk, (0, now, None))
        self._polls_pending[game_pk] = (polls + 1, now, now if success else last_success)

    async def _flush_requests(self) -> None:
        """Write the request log and the games' poll counters: one transaction per batch.

        Per-poll writes would cost a transaction for every poll that found nothing new; on a
        full slate that is most polls, and the one database connection is the bottleneck.
        """
        if self._store is None or not (self._requests_pending or self._polls_pending):
            return
        batch, self._requests_pending = self._requests_pending, []
        polls, self._polls_pending = self._polls_pending, {}
        async with self._store.transaction() as conn:
            if batch:
                await request_rows.insert_requests(conn, batch)
            if polls:
                await conn.executemany(
                    "UPDATE games SET polls = polls + ?, last_poll_at = ?, "
                    "last_success_at = COALESCE(?, last_success_at) WHERE game_pk = ?",
                    [
                        (n, iso(at), iso(ok) if ok else None, pk)
                        for pk, (n, at, ok) in polls.items()
                    ],
                )

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
                if self.scheduler.add_date(league_today(now)) and self._driver is not None:
                    self._driver.wake()
            await self.clock.sleep(step)

    def _job_crashed(self, job: Job, exc: BaseException) -> None:
        """A bug in a job: recorded as a failed poll so the game keeps being polled."""
        self._crashes += 1
        now = self.clock.now()
        reason = f"internal error: {type(exc).__name__}: {exc}"
        if job.kind == FEED:
            assert isinstance(job.key, int)
            self.scheduler.feed_failed(job.key, reason, now)
        else:
            assert isinstance(job.key, date)
            self.scheduler.schedule_failed(job.key, now)
        self._emit(WorkerStopped(now, f"{job.kind}:{job.key}", reason))

    async def _run_job(self, job: Job) -> None:
        if job.kind == FEED:
            assert isinstance(job.key, int)
            await self._poll_game(job.key)
        else:
            assert isinstance(job.key, date)
            await self._refresh_schedule(job.key)

    async def refresh_now(self) -> None:
        """Poll every followed game and read every tracked date's schedule now."""
        now = self.clock.now()
        scheduler = self.scheduler
        for track in scheduler.tracks.values():
            if track.phase in (Phase.FOLLOW, Phase.FINISHING):
                track.next_poll_at = now
        scheduler.refresh_schedules(now)
        if self._driver is not None:
            self._driver.wake()

    # -- schedule ------------------------------------------------------------------------

    async def _refresh_schedule(self, day: date) -> None:
        scheduler = self.scheduler
        params = {"sportId": ",".join(str(i) for i in self.settings.sport_ids)}
        params["date"] = day.isoformat()
        if self.settings.teams:
            params["teamId"] = ",".join(str(i) for i in self.settings.teams)
        try:
            # The raw answer (not client.schedule's parsed one): it is kept as a snapshot and
            # the validator's schedule rules read it as sent.
            fetched = await self.client.get_json("schedule", "v1/schedule", params)
            schedule = parse_schedule(fetched.data)
        except (ApiError, ScheduleParseError):
            scheduler.schedule_failed(day, self.clock.now())
            return
        raw: dict[str, Any] = fetched.data
        entries = entries_by_date(schedule).get(day, [])
        listed = {g.game_pk: g for d, g in schedule.games() if d == day and g.game_pk}
        for raw_day in raw.get("dates") or []:
            if isinstance(raw_day, dict) and raw_day.get("date") == day.isoformat():
                for raw_game in raw_day.get("games") or []:
                    if isinstance(raw_game, dict) and isinstance(raw_game.get("gamePk"), int):
                        self._raw_games[(day, raw_game["gamePk"])] = raw_game
        store = self.store
        changed = True
        if not (fetched.from_cache or fetched.not_modified):
            body = json.dumps(raw, separators=(",", ":")).encode()
            changed = await store.store_schedule_snapshot(fetched.url, body)
        if changed:
            await self._record_findings(validate_schedule(raw), official_date=day)
        await store.upsert_schedule_games(
            [stored_entry(e, listed[e.game_pk]) for e in entries if e.game_pk in listed]
        )
        new = [e.game_pk for e in entries if e.game_pk not in scheduler.tracks]
        before = {pk: _row_key(scheduler, pk) for pk in scheduler.tracks}
        async with self._state_lock:
            now = self.clock.now()
            changes = scheduler.apply_schedule(day, entries, now)
            for game_pk in new:
                await self._restore(game_pk, now)
            await self._record_transitions(changes)
        for entry in entries:
            if before.get(entry.game_pk) != _row_key(scheduler, entry.game_pk):
                self._game_updated(entry.game_pk, "none", kind=ScheduleGameUpdated)
            feed = self.recorder_feed(entry.game_pk)
            if entry.game_pk in self._crossref_pending and feed is not None:
                await self._cross_reference(entry.game_pk, feed)

    async def _restore(self, game_pk: int, now: datetime) -> None:
        """A game seen for the first time this run: take over what the store holds of it."""
        track = self.scheduler.tracks[game_pk]
        entry = track.entry
        await self.store.upsert_game(
            game_pk,
            {
                "game_type": entry.game_type,
                "away_name": entry.away,
                "home_name": entry.home,
                "away_team_id": entry.away_id,
                "home_team_id": entry.home_id,
            },
        )
        record = await self.store.get_game(game_pk)
        if record is None or record.last_timecode is None:
            return
        if record.away_abbrev and record.home_abbrev:
            self._labels[game_pk] = (record.away_abbrev, record.home_abbrev)
        self.scheduler.restore(
            game_pk,
            versions=record.versions,
            timecode=record.last_timecode,
            final_stored=record.final_stored,
            done=record.done,
            recheck_at=record.recheck_at,
            now=now,
        )
        track.full_updates = record.full_updates
        track.diff_updates = record.diff_updates

    # -- feeds ---------------------------------------------------------------------------

    async def _recorder(self, game_pk: int) -> GameRecorder:
        recorder = self._recorders.get(game_pk)
        if recorder is None:
            stored = await self.store.load_latest_feed(game_pk)
            feed = stored[1] if stored else None

            async def store_version(
                timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
            ) -> bool:
                return await self._store_version(game_pk, timecode, kind, feed, ops)

            async def merge_check(timecode: str, merged: dict[str, Any]) -> dict[str, Any] | None:
                return await self._check_merge(game_pk, timecode, merged)

            # A game met while it is being played is archived from its first version; one met
            # already over gets its final feed only (a past date's history costs hundreds of
            # requests per game and nobody was watching it live).
            track = self.scheduler.tracks[game_pk]
            recorder = GameRecorder(
                self.client,
                game_pk,
                store_version,
                sink=self._emit,
                clock=self.clock,
                feed=feed,
                history=self.history and track.phase is Phase.FOLLOW,
                merge_check=merge_check,
            )
            self._recorders[game_pk] = recorder
        return recorder

    async def _check_merge(
        self, game_pk: int, timecode: str, merged: dict[str, Any]
    ) -> dict[str, Any] | None:
        """For a sampled (or Final) diff-merged version: the server's whole feed for the same
        timecode when the merge diverged from it (the finding recorded), else None."""
        if not is_final(merged) and not sample_for_merge_check(
            game_pk, timecode, self.merge_check_rate
        ):
            return None
        try:
            fetched = await self.client.feed(game_pk, timecode=timecode)
        except ApiError:
            return None  # unverified, not wrong: the merged version is kept
        check = compare_merged_vs_full(merged, fetched.data)
        if check.correction is None:
            return None
        track = self.scheduler.tracks.get(game_pk)
        await self._record_findings(
            list(check.findings), official_date=track.official_date if track else None
        )
        self._emit(
            FeedRefetched(at=self.clock.now(), game_pk=game_pk, reason=check.correction.reason)
        )
        return fetched.data

    async def _poll_game(self, game_pk: int) -> None:
        scheduler = self.scheduler
        track = scheduler.tracks[game_pk]
        rechecking = track.phase is Phase.RECHECK
        if rechecking:
            self._rechecking.add(game_pk)
        try:
            recorder = await self._recorder(game_pk)
            result = await recorder.update()
        except (ApiError, StoreError) as exc:
            scheduler.feed_failed(game_pk, exc.message, self.clock.now())
            # No GameUpdated: that says a poll confirmed the stored version, and this one did
            # not (the failed request is in the request log and the monitor's counts).
            self._note_poll(game_pk, success=False)
            return
        finally:
            self._rechecking.discard(game_pk)
        feed = recorder.feed
        assert feed is not None
        summary = summarize_feed(feed)
        facts = FeedFacts(
            status=summary.status,
            wait_s=summary.wait_s,
            timecode=recorder.timecode,
            update=result.kind if result.new_versions else "none",
            new_versions=result.new_versions,
            full_versions=result.full_versions,
            diff_versions=result.diff_versions,
            away_score=summary.away_score,
            home_score=summary.home_score,
            inning=summary.inning,
            inning_half=summary.inning_half,
            outs=summary.outs,
        )
        if summary.away and summary.home:
            self._labels[game_pk] = (summary.away, summary.home)
        was = track.phase
        async with self._state_lock:
            changes = scheduler.feed_polled(game_pk, facts, self.clock.now())
            await self._record_transitions(changes)
        self._note_poll(game_pk, success=True)
        if track.phase is not was and track.phase in (Phase.RECHECK, Phase.DONE):
            await self.store.upsert_game(
                game_pk,
                {"done": track.phase is Phase.DONE, "recheck_at": track.next_poll_at},
            )
        self._game_updated(game_pk, facts.update)

    async def _store_version(
        self,
        game_pk: int,
        timecode: str,
        kind: VersionKind,
        feed: dict[str, Any],
        ops: list[Any] | None,
    ) -> bool:
        """Store one version and validate it; False when it was already stored."""
        summary = summarize_feed(feed)
        result = await self.store.store_version(
            game_pk, timecode, kind, feed, ops, _game_fields(summary)
        )
        if result.version_id is None:
            return False
        final = summary.status.lifecycle.value in ("final", "forfeit")
        track = self.scheduler.tracks.get(game_pk)
        official = track.official_date if track else None
        context = FeedContext(previous=self._previous.get(game_pk), full=kind == "full")
        found = validate_feed(feed, context=context)
        if not found and game_pk in self._clean:
            # Sound, and nothing of this game's is open that it could resolve: no write.
            self._previous[game_pk] = summarize_version(feed)
        else:
            outcome = await validate_and_record(
                self.store,
                feed,
                context=context,
                official_date=official,
                recheck_delay_s=self.settings.poll.final_recheck_after_s,
                cleared_by=CORRECTED_BY_RECHECK if game_pk in self._rechecking else None,
            )
            self._previous[game_pk] = outcome.summary
            self._issues(outcome.findings, set(outcome.recorded.new))
            if outcome.findings:
                self._clean.discard(game_pk)
            else:
                self._clean.add(game_pk)
        if final and track is not None:
            self._crossref_pending.add(game_pk)
            await self._cross_reference(game_pk, feed)
        return True

    async def _cross_reference(self, game_pk: int, feed: dict[str, Any]) -> None:
        """Schedule versus feed (teams, date, status, final score) once both say Final.

        Done when the later of the two gets there: before that the schedule, read once a
        minute, lags the feed, which is not a finding worth anyone's time.
        """
        track = self.scheduler.tracks.get(game_pk)
        raw = self._raw_games.get(track.entry.key) if track else None
        if track is None or raw is None:
            return
        status = raw.get("status")
        if not isinstance(status, dict) or status.get("abstractGameState") != "Final":
            return
        self._crossref_pending.discard(game_pk)
        await self._record_findings(
            check_schedule_vs_feed(raw, feed),
            official_date=track.official_date,
            game_pk=game_pk,
            checked=CROSSREF_RULES,
        )

    async def _record_findings(
        self,
        findings: list[Finding],
        *,
        official_date: date | None,
        game_pk: int | None = None,
        checked: tuple[str, ...] = (),
    ) -> None:
        if not findings and not checked:
            return
        async with self.store.transaction() as conn:
            recorded = await finding_rows.record_findings(
                conn,
                findings,
                now=self.clock.now(),
                official_date=official_date,
                game_pk=game_pk,
                checked_rules=checked,
            )
        self._issues(findings, set(recorded.new))

    def _issues(self, findings: tuple[Finding, ...] | list[Finding], new: set[str]) -> None:
        """IssueFound for every new finding, and for error-level ones each time they recur."""
        now = self.clock.now()
        for f in findings:
            is_new = f.fingerprint in new
            if not is_new and f.severity != "error":
                continue
            self._emit(
                IssueFound(
                    at=now,
                    game_pk=f.game_pk,
                    rule=f.rule,
                    severity=f.severity,
                    category=f.category,
                    path=f.path or "",
                    message=f.message,
                    occurrences=1 if is_new else 2,
                    new=is_new,
                )
            )

    async def _record_transitions(self, changes: list[Transition]) -> None:
        scheduler = self.scheduler
        for change in changes:
            track = scheduler.tracks[change.game_pk]
            status = track.status
            await self.store.record_state(
                change.game_pk,
                state=change.new,
                detailed_state=status.detailed_state,
                status_code=status.status_code,
                source=change.source,
            )
            await self.store.upsert_game(
                change.game_pk,
                {
                    "state": change.new,
                    "detailed_state": status.detailed_state,
                    "abstract_game_state": status.abstract,
                    "coded_game_state": status.coded,
                    "status_code": status.status_code,
                    "status_reason": status.reason,
                },
            )
            self._emit(
                GameStateChanged(
                    at=change.at,
                    game_pk=change.game_pk,
                    old=change.old,
                    new=change.new,
                    detailed_state=change.detailed_state,
                    source=change.source,
                )
            )

    def _game_updated(
        self, game_pk: int, update: str, *, kind: type[GameUpdated] = GameUpdated
    ) -> None:
        """The row of a game: after a successful poll (``GameUpdated``), or after a schedule
        read changed it (``ScheduleGameUpdated``, which the monitor does not count as a poll)."""
        track = self.scheduler.tracks[game_pk]
        away, home = self.labels(game_pk)
        self._emit(
            kind(
                at=self.clock.now(),
                game_pk=game_pk,
                official_date=track.official_date.isoformat(),
                away=away,
                home=home,
                state=track.status.lifecycle.value,
                detailed_state=track.status.detailed_state or track.status.lifecycle.value,
                away_score=track.away_score,
                home_score=track.home_score,
                inning=track.inning,
                inning_half=track.inning_half,
                outs=track.outs,
                timecode=track.timecode,
                update=update,
                versions=track.versions,
                polls=track.polls,
                diff_updates=track.diff_updates,
                full_updates=track.full_updates,
                findings=self._views.open_findings(game_pk) if self._views else 0,
            )
        )

    def _coverage_games(self) -> list[GameCoverage]:
        scheduler = self.scheduler
        out: list[GameCoverage] = []
        for (day, game_pk), entry in scheduler.entries.items():
            track = scheduler.tracks.get(game_pk)
            if track is None:
                continue
            mine = track.entry.key == (day, game_pk)
            state = track.status if mine else entry.status
            out.append(
                GameCoverage(
                    game_pk=game_pk,
                    official_date=day.isoformat(),
                    state=state.lifecycle.value,
                    final_stored=track.final_stored and mine,
                    game_time=entry.game_time,
                )
            )
        return out

    # -- dashboard calls -----------------------------------------------------------------

    def snapshot(self) -> DashboardSnapshot:
        assert self._views is not None
        return self._views.snapshot()

    async def game_detail(self, game_pk: int) -> GameDetail:
        assert self._views is not None
        return await self._views.game_detail(game_pk)

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

    # -- the summary ---------------------------------------------------------------------

    async def summary(self, stop_reason: str = "stopped") -> IngestSummary:
        scheduler = self.scheduler
        now = self.clock.now()
        async with self.store.read() as conn:
            cursor = await conn.execute("SELECT severity, COUNT(*) FROM findings GROUP BY severity")
            counts = {str(r[0]): int(r[1]) for r in await cursor.fetchall()}
            await cursor.close()
        findings = {s: counts.get(s, 0) for s in ("error", "warning", "info")}
        games = []
        for track in sorted(
            scheduler.tracks.values(), key=lambda t: (t.entry.game_time or now, t.game_pk)
        ):
            away, home = self.labels(track.game_pk)
            games.append(
                GameSummary(
                    game_pk=track.game_pk,
                    official_date=track.official_date.isoformat(),
                    away=away,
                    home=home,
                    state=track.status.lifecycle.value,
                    detailed_state=track.status.detailed_state or track.status.lifecycle.value,
                    away_score=track.away_score,
                    home_score=track.home_score,
                    versions=track.versions,
                    final_stored=track.final_stored,
                    timecode=track.timecode,
                    polls=track.polls,
                    full_updates=track.full_updates,
                    diff_updates=track.diff_updates,
                )
            )
        by_date = scheduler.coverage_by_date()
        alerts = self.monitor.alerts
        meter = scheduler.lateness
        return IngestSummary(
            started_at=self._started_at or now,
            stopped_at=now,
            stop_reason=stop_reason,
            dates=self.league_dates,
            games=tuple(games),
            requests=self.ledger.as_dict(),
            updates={
                "full": sum(t.full_updates for t in scheduler.tracks.values()),
                "diff": sum(t.diff_updates for t in scheduler.tracks.values()),
            },
            findings=findings,
            alerts={
                "fired": len([a for a in alerts.history() if a.fired_at is not None]),
                "firing": [
                    {"rule": a.rule, "key": a.key, "severity": a.severity, "message": a.message}
                    for a in alerts.firing()
                ],
            },
            coverage=scheduler.coverage(),
            coverage_by_date={
                c.schedule_date.isoformat(): {
                    "coverage": c.coverage,
                    "scheduled": c.scheduled,
                    "excluded": c.excluded,
                    "should_finish": c.should_finish,
                    "final_stored": c.final_stored,
                }
                for c in by_date
            },
            gaps=tuple(
                {
                    "date": g.schedule_date.isoformat(),
                    "game_pk": g.game_pk,
                    "state": g.state,
                    "detailed_state": g.detailed_state,
                    "reason": g.reason,
                }
                for c in by_date
                for g in c.gaps
            ),
            degraded={
                "share": meter.degraded,
                "late_polls": meter.late,
                "due_polls": meter.started,
                "mean_late_s": meter.mean_late_s,
                "max_late_s": meter.late_s_max,
            },
            sla={d: self.monitor.sla(d).to_dict() for d in self.league_dates},
            complete=scheduler.all_stored(),
            extra={"internal_errors": self._crashes} if self._crashes else {},
        )


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _row_key(scheduler: Scheduler, game_pk: int) -> tuple[Any, ...] | None:
    track = scheduler.tracks.get(game_pk)
    if track is None:
        return None
    return (track.status, track.away_score, track.home_score, track.phase)


def _game_fields(summary: FeedSummary) -> dict[str, object]:
    fields: dict[str, object] = {
        "state": summary.status.lifecycle.value,
        "detailed_state": summary.status.detailed_state,
        "abstract_game_state": summary.status.abstract,
        "coded_game_state": summary.status.coded,
        "status_code": summary.status.status_code,
        "status_reason": summary.status.reason,
        "away_score": summary.away_score,
        "home_score": summary.home_score,
        "inning": summary.inning,
        "inning_half": summary.inning_half,
        "outs": summary.outs,
    }
    if summary.away:
        fields["away_abbrev"] = summary.away
    if summary.home:
        fields["home_abbrev"] = summary.home
    if summary.away_id is not None:
        fields["away_team_id"] = summary.away_id
    if summary.home_id is not None:
        fields["home_team_id"] = summary.home_id
    return fields
