"""How often to look at a game, and which look goes first when requests are scarce.

All intervals are in the clock's (virtual) seconds and come from ``Settings.poll``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum

from mlbdash.config import PollSettings
from mlbdash.ingest.push import push_backstop_interval
from mlbdash.ingest.scheduler.states import GameTrack, Phase
from mlbdash.mlb.status import Lifecycle

NEAR_WINDOW = timedelta(hours=2)
IMMINENT_WINDOW = timedelta(minutes=15)
# After a failed poll the next one waits the normal interval, doubled per further failure but
# never more than this (or the normal interval when that is longer): an outage is noticed
# quickly once it ends, and a dead server is not hammered.
BACKOFF_CAP_S = 60.0
# A schedule that could not be read is asked again soon whatever its normal interval (15 min
# when nothing is live): until it is read, the run does not know which games exist. 5 s after
# the first failure (which already spent its own retries), doubling to 2 minutes.
SCHEDULE_RETRY_FIRST_S = 5.0
SCHEDULE_RETRY_MAX_S = 120.0


class Priority(IntEnum):
    """Lower runs first when the request budget cannot serve every due poll on time."""

    # A followed game with nothing stored yet: it shows nothing at all, where a re-poll's game
    # shows a version at most an interval old (a 1000-game start stores every game first).
    FIRST = 0
    LIVE = 1
    WARMUP = 2
    FINAL = 3  # the last full fetch of a game that just ended (coverage depends on it)
    SCHEDULE = 4
    PREVIEW = 5
    RECHECK = 6


class PollPolicy:
    # Polls of a Final game in a row that try to fill the gaps the archive audit found before
    # the game is left with them (named, a coverage gap, so the run ends incomplete).
    audit_tries = 5

    def __init__(self, poll: PollSettings) -> None:
        self.poll = poll

    def live_interval(self, wait_s: float | None) -> float:
        """``metaData.wait`` (the server's own hint), never below the configured floor."""
        if wait_s is None or wait_s <= 0:
            return max(self.poll.live_default_s, self.poll.live_min_s)
        return max(wait_s, self.poll.live_min_s)

    def follow_interval(self, track: GameTrack) -> float:
        """The feed interval of a game being followed, by what it is doing."""
        lifecycle = track.status.lifecycle
        if lifecycle is Lifecycle.suspended:
            return self.poll.suspended_s
        if lifecycle is Lifecycle.delayed:
            return self.poll.delayed_s
        if lifecycle is Lifecycle.unknown or not track.status.known:
            # A status we cannot place: keep an eye on it without spending much.
            return self.poll.delayed_s
        live = self.live_interval(track.wait_s)
        if not track.push:
            return live
        # A healthy push socket says when there is news; polling is then only the backstop,
        # backing off while it finds nothing (see PUSH_BACKSTOP_MAX_FACTOR).
        return max(live, push_backstop_interval(self.poll.push_backstop_s, track.quiet_polls))

    def preview_interval(self, track: GameTrack, now: datetime, *, waiting_on: bool) -> float:
        """How often the schedule should look at a game that has not started.

        ``waiting_on`` marks game 2 of a traditional doubleheader while game 1 is being played:
        its listed time means little; it starts about half an hour after game 1 ends.
        """
        if waiting_on:
            return self.poll.near_preview_s
        entry = track.entry
        if entry.start_time_tbd or entry.game_time is None:
            return self.poll.near_preview_s
        until = entry.game_time - now
        if until > NEAR_WINDOW:
            return self.poll.far_preview_s
        if until > IMMINENT_WINDOW:
            return self.poll.near_preview_s
        return self.poll.imminent_preview_s

    def failure_interval(self, normal_s: float, failures: int) -> float:
        """The wait after ``failures`` consecutive failed polls (failures >= 1)."""
        backoff = normal_s * 2.0 ** max(0, failures - 1)
        return min(backoff, max(normal_s, BACKOFF_CAP_S))

    def schedule_retry_interval(self, normal_s: float, failures: int) -> float:
        """The wait after ``failures`` consecutive failed schedule reads (failures >= 1)."""
        backoff = SCHEDULE_RETRY_FIRST_S * 2.0 ** min(max(0, failures - 1), 16)
        return min(backoff, SCHEDULE_RETRY_MAX_S, normal_s)

    def priority(self, track: GameTrack) -> Priority:
        if track.phase is Phase.RECHECK:
            return Priority.RECHECK
        if track.phase is Phase.FINISHING:
            return Priority.FINAL
        if track.phase is Phase.FOLLOW and track.timecode is None:
            return Priority.FIRST
        if track.status.lifecycle is Lifecycle.warmup:
            return Priority.WARMUP
        if track.phase is Phase.FOLLOW:
            return Priority.LIVE
        return Priority.PREVIEW
