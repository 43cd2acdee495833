"""The one state the runtime's parts share, and the event fan-out they all emit through.

Every part (``ScheduleReader``, ``VersionKeeper``, ``Monitoring``, ``Jobs``, the views and the
summary) is handed the same ``RuntimeState``: what the pipeline holds in memory about its
games, the open services (clock, store, client, monitor, scheduler) and the run's failure
counts. Nothing else is shared; no part reaches into another's attributes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mlbdash.config import Settings
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.events import Event, EventSink
from mlbdash.ingest.follower import GameFollower
from mlbdash.ingest.monitor import Monitor
from mlbdash.ingest.push import PushHub
from mlbdash.ingest.scheduler import Scheduler
from mlbdash.ingest.scheduler.driver import Driver
from mlbdash.ingest.scheduler.summary import RequestLedger
from mlbdash.ingest.scheduler.views import game_row
from mlbdash.ingest.store import Store
from mlbdash.ingest.validator.consistency import PartsCache
from mlbdash.ingest.validator.crossref import VersionSummary
from mlbdash.ingest.views import GameRow
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.facts import VersionFacts
from mlbdash.mlb.touched import Touched


class EventBus:
    """One fan-out for every event: the pipeline's own consumers first (the monitor, the
    request ledger and log: a bug there is a bug, raised), then whoever subscribed (the
    dashboard, the progress line: one that raises stops listening, ingest goes on)."""

    def __init__(self) -> None:
        self._core: list[EventSink] = []
        self._subscribers: list[EventSink] = []

    def attach(self, sink: EventSink) -> None:
        """Add one of the pipeline's own consumers (in the order they must see events)."""
        self._core.append(sink)

    def detach_all(self) -> None:
        self._core.clear()

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Receive every event from now on; call the returned function to stop."""
        self._subscribers.append(sink)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(sink)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for core in self._core:
            core(event)
        for sink in list(self._subscribers):
            try:
                sink(event)
            except Exception:
                # A listener that breaks must not break ingest: it stops listening.
                with contextlib.suppress(ValueError):
                    self._subscribers.remove(sink)


@dataclass(eq=False, slots=True)
class Derived:
    """What was derived from a game's current version, kept so that the next version, when
    it is a diff applied to the same feed object, is derived again only where its ops wrote:
    the follower's feed it was read from, its facts and the validator's parts cache."""

    feed: dict[str, Any]
    facts: VersionFacts
    parts: PartsCache = field(default_factory=PartsCache)

    def touched(self, feed: dict[str, Any], ops: list[Any] | None) -> Touched | None:
        """What ``ops`` wrote, when they patched the feed these were derived from into
        ``feed`` (the same object, patched in place); else None (derive everything)."""
        if ops is None or feed is not self.feed:
            return None
        return Touched.of(ops)


@dataclass(eq=False)
class RuntimeState:
    """What the parts of one open pipeline share (made when the runtime is entered)."""

    settings: Settings
    clock: Clock
    store: Store
    client: MlbApiClient
    monitor: Monitor
    scheduler: Scheduler
    ledger: RequestLedger
    emit: EventSink
    history: bool  # archive a game met while it is played from its first version
    merge_check_rate: float
    # -- per game, in memory (all of it also in the store) --------------------------------
    followers: dict[int, GameFollower] = field(default_factory=dict)
    # The facts of each game's current version, derived once when it was stored.
    facts: dict[int, VersionFacts] = field(default_factory=dict)
    previous: dict[int, VersionSummary] = field(default_factory=dict)  # validator's last
    # What was derived from each game's current version (see Derived); dropped whenever the
    # follower's feed moved on without it (a version not stored, a failure).
    derived: dict[int, Derived] = field(default_factory=dict)
    # (away, home) abbreviations once a feed (or the store) has named them.
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)
    # The schedule's raw game entries, as sent, for the schedule-versus-feed check.
    raw_games: dict[tuple[date, int], dict[str, Any]] = field(default_factory=dict)
    # Games whose last recorded validation found nothing (so a sound version has nothing
    # to resolve). A game not in here is validated through the store.
    clean: set[int] = field(default_factory=set)
    crossref_pending: set[int] = field(default_factory=set)  # final stored, schedule not yet
    audited: set[int] = field(default_factory=set)  # stored Final audited with no gap
    from_start: set[int] = field(default_factory=set)  # archived from the first version
    # Games met mid-game whose history is not all stored yet: the version each was met at.
    history_owed: dict[int, str] = field(default_factory=dict)
    # Games met while polls were held back, their history not yet owed (see VersionKeeper).
    history_deferred: set[int] = field(default_factory=set)
    backfilling: int | None = None  # the game whose history is being fetched
    rechecking: set[int] = field(default_factory=set)  # polled as the Final's re-check
    open_findings: dict[int, int] = field(default_factory=dict)  # as last read from the store
    # -- the run --------------------------------------------------------------------------
    # Held from a status change in the scheduler to its row in game_states, so the stored
    # transitions keep the order in which they happened.
    state_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    driver: Driver | None = None  # while ``run`` runs
    push: PushHub | None = None  # the live games' sockets while ``run`` runs with push on
    # Failed writes by what they held. Versions are fetched again (the follower starts over
    # from what is stored) and the audit proves them; anything else that failed is lost and
    # named in the summary as not stored.
    write_failures: Counter[str] = field(default_factory=Counter)
    unstored: Counter[str] = field(default_factory=Counter)
    write_error: str | None = None  # the last failed write, until a write succeeds
    crashes: int = 0  # jobs that ended in a bug

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def push_sockets(self) -> int | None:
        """Push sockets open now (each a game told of by push); None when push is off."""
        if self.settings.push != "auto":
            return None
        return self.push.open_sockets if self.push is not None else 0

    @property
    def league_dates(self) -> tuple[str, ...]:
        return tuple(d.isoformat() for d in self.scheduler.dates)

    def label(self, game_pk: int) -> tuple[str, str]:
        """(away, home) as a scoreboard shows them: abbreviations once a feed has been read."""
        if game_pk in self.labels:
            return self.labels[game_pk]
        track = self.scheduler.tracks.get(game_pk)
        return (track.entry.away, track.entry.home) if track else ("?", "?")

    def game_row(self, game_pk: int) -> GameRow:
        """The game's row as the dashboard shows it (see ``GameRow``)."""
        track = self.scheduler.tracks[game_pk]
        return game_row(track, self.label(game_pk), self.open_findings.get(game_pk, 0))

    def follower_feed(self, game_pk: int) -> dict[str, Any] | None:
        follower = self.followers.get(game_pk)
        return follower.feed if follower else None

    def facts_of(self, game_pk: int) -> VersionFacts | None:
        return self.facts.get(game_pk)

    def wake_driver(self) -> None:
        if self.driver is not None:
            self.driver.wake()

    def release_finished(self) -> None:
        """Drop the followed feed of every game that is over and owes nothing more (its final
        stored and re-checked, or postponed; not waiting for the schedule's Final to cross-
        reference): the store holds it, and a game screen or a later poll reads it from there.
        A whole feed is megabytes of Python objects; a --follow run would otherwise keep every
        finished game's for ever."""
        tracks = self.scheduler.tracks
        for game_pk in list(self.followers):
            track = tracks.get(game_pk)
            if game_pk in self.crossref_pending or (track is not None and not track.terminal):
                continue
            del self.followers[game_pk]
            self.previous.pop(game_pk, None)
            self.derived.pop(game_pk, None)

    def retire_dates(self, before: date) -> None:
        """Forget the finished league dates before ``before`` and everything held in memory
        for their games (all of it is in the store)."""
        forgotten = set(self.scheduler.retire_dates(before))
        if not forgotten:
            return
        for game_pk in forgotten:
            self.followers.pop(game_pk, None)
            self.previous.pop(game_pk, None)
            self.derived.pop(game_pk, None)
            self.facts.pop(game_pk, None)
            self.labels.pop(game_pk, None)
            self.clean.discard(game_pk)
            self.crossref_pending.discard(game_pk)
            self.ledger.forget(game_pk)
        self.raw_games = {k: v for k, v in self.raw_games.items() if k[1] not in forgotten}
        self.monitor.metrics.games.forget(forgotten)
