"""The scheduler's engine: runs due jobs on a bounded pool, most urgent first.

Each job runs in its own task, so one slow or failing game never holds up the others; at most
``max_concurrency`` run at once and the rest wait in priority order (a game's first poll, then
live before warmup before final fetches before schedules before previews before re-checks).
A job's own errors are the job's business (``run_job`` records them with the scheduler); the
driver only makes sure that nothing escapes and that a game is never polled twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import date

from mlbdash.ingest.scheduler.core import Job, Scheduler
from mlbdash.mlb.clock import Clock

RunJob = Callable[[Job], Awaitable[None]]
OnCrash = Callable[[Job, BaseException], None]
OnOverdue = Callable[[Job, float], None]


class Driver:
    def __init__(
        self,
        scheduler: Scheduler,
        clock: Clock,
        run_job: RunJob,
        *,
        max_concurrency: int,
        on_crash: OnCrash | None = None,
        heartbeat: Callable[[], None] | None = None,
        heartbeat_s: float = 2.0,
        job_deadline_s: float | None = None,
        on_overdue: OnOverdue | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.scheduler = scheduler
        self.clock = clock
        self._run_job = run_job
        self._on_crash = on_crash
        # Real seconds a job may run; past it the job is cancelled and ``on_overdue`` told, so
        # one stuck request or write never stops a game from being followed.
        self.job_deadline_s = job_deadline_s
        self._on_overdue = on_overdue
        self.jobs_overdue = 0
        # Called on every pass of the dispatch loop, and the loop passes at least every
        # ``heartbeat_s`` real seconds, so a monitor can tell a quiet driver from a dead one.
        self._heartbeat = heartbeat
        self.heartbeat_s = heartbeat_s
        self.max_concurrency = max_concurrency
        self._inflight: dict[tuple[str, date | int], asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.drain_timeout_s = 10.0  # real seconds
        self.jobs_started = 0
        self.waiting = 0  # due jobs held back by the concurrency bound at the last look

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def wait_idle(self) -> None:
        """Until no job is running (tests step a ManualClock between idle points)."""
        await self._idle.wait()

    def start_due(self) -> list[asyncio.Task[None]]:
        """Start what is due now, as the loop would, and return every running job's task (a
        caller waits on them to know how a refresh it asked for went)."""
        self._dispatch()
        return list(self._inflight.values())

    def wake(self) -> None:
        """Look at what is due now (after new work was planned from outside)."""
        self._wake.set()

    async def run(self, should_stop: Callable[[], bool]) -> None:
        """Dispatch until ``should_stop()`` says so; then wait for the running jobs to end."""
        try:
            while not should_stop():
                if self._heartbeat is not None:
                    self._heartbeat()
                self._dispatch()
                if should_stop():
                    break
                await self._wait()
        finally:
            await self._drain()

    def _dispatch(self) -> None:
        now = self.clock.now()
        free = self.max_concurrency - len(self._inflight)
        due, held = self.scheduler.most_urgent(now, free, busy=self._inflight.keys())
        for job in due:
            ident = (job.kind, job.key)
            self.scheduler.poll_started(job, now)
            self.jobs_started += 1
            task = asyncio.create_task(self._guarded(job), name=f"{job.kind}:{job.key}")
            self._inflight[ident] = task
            self._idle.clear()
            task.add_done_callback(self._finished_callback(ident))
        self.waiting = held

    def _finished_callback(
        self, ident: tuple[str, date | int]
    ) -> Callable[[asyncio.Task[None]], None]:
        def finished(_task: asyncio.Task[None]) -> None:
            self._inflight.pop(ident, None)
            if not self._inflight:
                self._idle.set()
            self._wake.set()

        return finished

    async def _guarded(self, job: Job) -> None:
        deadline = asyncio.timeout(self.job_deadline_s)
        try:
            async with deadline:
                await self._run_job(job)
        except asyncio.CancelledError:
            raise
        except TimeoutError as exc:
            if not deadline.expired():
                if self._on_crash is not None:
                    self._on_crash(job, exc)
                return
            self.jobs_overdue += 1
            if self._on_overdue is not None:
                self._on_overdue(job, self.job_deadline_s or 0.0)
        except Exception as exc:
            # run_job records expected failures itself; this is a bug, but it must not stop
            # this game's polling for good, nor anyone else's.
            if self._on_crash is not None:
                self._on_crash(job, exc)

    async def _wait(self) -> None:
        """Until something finishes, someone calls wake(), or the next job falls due."""
        now = self.clock.now()
        next_at = None  # with every slot taken, nothing can start before a running job ends
        if len(self._inflight) < self.max_concurrency:
            next_at = self.scheduler.next_due_at(now, busy=self._inflight.keys())
        self._wake.clear()
        waiter: asyncio.Future[object] = asyncio.ensure_future(self._wake.wait())
        sleeper: asyncio.Future[object] | None = None
        if next_at is not None:
            delay = (next_at - now).total_seconds()
            if delay <= 0:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
                await asyncio.sleep(0)
                return
            sleeper = asyncio.ensure_future(self._sleep(delay))
        pending: set[asyncio.Future[object]] = {waiter} if sleeper is None else {waiter, sleeper}
        if self._heartbeat is not None:
            pending.add(asyncio.ensure_future(asyncio.sleep(self.heartbeat_s)))
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in pending:
                if not fut.done():
                    fut.cancel()
            for fut in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await fut

    async def _sleep(self, seconds: float) -> object:
        await self.clock.sleep(seconds)
        return None

    async def _drain(self) -> None:
        """Let running jobs finish (one cut off mid-write helps no one); cancel stragglers."""
        tasks = list(self._inflight.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.drain_timeout_s)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._inflight.clear()
        self._idle.set()
