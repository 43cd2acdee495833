"""What the scheduler knows about one game, and how a game's status moves it between phases.

A game's *status* is MLB's (abstract, coded, detailed state, mapped to a Lifecycle value by
``mlbdash.mlb.status``). Its *phase* is what the scheduler does about it: watch it through the
schedule, follow its feed, fetch it one last time, re-check it once, or leave it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from mlbdash.mlb.status import Lifecycle, StatusInfo, is_live, is_pregame, is_terminal


class Phase(StrEnum):
    WATCH = "watch"  # not started: watched through the schedule, no feed polls
    FOLLOW = "follow"  # live: its feed is polled at the live / delayed / suspended interval
    FINISHING = "finishing"  # Final seen: one last full fetch + validation is due
    RECHECK = "recheck"  # final stored: one re-check for late scoring changes is pending
    DONE = "done"  # final stored and re-checked: no more requests
    GONE = "gone"  # postponed or cancelled on its date: terminal there


_EARLIEST = datetime.min.replace(tzinfo=UTC)
TERMINAL_PHASES = frozenset({Phase.DONE, Phase.GONE})
GONE_STATES = frozenset({Lifecycle.postponed, Lifecycle.cancelled})


def is_gone(status: StatusInfo) -> bool:
    """Postponed or cancelled: nothing more happens under this date's entry."""
    return status.lifecycle in GONE_STATES


def wants_feed(status: StatusInfo) -> bool:
    """Under way (or suspended, or a status we cannot place): followed through its feed."""
    return (
        is_live(status.lifecycle)
        or status.lifecycle is Lifecycle.suspended
        or status.lifecycle is Lifecycle.unknown
    )


def rank(status: StatusInfo) -> int | None:
    """Order along a game's life (not begun < under way < over); None when it has no place."""
    if is_pregame(status.lifecycle):
        return 0
    if is_live(status.lifecycle) or status.lifecycle is Lifecycle.suspended:
        return 1
    if is_terminal(status.lifecycle):
        return 2
    return None


def describe(status: StatusInfo) -> str:
    return status.detailed_state or status.lifecycle.value


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One game as one schedule date lists it. A gamePk may sit under two dates."""

    game_pk: int
    schedule_date: date  # the schedule's date bucket this entry came from
    official_date: date
    game_time: datetime | None  # scheduled first pitch, UTC
    status: StatusInfo
    away: str
    home: str
    away_id: int | None = None
    home_id: int | None = None
    away_score: int | None = None
    home_score: int | None = None
    double_header: str | None = None  # N, Y (traditional), S (split)
    game_number: int | None = None
    start_time_tbd: bool = False
    game_type: str | None = None
    rescheduled_from: date | None = None
    reschedule_date: date | None = None
    resumed_from: date | None = None
    resume_date: date | None = None
    away_name: str | None = None  # the club's name ("Boston Red Sox"); labels are away/home
    home_name: str | None = None

    @property
    def key(self) -> tuple[date, int]:
        return (self.schedule_date, self.game_pk)


@dataclass(slots=True)
class GameTrack:
    """The scheduler's mutable record of one gamePk (across every date it appears on)."""

    game_pk: int
    entry: ScheduleEntry  # the entry the game is being played under (see choose_entry)
    status: StatusInfo
    status_source: str = "schedule"
    phase: Phase = Phase.WATCH
    next_poll_at: datetime | None = None  # feed poll due (FOLLOW, FINISHING, RECHECK)
    wait_s: float | None = None  # the feed's metaData.wait
    last_poll_at: datetime | None = None
    last_poll_ok: bool | None = None
    last_error: str | None = None
    failures: int = 0  # consecutive failed polls
    polls: int = 0
    full_updates: int = 0
    diff_updates: int = 0
    versions: int = 0
    timecode: str | None = None  # last stored version
    last_stored_at: datetime | None = None
    final_stored: bool = False
    # What the archive audit found missing or wrong (a short description per problem); a game
    # is complete only when its final is stored and this is empty.
    archive_gaps: tuple[str, ...] = ()
    # Versions the server lists before the first stored one (a game met mid-game is archived
    # from then on, by design): not gaps, but said so a user knows they are not held.
    not_archived: int = 0
    audit_tries: int = 0  # audits in a row that found gaps (given up after a few: see policy)
    rechecked: bool = False
    away_score: int | None = None
    home_score: int | None = None
    inning: int | None = None
    inning_half: str | None = None
    outs: int | None = None
    dates: set[date] = field(default_factory=set)  # every tracked date listing this gamePk
    push: bool = False  # its push socket is healthy: polling is only the backstop
    push_asked: bool = False  # push news not yet covered by a started poll
    push_told: str | None = None  # the newest timecode that news told of (None: unknown)
    refresh_asked: bool = False  # push said full_refresh: the next poll fetches the whole feed
    quiet_polls: int = 0  # polls in a row that stored nothing (the push backstop backs off)

    @property
    def official_date(self) -> date:
        return self.entry.official_date

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES

    @property
    def complete(self) -> bool:
        """Final stored and audited with no gap."""
        return self.final_stored and not self.archive_gaps


@dataclass(frozen=True, slots=True)
class Transition:
    """A game's lifecycle changed (what GameStateChanged and the game_states table record)."""

    game_pk: int
    at: datetime
    old: str | None
    new: str
    detailed_state: str
    source: str  # schedule or feed


def choose_entry(entries: list[ScheduleEntry]) -> ScheduleEntry:
    """The entry a gamePk is being played under when it sits on several dates.

    A postponed game stays listed on its old date as Postponed and reappears on the makeup
    date (``rescheduledFrom``), often as game 2 of a doubleheader; a suspended game reappears
    on its resume date (``resumedFrom``). The live one is the latest entry that is not
    postponed or cancelled; if every entry is, the latest one.
    """
    playable = [e for e in entries if not is_gone(e.status)]
    pool = playable or entries
    return max(pool, key=lambda e: (e.schedule_date, e.game_time or _EARLIEST))


def accepts(current: StatusInfo, new: StatusInfo, *, same_entry: bool) -> bool:
    """Whether ``new`` may replace ``current`` without moving the game backwards.

    The schedule lags the feed by up to a refresh, so a schedule saying Pre-Game must not undo
    a feed that already said In Progress. Statuses with no place in the order (Other: writing,
    unknown) always apply, and a new date's entry starts the game's life afresh.
    """
    if not same_entry:
        return True
    old_rank, new_rank = rank(current), rank(new)
    if old_rank is None or new_rank is None:
        return True
    if is_gone(current) and not is_gone(new):
        # Postponed is terminal for its date; the makeup game comes as another entry.
        return False
    return new_rank >= old_rank
