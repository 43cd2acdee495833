"""The runtime's state and its event fan-out: what every part of the pipeline shares.

``RuntimeBase`` holds the parts (clock, store, client, monitor, scheduler) once the runtime is
open, sends every event through one fan-out, and writes what the dashboard's rows and the
monitor are told: game rows, state changes, findings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from mlbdash.config import Settings
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.events import (
    Event,
    EventSink,
    GameStateChanged,
    GameUpdated,
    RequestFinished,
    WorkerHeartbeat,
    WriteFailed,
)
from mlbdash.ingest.findings import Finding
from mlbdash.ingest.follower import GameFollower
from mlbdash.ingest.monitor import Monitor, PrometheusServer
from mlbdash.ingest.monitor.rules import GameCoverage
from mlbdash.ingest.push import PushHub
from mlbdash.ingest.retry import RetryPolicy
from mlbdash.ingest.scheduler import Scheduler, TrackedDates, Transition
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.summary import RequestLedger
from mlbdash.ingest.scheduler.views import ViewBuilder
from mlbdash.ingest.store import Store
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.validator.crossref import VersionSummary
from mlbdash.ingest.validator.review import findings_to_events
from mlbdash.ingest.validator.rules import (
    SCHEDULE_FEED_DATE,
    SCHEDULE_FEED_SCORE,
    SCHEDULE_FEED_STATUS,
    SCHEDULE_FEED_TEAMS,
)
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.facts import VersionFacts

CROSSREF_RULES = (
    SCHEDULE_FEED_TEAMS.id,
    SCHEDULE_FEED_DATE.id,
    SCHEDULE_FEED_STATUS.id,
    SCHEDULE_FEED_SCORE.id,
)
REQUEST_FLUSH_S = 1.0  # real seconds between batched writes of the request log
REQUEST_FLUSH_MAX = 500
REQUESTS_HELD_MAX = 100_000  # request rows kept while the database refuses writes
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


class RuntimeBase:
    """The shared state of one ingest pipeline (see ``Runtime``)."""

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
        self._stop_reason = "stopped"
        # Held from a status change in the scheduler to its row in game_states, so the stored
        # transitions keep the order in which they happened.
        self._state_lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self.ledger = RequestLedger()
        self._followers: dict[int, GameFollower] = {}
        # The live games' push sockets while ``run`` runs with ``push = "auto"``.
        self._push: PushHub | None = None
        self._previous: dict[int, VersionSummary] = {}
        # The facts of each game's current version, derived once when it was stored.
        self._facts: dict[int, VersionFacts] = {}
        # Games whose last recorded validation found nothing (so a sound version has nothing
        # to resolve). A game not in here is validated through the store.
        self._clean: set[int] = set()
        self._crossref_pending: set[int] = set()  # final stored, schedule not Final yet
        self._audited: set[int] = set()  # games whose stored Final was audited with no gap
        self._from_start: set[int] = set()  # games archived from the server's first version
        # Failed writes by what they held. Versions are fetched again (the follower starts
        # over from what is stored) and the audit proves them; anything else that failed is
        # lost and named in the summary as not stored.
        self.write_failures: Counter[str] = Counter()
        self.unstored: Counter[str] = Counter()
        self.write_error: str | None = None  # the last failed write, until a write succeeds
        self._raw_games: dict[tuple[date, int], dict[str, Any]] = {}
        self._labels: dict[int, tuple[str, str]] = {}
        self._rechecking: set[int] = set()
        self._driver: Driver | None = None
        self._prometheus: PrometheusServer | None = None
        self._started_at: datetime | None = None
        self._crashes = 0
        self._gave_up: str | None = None  # why an --until-done run gave up, once it has
        # Set in __aenter__.
        self._clock: Clock | None = None
        self._store: Store | None = None
        self._client: MlbApiClient | None = None
        self._monitor: Monitor | None = None
        self._scheduler: Scheduler | None = None
        self._views: ViewBuilder | None = None

    # -- parts (valid inside ``async with``) -------------------------------------------------

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

    def facts_of(self, game_pk: int) -> VersionFacts | None:
        """The facts of the game's current version (None before its first poll)."""
        return self._facts.get(game_pk)

    def follower_feed(self, game_pk: int) -> dict[str, Any] | None:
        follower = self._followers.get(game_pk)
        return follower.feed if follower else None

    def _retire_dates(self, before: date) -> None:
        """Forget the finished league dates before ``before`` and everything held in memory
        for their games (all of it is in the store)."""
        forgotten = set(self.scheduler.retire_dates(before))
        if not forgotten:
            return
        for game_pk in forgotten:
            self._followers.pop(game_pk, None)
            self._previous.pop(game_pk, None)
            self._labels.pop(game_pk, None)
            self._clean.discard(game_pk)
            self._crossref_pending.discard(game_pk)
            self.ledger.forget(game_pk)
        self._raw_games = {k: v for k, v in self._raw_games.items() if k[1] not in forgotten}
        self.monitor.metrics.games.forget(forgotten)

    def _release_finished(self) -> None:
        """Drop the followed feed of every game that is over and owes nothing more (its final
        stored and re-checked, or postponed; not waiting for the schedule's Final to cross-
        reference): the store holds it, and a game screen or a later poll reads it from there.
        A whole feed is megabytes of Python objects; a --follow run would otherwise keep every
        finished game's for ever."""
        tracks = self.scheduler.tracks
        for game_pk in list(self._followers):
            track = tracks.get(game_pk)
            if game_pk in self._crossref_pending or (track is not None and not track.terminal):
                continue
            del self._followers[game_pk]
            self._previous.pop(game_pk, None)

    # -- events ------------------------------------------------------------------------------

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
        if isinstance(event, GameUpdated):
            self.ledger.handle(event)  # the poll history says what each poll did
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

    def _write_failed(self, what: str, error: str, *, lost: int = 0) -> None:
        """A write failed: counted, shown at once (monitor check and alert, progress line);
        ``lost`` items of ``what`` will never be stored."""
        self.write_failures[what] += 1
        if lost:
            self.unstored[what] += lost
        self.write_error = f"{what}: {error}"
        self._emit(WriteFailed(self.clock.now(), what, error))

    def _beat(self, worker: str) -> None:
        self._emit(WorkerHeartbeat(self.clock.now(), worker))

    def _note_poll(self, game_pk: int, *, success: bool) -> None:
        """Count a poll for the games table; written in batches with the request log."""
        now = self.clock.now()
        polls, _, last_success = self._polls_pending.get(game_pk, (0, now, None))
        self._polls_pending[game_pk] = (polls + 1, now, now if success else last_success)

    def _game_updated(
        self,
        game_pk: int,
        update: str,
        *,
        kind: type[GameUpdated] = GameUpdated,
        operations: int = 0,
    ) -> None:
        """The row of a game: after a successful poll (``GameUpdated``), or after a schedule
        read changed it (``ScheduleGameUpdated``, which the monitor does not count as a poll)."""
        assert self._views is not None
        row = self._views.game_row(self.scheduler.tracks[game_pk])
        self._emit(kind(at=self.clock.now(), row=row, update=update, operations=operations))

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

    # -- findings ----------------------------------------------------------------------------

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
        self._issues(findings, recorded)

    def _issues(self, findings: Sequence[Finding], recorded: finding_rows.RecordResult) -> None:
        for event in findings_to_events(findings, recorded, self.clock.now()):
            self._emit(event)
