"""The scheduler's decisions, with no I/O: what is due, in which order, and what a result means.

The runtime feeds it schedule entries and poll results and asks it what to do next; every call
takes ``now`` so tests drive it with a ManualClock and plain values.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mlbdash.ingest.scheduler.coverage import DateCoverage, date_counts, date_coverage
from mlbdash.ingest.scheduler.policy import (
    IMMINENT_WINDOW,
    NEAR_WINDOW,
    PollPolicy,
    Priority,
)
from mlbdash.ingest.scheduler.states import (
    GameTrack,
    Phase,
    ScheduleEntry,
    Transition,
    accepts,
    choose_entry,
    describe,
    is_gone,
    wants_feed,
)
from mlbdash.mlb.status import Lifecycle, StatusInfo, is_final
from mlbdash.mlb.timecode import parse_timecode

SCHEDULE = "schedule"
FEED = "feed"


@dataclass(frozen=True, slots=True)
class Job:
    """One request the scheduler wants made: a date's schedule or a game's feed."""

    kind: str  # schedule or feed
    key: date | int  # the schedule date or the gamePk
    priority: Priority
    due_at: datetime

    @property
    def sort_key(self) -> tuple[int, datetime]:
        return (int(self.priority), self.due_at)


@dataclass(slots=True)
class _DateState:
    last_refresh_at: datetime | None = None
    next_refresh_at: datetime | None = None
    failures: int = 0
    refreshes: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    """How reading one tracked date's schedule goes."""

    schedule_date: date
    last_read_at: datetime | None  # None: never read in this run
    failing_since: datetime | None  # first failure since the last read
    last_error: str | None
    failures: int  # consecutive failed reads
    next_read_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedFacts:
    """What one successful feed poll told the scheduler."""

    status: StatusInfo
    wait_s: float | None
    timecode: str | None  # metaData.timeStamp of the follower's current (stored) version
    update: str  # full, diff, none
    new_versions: int = 0
    full_versions: int = 0  # of the new versions, those stored from a whole feed
    diff_versions: int = 0  # ... and those stored by applying a diff
    away_score: int | None = None
    home_score: int | None = None
    inning: int | None = None
    inning_half: str | None = None
    outs: int | None = None


class LatenessMeter:
    """Share of due requests that started late, over the last ``window`` started requests."""

    def __init__(self, *, tolerance_s: float = 1.0, window: int = 500) -> None:
        self.tolerance_s = tolerance_s
        self._recent: deque[float] = deque(maxlen=window)
        self.started = 0
        self.late = 0
        self.late_s_total = 0.0
        self.late_s_max = 0.0

    def record(self, due_at: datetime, started_at: datetime) -> None:
        lateness = max(0.0, (started_at - due_at).total_seconds())
        self.started += 1
        self._recent.append(lateness)
        if lateness > self.tolerance_s:
            self.late += 1
            self.late_s_total += lateness
            self.late_s_max = max(self.late_s_max, lateness)

    @property
    def degraded(self) -> float:
        """0..1: share of the recent due requests that ran more than the tolerance late."""
        if not self._recent:
            return 0.0
        return sum(1 for s in self._recent if s > self.tolerance_s) / len(self._recent)

    @property
    def mean_late_s(self) -> float:
        return self.late_s_total / self.late if self.late else 0.0


