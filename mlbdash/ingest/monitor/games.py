"""Per-game bookkeeping for freshness, staleness, poll success and coverage.

Freshness is time-weighted over the time a game is live. Between two polls of a live game the
stored version is "fresh" while it is within two ``wait`` intervals of the server's:

- a poll that found nothing new proves the stored version *was* the server's, so the interval
  before it counts as fresh however long it was;
- a poll that brought a version stamped ``T`` shows the server had moved on at ``T``, so the
  part of the interval after ``T + 2*wait`` counts as stale;
- the open interval since the last poll counts as stale beyond ``2*wait``: an overdue poll
  cannot vouch for anything (a crashed poller must not look perfect).

A game followed by push is polled when its socket tells of news and otherwise only at the
backstop interval (``push_backstop_s``, longer after polls that stored nothing: the
scheduler's rule, ``push.push_backstop_interval``): a quiet stretch of play is no news, so its
next poll is due a backstop interval after the last, not a ``wait``. ``due_s`` says how long
after its last poll a game's next one is due, from how it has been followed since (a socket
lost makes the next poll due within a ``wait``); the stale rule and the open interval count
from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from mlbdash.ingest.events import (
    Event,
    GameStateChanged,
    GameUpdated,
    PushChanged,
    RequestFinished,
    ScheduleGameUpdated,
)
from mlbdash.ingest.push import push_backstop_interval
from mlbdash.mlb.status import Lifecycle
from mlbdash.mlb.timecode import timecode_instant

# Lifecycles polled at the server's ``wait``: a review pauses play but not the feed. Delayed and
# warmup games are polled more slowly, so ``2 * wait`` does not apply to them.
LIVE_STATES = frozenset({Lifecycle.live.value, Lifecycle.review.value})
# Only time spent In Progress counts towards a frozen feed: during a delay, a review or a
# suspension an unchanging feed is what MLB sends.
PLAYING = Lifecycle.live.value
FINAL = Lifecycle.final.value
# Games that will not finish under their date, so they are not owed a final version there.
WONT_FINISH = frozenset(
    {
        Lifecycle.postponed.value,
        Lifecycle.cancelled.value,
        Lifecycle.suspended.value,
        Lifecycle.forfeit.value,
    }
)
POLL_KINDS = frozenset({"feed", "diff_patch"})

_GAME_IN_URL = re.compile(r"/game/(\d+)/")


def game_pk_in_url(url: str) -> int | None:
    match = _GAME_IN_URL.search(url)
    return int(match.group(1)) if match else None


@dataclass(slots=True)
class GameBook:
    """What the monitor knows about one game."""

    game_pk: int
    official_date: str | None = None
    state: str | None = None
    final_stored: bool = False
    polls_ok: int = 0
    polls_failed: int = 0
    last_lag_s: float | None = None  # stored-at minus server timecode of the newest version
    live_anchor: datetime | None = None  # last poll (or going live) while live
    live_s: float = 0.0
    stale_s: float = 0.0
    timecode: str | None = None  # metaData.timeStamp of the newest version a poll returned
    # Seconds In Progress since the feed last changed, counted up to the latest event about
    # the game (a poll or a state change), so a run that cannot reach the API does not call
    # the feed frozen: it cannot know.
    frozen_s: float = 0.0
    frozen_mark: datetime | None = None
    by_push: bool = False  # its push socket is healthy: polls come on news or at the backstop
    quiet_polls: int = 0  # polls in a row that stored nothing (the backstop backs off)
    # Clock seconds after live_anchor that the next poll is due; None: one ``wait``.
    due_s: float | None = None


@dataclass(frozen=True, slots=True)
class FrozenGame:
    """A game In Progress whose feed has not changed for ``frozen_s`` clock seconds of play."""

    game_pk: int
    official_date: str | None
    frozen_s: float
    timecode: str | None


@dataclass(frozen=True, slots=True)
class LiveGame:
    game_pk: int
    official_date: str | None
    since_poll_s: float  # clock seconds since the last poll confirmed the stored version
    lag_s: float | None
    due_s: float | None = None  # clock seconds after that poll the next was due; None: a wait
    by_push: bool = False  # followed by push now (polled on news, else at the backstop)


@dataclass(frozen=True, slots=True)
class DateTotals:
    polls_ok: int
    polls_failed: int
    live_s: float
    stale_s: float
    games: int
    finals_known: int  # games seen in the final state (by schedule or feed)
    finals_stored: int


@dataclass
class GameLedger:
    """Follows game events; ``wait_s`` is the server's poll hint (metaData.wait),
    ``push_backstop_s`` the poll interval of a game whose push socket is healthy."""

    wait_s: float = 10.0
    push_backstop_s: float = 60.0
    games: dict[int, GameBook] = field(default_factory=dict)

    def book(self, game_pk: int) -> GameBook:
        game = self.games.get(game_pk)
        if game is None:
            game = self.games[game_pk] = GameBook(game_pk)
        return game

    def handle(self, event: Event) -> float | None:
        """Take one event; returns the freshness lag of a newly stored version, if any."""
        if isinstance(event, ScheduleGameUpdated):
            return None  # a schedule read, not a poll: states come from GameStateChanged
        if isinstance(event, GameUpdated):
            return self._updated(event)
        if isinstance(event, GameStateChanged):
            self._set_state(self.book(event.game_pk), event.new, event.at)
        elif isinstance(event, PushChanged):
            self._push_changed(self.book(event.game_pk), event)
        elif isinstance(event, RequestFinished) and event.kind in POLL_KINDS:
            game_pk = game_pk_in_url(event.url)
            if game_pk is not None and request_failed(event):
                self.book(game_pk).polls_failed += 1
        return None

    def _updated(self, event: GameUpdated) -> float | None:
        row = event.row
        game = self.book(row.game_pk)
        game.official_date = row.official_date
        game.polls_ok += 1
        game.quiet_polls = 0 if event.update != "none" else game.quiet_polls + 1
        self._count_frozen(game, event.at)
        if row.timecode is not None and row.timecode != game.timecode:
            game.timecode = row.timecode
            game.frozen_s = 0.0
        stamped = timecode_instant(row.timecode)
        lag: float | None = None
        if event.update != "none" and stamped is not None:
            lag = max(0.0, (event.at - stamped).total_seconds())
            game.last_lag_s = lag
        if game.state in LIVE_STATES and game.live_anchor is not None:
            self._close(game, event.at, stamped if event.update != "none" else None)
            game.live_anchor = event.at
            game.due_s = None
        self._set_state(game, row.state, event.at)
        if row.state == FINAL:
            game.final_stored = True
        return lag

    def _set_state(self, game: GameBook, state: str, at: datetime) -> None:
        self._count_frozen(game, at)
        was_live = game.state in LIVE_STATES
        is_live = state in LIVE_STATES
        if was_live and not is_live and game.live_anchor is not None:
            self._close_open(game, at)
            game.live_anchor = None
        if is_live and not was_live:
            game.live_anchor = at
            game.due_s = None
        game.state = state

    def _push_changed(self, game: GameBook, event: PushChanged) -> None:
        if not event.by_push and game.live_anchor is not None:
            # Back to polling: the next poll is due within a wait from now, if not sooner.
            since = max(0.0, (event.at - game.live_anchor).total_seconds())
            game.due_s = min(self.due_s(game), since + self.wait_s)
        game.by_push = event.by_push

    def due_s(self, game: GameBook) -> float:
        """Clock seconds after the game's last poll (``live_anchor``) that its next is due."""
        if game.due_s is not None:
            return game.due_s
        if game.by_push:
            return max(self.wait_s, push_backstop_interval(self.push_backstop_s, game.quiet_polls))
        return self.wait_s

    def _count_frozen(self, game: GameBook, at: datetime) -> None:
        if game.state == PLAYING and game.frozen_mark is not None:
            game.frozen_s += max(0.0, (at - game.frozen_mark).total_seconds())
        game.frozen_mark = at

    def _close(self, game: GameBook, at: datetime, stamped: datetime | None) -> None:
        anchor = game.live_anchor
        assert anchor is not None
        span = max(0.0, (at - anchor).total_seconds())
        game.live_s += span
        if stamped is None:
            return
        stale_from = max(anchor, stamped).timestamp() + 2 * self.wait_s
        game.stale_s += max(0.0, at.timestamp() - stale_from)

    def _close_open(self, game: GameBook, at: datetime) -> None:
        live, stale = self._open_interval(game, at)
        game.live_s += live
        game.stale_s += stale

    def _open_interval(self, game: GameBook, now: datetime) -> tuple[float, float]:
        if game.state not in LIVE_STATES or game.live_anchor is None:
            return 0.0, 0.0
        span = max(0.0, (now - game.live_anchor).total_seconds())
        # Two waits for a polled game; a push game's backstop poll plus one wait.
        return span, max(0.0, span - self.due_s(game) - self.wait_s)

    def forget(self, game_pks: set[int]) -> None:
        """Drop games no tracked date lists any more (their dates' SLA is no longer asked)."""
        for game_pk in game_pks:
            self.games.pop(game_pk, None)

    def live_games(self, now: datetime) -> list[LiveGame]:
        out = []
        for game in self.games.values():
            if game.state in LIVE_STATES and game.live_anchor is not None:
                since = max(0.0, (now - game.live_anchor).total_seconds())
                out.append(
                    LiveGame(
                        game.game_pk,
                        game.official_date,
                        since,
                        game.last_lag_s,
                        due_s=self.due_s(game),
                        by_push=game.by_push,
                    )
                )
        return out

    def frozen_games(self) -> list[FrozenGame]:
        """Games In Progress now, with how long their feed has stayed the same while playing."""
        return [
            FrozenGame(g.game_pk, g.official_date, g.frozen_s, g.timecode)
            for g in self.games.values()
            if g.state == PLAYING
        ]

    def live_count(self) -> int:
        return sum(1 for g in self.games.values() if g.state in LIVE_STATES)

    def date_totals(self, official_date: str, now: datetime) -> DateTotals:
        polls_ok = polls_failed = games = finals = known = 0
        live_s = stale_s = 0.0
        for game in self.games.values():
            if game.official_date != official_date:
                continue
            games += 1
            finals += game.final_stored
            known += game.final_stored or game.state == FINAL
            polls_ok += game.polls_ok
            polls_failed += game.polls_failed
            open_live, open_stale = self._open_interval(game, now)
            live_s += game.live_s + open_live
            stale_s += game.stale_s + open_stale
        return DateTotals(polls_ok, polls_failed, live_s, stale_s, games, known, finals)

    def dates(self) -> list[str]:
        return sorted({g.official_date for g in self.games.values() if g.official_date})


def request_failed(event: RequestFinished) -> bool:
    """No answer, an HTTP error status, or a failure reported by the client."""
    return event.error is not None or event.status is None or event.status >= 400
