"""The jobs the driver runs (a schedule read or a feed poll), and what a job that fails,
crashes or overruns its deadline leaves behind; ``refresh_now`` runs every job at once."""

from __future__ import annotations

import asyncio
from datetime import date

from mlbdash.errors import MlbdashError
from mlbdash.ingest.events import WorkerStopped
from mlbdash.ingest.runtime.monitoring import Monitoring
from mlbdash.ingest.runtime.recording import write_failed
from mlbdash.ingest.runtime.schedule import ScheduleReader
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.runtime.versions import VersionKeeper
from mlbdash.ingest.scheduler import FEED, Job, Phase
from mlbdash.ingest.store import StoreError


class Jobs:
    """Runs each job on the part that does it; a failure becomes a failed poll or read, so
    the game or date keeps its plan (with backoff) and nothing is silently dropped."""

    def __init__(
        self,
        state: RuntimeState,
        schedule: ScheduleReader,
        versions: VersionKeeper,
        monitoring: Monitoring,
    ) -> None:
        self.state = state
        self.schedule = schedule
        self.versions = versions
        self.monitoring = monitoring

    async def run_job(self, job: Job) -> None:
        if job.kind == FEED:
            assert isinstance(job.key, int)
            await self.versions.poll_game(job.key)
        else:
            assert isinstance(job.key, date)
            await self.schedule.read(job.key)

    def overdue(self, job: Job, deadline_s: float) -> None:
        """A job cancelled past its deadline: a failed poll; the game is polled again on its
        plan (with the failure backoff), from what the store holds."""
        state = self.state
        now = state.clock.now()
        reason = f"cancelled after the {deadline_s:g} s job deadline"
        if job.kind == FEED:
            assert isinstance(job.key, int)
            state.scheduler.feed_failed(job.key, reason, now)
            self.monitoring.note_poll(job.key, success=False)
        else:
            assert isinstance(job.key, date)
            state.scheduler.schedule_failed(job.key, now)

    def crashed(self, job: Job, exc: BaseException) -> None:
        """A bug in a job, or a write it could not make: recorded as a failed poll so the game
        keeps being polled."""
        state = self.state
        now = state.clock.now()
        if isinstance(exc, StoreError):
            # Not a bug: the database refused a write (disk full, locked...). What the job was
            # writing (schedule rows, a state change, a game row) is named as not stored.
            write_failed(
                self.state, "schedule" if job.kind != FEED else "game rows", exc.message, lost=1
            )
            if job.kind == FEED:
                assert isinstance(job.key, int)
                state.followers.pop(job.key, None)
                state.scheduler.feed_failed(job.key, exc.message, now)
            else:
                assert isinstance(job.key, date)
                state.scheduler.schedule_failed(job.key, now)
            return
        state.crashes += 1
        reason = f"internal error: {type(exc).__name__}: {exc}"
        if job.kind == FEED:
            assert isinstance(job.key, int)
            state.scheduler.feed_failed(job.key, reason, now)
        else:
            assert isinstance(job.key, date)
            state.scheduler.schedule_failed(job.key, now, reason)
        state.emit(WorkerStopped(now, f"{job.kind}:{job.key}", reason))

    async def refresh_now(self) -> None:
        """Poll every followed game and read every tracked date's schedule now, and return
        once those requests have ended (retries included).

        Raises ``MlbdashError`` naming what failed and why: a schedule that could not be read,
        polls that failed, or a pipeline that is not running.
        """
        state = self.state
        driver = state.driver
        if driver is None:
            raise MlbdashError("the pipeline is not running: nothing was asked")
        now = state.clock.now()
        scheduler = state.scheduler
        followed = []
        for track in scheduler.tracks.values():
            if track.phase in (Phase.FOLLOW, Phase.FINISHING):
                track.next_poll_at = now
                followed.append(track)
        scheduler.refresh_schedules(now)
        running = driver.start_due()
        if running:
            # Bounded: a request gives up within its retry limit (clock seconds).
            limit = state.settings.retry_max_elapsed_s / (state.clock.speed or 1.0) + 30.0
            await asyncio.wait(running, timeout=limit)
        driver.wake()
        failed_dates = [s for s in scheduler.schedule_status() if s.failing_since is not None]
        if failed_dates:
            first = failed_dates[0]
            raise MlbdashError(
                f"schedule of {first.schedule_date.isoformat()} not read: {first.last_error}"
            )
        failed = [t for t in followed if t.last_poll_ok is False]
        if failed:
            raise MlbdashError(
                f"{len(failed)} of {len(followed)} game polls failed; game "
                f"{failed[0].game_pk}: {failed[0].last_error}"
            )