class Scheduler:
    def __init__(
        self,
        policy: PollPolicy,
        dates: Iterable[date] = (),
        *,
        lateness_tolerance_s: float = 1.0,
    ) -> None:
        self.policy = policy
        self.entries: dict[tuple[date, int], ScheduleEntry] = {}
        self.tracks: dict[int, GameTrack] = {}
        self._dates: dict[date, _DateState] = {}
        self.lateness = LatenessMeter(tolerance_s=lateness_tolerance_s)
        self.retired: dict[date, int] = {}  # finished dates let go (``retire_dates``): games
        for d in dates:
            self.add_date(d)

    # -- tracked dates -------------------------------------------------------------------

    @property
    def dates(self) -> list[date]:
        return sorted(self._dates)

    def add_date(self, d: date) -> bool:
        """Start tracking a league date; its schedule is due at once. False if already tracked."""
        if d in self._dates:
            return False
        self._dates[d] = _DateState()
        return True

    def retire_dates(self, before: date) -> list[int]:
        """Stop tracking the league dates before ``before`` whose games are all over (final
        stored and re-checked, postponed or cancelled), and forget those games unless a date
        still tracked lists them. Returns the gamePks forgotten.

        A ``--follow`` run calls this as each new date begins: a season's finished dates would
        otherwise stay in memory and have their schedules read every 15 minutes for ever.
        """
        finished = [
            d
            for d in self._dates
            if d < before
            and self._dates[d].last_refresh_at is not None
            # A game listed here but played under another date (postponed, made up later)
            # does not hold this date.
            and all(
                t.terminal
                for t in self.tracks.values()
                if d in t.dates and t.entry.schedule_date == d
            )
        ]
        if not finished:
            return []
        for d in finished:
            del self._dates[d]
            self.retired[d] = sum(1 for (day, _) in self.entries if day == d)
        gone = set(finished)
        self.entries = {key: e for key, e in self.entries.items() if key[0] not in gone}
        forgotten = []
        for game_pk, track in list(self.tracks.items()):
            track.dates -= gone
            if not track.dates:
                del self.tracks[game_pk]
                forgotten.append(game_pk)
        return forgotten

    def entries_on(self, d: date) -> list[ScheduleEntry]:
        return [e for (sd, _), e in self.entries.items() if sd == d]

    # -- schedule ------------------------------------------------------------------------

    def apply_schedule(
        self, schedule_date: date, entries: Iterable[ScheduleEntry], now: datetime
    ) -> list[Transition]:
        """Take a fresh schedule for one date; returns the lifecycle changes it caused.

        Games that drop out of a date's schedule are kept: the API moves games rather than
        deleting them, and a game that vanishes from view is a complaint users have.
        """
        state = self._dates.setdefault(schedule_date, _DateState())
        state.last_refresh_at = now
        state.failures = 0
        state.refreshes += 1
        state.failing_since = None
        state.last_error = None
        touched: set[int] = set()
        for entry in entries:
            self.entries[entry.key] = entry
            touched.add(entry.game_pk)
        # Each game's entries (one per date it sits on), gathered in one pass: a scan of
        # every entry per game cost a 1000-game slate about half a second per schedule read.
        mine: dict[int, list[ScheduleEntry]] = {}
        for (_, pk), known in self.entries.items():
            if pk in touched:
                mine.setdefault(pk, []).append(known)
        changes: list[Transition] = []
        for game_pk in sorted(touched):
            changes.extend(self._apply_entries(game_pk, mine[game_pk], now))
        self._plan_schedule(schedule_date, now)
        return changes

    def refresh_schedules(self, now: datetime) -> None:
        """Make every tracked date's schedule due now (a user asked for a refresh)."""
        for state in self._dates.values():
            state.next_refresh_at = now

    def schedule_failed(
        self, schedule_date: date, now: datetime, reason: str = "", *, began: datetime | None = None
    ) -> None:
        """A schedule read failed for good (after the client's retries): read it again soon.

        ``began`` is when the failed read started (its retries were failing since then).
        """
        state = self._dates.setdefault(schedule_date, _DateState())
        state.failures += 1
        if state.failing_since is None:
            state.failing_since = began or now
        state.last_error = reason or state.last_error
        normal = self._schedule_interval(schedule_date, now)
        wait = self.policy.schedule_retry_interval(normal, state.failures)
        state.next_refresh_at = now + _s(wait)

    def schedule_status(self) -> list[ScheduleStatus]:
        """Every tracked date's schedule reads, oldest date first."""
        return [
            ScheduleStatus(
                d,
                s.last_refresh_at,
                s.failing_since,
                s.last_error,
                s.failures,
                s.next_refresh_at,
            )
            for d, s in sorted(self._dates.items())
        ]

    def _apply_entries(
        self, game_pk: int, mine: list[ScheduleEntry], now: datetime
    ) -> list[Transition]:
        entry = choose_entry(mine)
        track = self.tracks.get(game_pk)
        changes: list[Transition] = []
        if track is None:
            track = GameTrack(game_pk=game_pk, entry=entry, status=entry.status)
            self.tracks[game_pk] = track
            changes.append(self._transition(track, None, entry.status, "schedule", now))
        else:
            same_entry = track.entry.schedule_date == entry.schedule_date
            old = track.status
            track.entry = entry
            if accepts(old, entry.status, same_entry=same_entry) and old != entry.status:
                track.status = entry.status
                track.status_source = "schedule"
                if old.lifecycle != entry.status.lifecycle:
                    changes.append(self._transition(track, old, entry.status, "schedule", now))
                if not same_entry:
                    # A new date's game (makeup or resumption) is a new run to the final.
                    track.final_stored = False
                    track.rechecked = False
        track.dates = {e.schedule_date for e in mine}
        if track.timecode is None:
            # Until a feed is stored, the schedule's score is the best there is.
            track.away_score = entry.away_score
            track.home_score = entry.home_score
        self._settle(track, now)
        # Game 2 of a traditional doubleheader waits on this one: re-plan it too.
        for other in self._doubleheader_partners(track):
            self._settle(other, now)
        return changes

    def _transition(
        self, track: GameTrack, old: StatusInfo | None, new: StatusInfo, source: str, now: datetime
    ) -> Transition:
        return Transition(
            game_pk=track.game_pk,
            at=now,
            old=old.lifecycle.value if old else None,
            new=new.lifecycle.value,
            detailed_state=describe(new),
            source=source,
        )

    # -- feed polls ----------------------------------------------------------------------

    def poll_started(self, job: Job, now: datetime) -> None:
        self.lateness.record(job.due_at, now)
        track = self.tracks.get(job.key) if isinstance(job.key, int) else None
        if job.kind == FEED and track is not None:
            track.push_asked = False  # this poll covers all the news so far

    def push_news(
        self, game_pk: int, now: datetime, *, refresh: bool = False, timecode: str | None = None
    ) -> bool:
        """The game's push socket has news (of the version ``timecode``; None: of whatever was
        made while no socket listened): its poll is due now. News arriving while a poll is
        due or running is coalesced: at most one more poll follows, and none when the poll
        stored the newest version told of. False when the game's feed is not being polled."""
        track = self.tracks.get(game_pk)
        if track is None or track.phase not in (Phase.FOLLOW, Phase.FINISHING):
            return False
        if not track.push_asked:
            track.push_told = timecode
        elif track.push_told is not None:
            track.push_told = None if timecode is None else max(track.push_told, timecode)
        track.push_asked = True
        track.refresh_asked = track.refresh_asked or refresh
        if track.next_poll_at is None or track.next_poll_at > now:
            track.next_poll_at = now
        return True

    def push_changed(self, game_pk: int, healthy: bool, now: datetime) -> None:
        """The game's push socket became healthy (polling backs off to the backstop) or not
        (the normal interval again, counted from now at the latest)."""
        track = self.tracks.get(game_pk)
        if track is None or track.push == healthy:
            return
        track.push = healthy
        if not healthy and track.phase is Phase.FOLLOW and track.next_poll_at is not None:
            soon = now + _s(self._feed_interval(track))
            track.next_poll_at = min(track.next_poll_at, soon)
        if not healthy and track.phase is Phase.FOLLOW:
            # The schedule was read at the idle interval while every live game had push.
            for d in track.dates:
                state = self._dates.get(d)
                if state is not None and state.next_refresh_at is not None:
                    soon = now + _s(self.policy.poll.schedule_live_s)
                    state.next_refresh_at = min(state.next_refresh_at, soon)

    def feed_polled(self, game_pk: int, facts: FeedFacts, now: datetime) -> list[Transition]:
        """A feed poll succeeded (whether or not it brought a new version)."""
        track = self.tracks[game_pk]
        track.polls += 1
        track.last_poll_at = now
        track.last_poll_ok = True
        track.last_error = None
        track.failures = 0
        track.wait_s = facts.wait_s
        # Counted per stored version, as the store counts them (a poll may bring several).
        track.full_updates += facts.full_versions
        track.diff_updates += facts.diff_versions
        if facts.new_versions:
            track.versions += facts.new_versions
            track.last_stored_at = now
        track.quiet_polls = 0 if facts.new_versions else track.quiet_polls + 1
        if facts.timecode is not None:
            track.timecode = facts.timecode
        for name in ("away_score", "home_score", "inning", "inning_half", "outs"):
            value = getattr(facts, name)
            if value is not None:
                setattr(track, name, value)
        changes: list[Transition] = []
        old = track.status
        if accepts(old, facts.status, same_entry=True) and old != facts.status:
            track.status = facts.status
            track.status_source = "feed"
            if old.lifecycle != facts.status.lifecycle:
                changes.append(self._transition(track, old, facts.status, "feed", now))
        was = track.phase
        # The follower's current version is the stored one, so a Final feed here is stored.
        if is_final(facts.status.lifecycle) and track.timecode is not None:
            track.final_stored = True
        if was is Phase.RECHECK:
            track.rechecked = True
        track.next_poll_at = None
        self._settle(track, now)
        for other in self._doubleheader_partners(track):
            self._settle(other, now)
        return changes

    def archive_audited(
        self,
        game_pk: int,
        gaps: tuple[str, ...],
        now: datetime,
        *,
        not_archived: int = 0,
        progressed: bool = False,
    ) -> None:
        """The archive audit's verdict on a game: with gaps it is not complete and is polled
        again like a final fetch (each poll tries to fill them); without, it settles.
        ``not_archived``: versions listed before the first stored one (not gaps).
        ``progressed``: the try stored something (a long history is filled over many polls),
        so it does not count towards giving up."""
        track = self.tracks[game_pk]
        track.archive_gaps = gaps
        track.not_archived = not_archived
        if progressed:
            track.audit_tries = 0
        if gaps and is_final(track.status.lifecycle) and track.final_stored:
            track.audit_tries += 1
            if track.audit_tries < self.policy.audit_tries:
                # Tried again after a live game's interval, however the game was planned.
                track.phase = Phase.FINISHING
                track.next_poll_at = now + _s(self.policy.live_interval(track.wait_s))
        elif not gaps:
            track.audit_tries = 0
        self._settle(track, now)

    def feed_failed(self, game_pk: int, reason: str, now: datetime) -> None:
        """A feed poll failed for good (after the client's retries): try again later."""
        track = self.tracks[game_pk]
        track.polls += 1
        track.last_poll_at = now
        track.last_poll_ok = False
        track.last_error = reason
        track.failures += 1
        normal = self._feed_interval(track)
        track.next_poll_at = now + _s(self.policy.failure_interval(normal, track.failures))

    def restore(
        self,
        game_pk: int,
        *,
        versions: int,
        timecode: str | None,
        final_stored: bool,
        done: bool,
        now: datetime,
        recheck_at: datetime | None = None,
    ) -> None:
        """Take what the store already holds for a game (after a restart) into account.

        Called right after the game's first schedule entry: a game whose final feed is stored
        and re-checked needs no request; one whose final is stored waits for its re-check.
        """
        track = self.tracks[game_pk]
        track.versions = versions
        track.timecode = timecode
        track.final_stored = final_stored
        track.rechecked = done and final_stored
        if is_final(track.status.lifecycle) and final_stored and not track.rechecked:
            due = recheck_at or self._recheck_at(track, now)
            if due is None:
                track.rechecked = True
            else:
                track.phase = Phase.RECHECK
                track.next_poll_at = due
        self._settle(track, now)

    # -- what is due ---------------------------------------------------------------------

    def due(self, now: datetime, *, horizon_s: float = 0.0) -> list[Job]:
        """Every job due by ``now + horizon_s``, most urgent first."""
        limit = now + _s(horizon_s)
        jobs: list[Job] = []
        for d, state in self._dates.items():
            at = state.next_refresh_at or now  # a date never read is due at once
            if at <= limit:
                jobs.append(Job(SCHEDULE, d, Priority.SCHEDULE, at))
        for track in self.tracks.values():
            due_at = track.next_poll_at
            if due_at is not None and due_at <= limit:
                jobs.append(Job(FEED, track.game_pk, self.policy.priority(track), due_at))
        jobs.sort(key=_job_order)
        return jobs

    def most_urgent(
        self, now: datetime, count: int, *, busy: Collection[tuple[str, date | int]] = ()
    ) -> tuple[list[Job], int]:
        """The ``count`` most urgent jobs due by ``now`` and not in ``busy`` (in ``due``'s
        order), and how many more are due and held back. The driver asks this at every job's
        end: with a thousand games due at once, ranking only what can start (the order of
        the rest is not needed yet) keeps each look at what is due cheap."""
        due_feeds: list[GameTrack] = []
        for track in self.tracks.values():
            due_at = track.next_poll_at
            if due_at is not None and due_at <= now and (FEED, track.game_pk) not in busy:
                due_feeds.append(track)
        jobs: list[Job] = []
        for d, state in self._dates.items():
            at = state.next_refresh_at or now  # a date never read is due at once
            if at <= now and (SCHEDULE, d) not in busy:
                jobs.append(Job(SCHEDULE, d, Priority.SCHEDULE, at))
        total = len(due_feeds) + len(jobs)
        if count <= 0:
            return [], total
        priority = self.policy.priority
        for track in due_feeds:
            assert track.next_poll_at is not None
            jobs.append(Job(FEED, track.game_pk, priority(track), track.next_poll_at))
        picked = heapq.nsmallest(count, jobs, key=_job_order)
        return picked, total - len(picked)

    def next_due_at(
        self, now: datetime, *, busy: Collection[tuple[str, date | int]] = ()
    ) -> datetime | None:
        """The earliest time a job not in ``busy`` becomes due (None when nothing is planned)."""
        times: list[datetime] = []
        for d, state in self._dates.items():
            if (SCHEDULE, d) not in busy:
                times.append(state.next_refresh_at or now)
        for track in self.tracks.values():
            if track.next_poll_at is not None and (FEED, track.game_pk) not in busy:
                times.append(track.next_poll_at)
        return min(times) if times else None

    def schedule_pending(self) -> bool:
        """True while some tracked date has never been read."""
        return any(s.last_refresh_at is None for s in self._dates.values())

    def finished(self) -> bool:
        """Nothing more to do today: every game is terminal, or suspended to another day.

        Dates whose schedule was never read are not finished.
        """
        if self.schedule_pending():
            return False
        return all(t.terminal or self._parked(t) for t in self.tracks.values())

    def _parked(self, track: GameTrack) -> bool:
        """A suspended game: it resumes another day (a same-day stop is a delay), so a run
        that waits for the day's games to end does not wait for it. It stays polled slowly
        while the run goes on, and it is a coverage gap until it ends."""
        return track.status.lifecycle is Lifecycle.suspended

    def all_stored(self) -> bool:
        """Every tracked game reached a terminal state with its final feed stored (and, for a
        game that was played, audited with no gap)."""
        return self.finished() and all(
            t.terminal and not t.archive_gaps for t in self.tracks.values()
        )

    # -- coverage ------------------------------------------------------------------------

    def coverage_by_date(self) -> list[DateCoverage]:
        by_date: dict[date, list[ScheduleEntry]] = {d: [] for d in self._dates}
        for (d, _), entry in self.entries.items():
            by_date.setdefault(d, []).append(entry)
        return [
            date_coverage(d, by_date[d], self.tracks, read=self._was_read(d))
            for d in sorted(by_date)
        ]

    def _was_read(self, d: date) -> bool:
        state = self._dates.get(d)
        return state is None or state.last_refresh_at is not None

    def coverage(self) -> float | None:
        """``overall_coverage`` of ``coverage_by_date``, counted without naming the gaps."""
        by_date: dict[date, list[ScheduleEntry]] = {d: [] for d in self._dates}
        for (d, _), entry in self.entries.items():
            by_date.setdefault(d, []).append(entry)
        should = stored = 0
        for d, entries in by_date.items():
            if not self._was_read(d):
                return None
            due, done = date_counts(entries, self.tracks)
            should += due
            stored += done
        return 1.0 if should == 0 else stored / should

    # -- internals -----------------------------------------------------------------------

    def _settle(self, track: GameTrack, now: datetime) -> None:
        """Put a game in the phase its status calls for and plan its next feed poll."""
        status = track.status
        if is_gone(status):
            track.phase = Phase.GONE
            track.next_poll_at = None
        elif is_final(status.lifecycle):
            if not track.final_stored or (
                track.archive_gaps and track.audit_tries < self.policy.audit_tries
            ):
                if track.phase is not Phase.FINISHING:
                    track.next_poll_at = now
                elif track.next_poll_at is None:
                    # Polled, but the feed has not caught up with the schedule's Final yet.
                    track.next_poll_at = now + _s(self.policy.live_interval(track.wait_s))
                track.phase = Phase.FINISHING
            elif track.rechecked:
                track.phase = Phase.DONE
                track.next_poll_at = None
            elif track.phase is not Phase.RECHECK:
                due = self._recheck_at(track, now)
                if due is None:
                    track.rechecked = True
                    track.phase = Phase.DONE
                    track.next_poll_at = None
                else:
                    track.phase = Phase.RECHECK
                    track.next_poll_at = due
        elif wants_feed(status):
            if track.phase is not Phase.FOLLOW or track.next_poll_at is None:
                # Entering FOLLOW (or after a poll): first look now, then by interval.
                entering = track.phase is not Phase.FOLLOW
                asked = track.push_asked and self._push_wants_more(track)
                track.push_asked = asked
                interval = 0.0 if entering or asked else self._feed_interval(track)
                track.next_poll_at = now + _s(interval)
            track.phase = Phase.FOLLOW
        else:
            track.phase = Phase.WATCH
            track.next_poll_at = None

    @staticmethod
    def _push_wants_more(track: GameTrack) -> bool:
        """Push news came while the poll ran: poll again, unless the stored version is already
        the newest the socket told of (the poll fetched it before its message arrived)."""
        told, stored = track.push_told, track.timecode
        return track.refresh_asked or told is None or stored is None or told > stored

    def _recheck_at(self, track: GameTrack, now: datetime) -> datetime | None:
        """When to read a stored Final again for MLB's late scoring changes: the set time
        after the game ended (its stored final version's timeStamp), not after mlbdash stored
        it. None when that moment has passed: the stored final was fetched after the window
        for late changes, so it already holds them (a past date finishes at once)."""
        after = _s(self.policy.poll.final_recheck_after_s)
        try:
            ended = parse_timecode(track.timecode) if track.timecode else None
        except ValueError:
            ended = None
        if ended is None or ended > now:
            return now + after
        due = ended + after
        return due if due > now else None

    def _feed_interval(self, track: GameTrack) -> float:
        if track.phase in (Phase.FINISHING, Phase.RECHECK):
            # A failed final fetch is retried like a live poll: coverage waits on it.
            return self.policy.live_interval(track.wait_s)
        return self.policy.follow_interval(track)

    def _schedule_interval(self, d: date, now: datetime) -> float:
        poll = self.policy.poll
        on_date = [t for t in self.tracks.values() if d in t.dates]
        # A live game told of by a healthy push socket needs the schedule no more than an idle
        # one: its own feed says how it goes, and the socket says when.
        busy = any(
            t.phase is Phase.FINISHING or (t.phase is Phase.FOLLOW and not t.push) for t in on_date
        )
        interval = poll.schedule_live_s if busy else poll.schedule_idle_s
        for track in on_date:
            if track.phase is not Phase.WATCH:
                continue
            waiting = self._waiting_on_game_one(track)
            interval = min(interval, self.policy.preview_interval(track, now, waiting_on=waiting))
            game_time = track.entry.game_time
            if game_time is not None and not track.entry.start_time_tbd and not waiting:
                # Look again right when the game crosses into a tighter interval.
                for edge in (game_time - NEAR_WINDOW, game_time - IMMINENT_WINDOW):
                    ahead = (edge - now).total_seconds()
                    if ahead > 0:
                        interval = min(interval, ahead)
        return interval

    def _plan_schedule(self, d: date, now: datetime) -> None:
        state = self._dates[d]
        state.next_refresh_at = now + _s(self._schedule_interval(d, now))

    def _doubleheader_partners(self, track: GameTrack) -> list[GameTrack]:
        entry = track.entry
        if entry.double_header != "Y" or entry.game_number != 1:
            return []
        return [
            t
            for t in self.tracks.values()
            if t.game_pk != track.game_pk and _same_doubleheader(entry, t.entry)
        ]

    def _waiting_on_game_one(self, track: GameTrack) -> bool:
        """Game 2 of a traditional doubleheader before game 1 has ended.

        Its listed first pitch is a placeholder: it starts after game 1, so its schedule
        cadence follows game 1 rather than its own time.
        """
        entry = track.entry
        if entry.double_header != "Y" or entry.game_number != 2:
            return False
        for other in self.tracks.values():
            if other.entry.game_number == 1 and _same_doubleheader(entry, other.entry):
                return not (is_final(other.status.lifecycle) or is_gone(other.status))
        return False


def _same_doubleheader(a: ScheduleEntry, b: ScheduleEntry) -> bool:
    return (
        a.official_date == b.official_date
        and b.double_header == a.double_header
        and {a.away_id, a.home_id} == {b.away_id, b.home_id}
        and a.away_id is not None
    )


def _job_order(job: Job) -> tuple[int, datetime]:
    return job.sort_key


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
