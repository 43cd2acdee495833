"""Schedules: reading a league date's schedule, taking over stored games, running jobs."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from typing import Any

from mlbdash.errors import MlbdashError
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.events import ScheduleGameUpdated, WorkerStopped
from mlbdash.ingest.runtime.versions import VersionRuntime
from mlbdash.ingest.scheduler import FEED, Job, Phase, Scheduler
from mlbdash.ingest.scheduler.entries import (
    ScheduleParseError,
    entries_by_date,
    parse_schedule,
    stored_entry,
)
from mlbdash.ingest.store import StoreError
from mlbdash.ingest.validator.service import validate_schedule


class ScheduleRuntime(VersionRuntime):
    """Schedule reads, and the jobs the driver runs (a schedule read or a feed poll)."""

    async def _refresh_schedule(self, day: date) -> None:
        scheduler = self.scheduler
        params = {"sportId": ",".join(str(i) for i in self.settings.sport_ids)}
        params["date"] = day.isoformat()
        # Each team with its abbreviation, the one name mlbdash shows (mlb.facts.team_label).
        params["hydrate"] = "team"
        if self.settings.teams:
            params["teamId"] = ",".join(str(i) for i in self.settings.teams)
        began = self.clock.now()
        try:
            # The raw answer (not client.schedule's parsed one): it is kept as a snapshot and
            # the validator's schedule rules read it as sent.
            fetched = await self.client.get_json("schedule", "v1/schedule", params)
            schedule = parse_schedule(fetched.data)
        except (ApiError, ScheduleParseError) as exc:
            why = exc.cause if isinstance(exc, ApiError) else str(exc)
            scheduler.schedule_failed(day, self.clock.now(), why, began=began)
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
            feed = self.follower_feed(entry.game_pk)
            if entry.game_pk in self._crossref_pending and feed is not None:
                await self._cross_reference(entry.game_pk, feed)
        self._release_finished()

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

    async def _run_job(self, job: Job) -> None:
        if job.kind == FEED:
            assert isinstance(job.key, int)
            await self._poll_game(job.key)
        else:
            assert isinstance(job.key, date)
            await self._refresh_schedule(job.key)

    def _job_overdue(self, job: Job, deadline_s: float) -> None:
        """A job cancelled past its deadline: a failed poll; the game is polled again on its
        plan (with the failure backoff), from what the store holds."""
        now = self.clock.now()
        reason = f"cancelled after the {deadline_s:g} s job deadline"
        if job.kind == FEED:
            assert isinstance(job.key, int)
            self.scheduler.feed_failed(job.key, reason, now)
            self._note_poll(job.key, success=False)
        else:
            assert isinstance(job.key, date)
            self.scheduler.schedule_failed(job.key, now)

    def _job_crashed(self, job: Job, exc: BaseException) -> None:
        """A bug in a job, or a write it could not make: recorded as a failed poll so the game
        keeps being polled."""
        now = self.clock.now()
        if isinstance(exc, StoreError):
            # Not a bug: the database refused a write (disk full, locked...). What the job was
            # writing (schedule rows, a state change, a game row) is named as not stored.
            self._write_failed("schedule" if job.kind != FEED else "game rows", exc.message, lost=1)
            if job.kind == FEED:
                assert isinstance(job.key, int)
                self._followers.pop(job.key, None)
                self.scheduler.feed_failed(job.key, exc.message, now)
            else:
                assert isinstance(job.key, date)
                self.scheduler.schedule_failed(job.key, now)
            return
        self._crashes += 1
        reason = f"internal error: {type(exc).__name__}: {exc}"
        if job.kind == FEED:
            assert isinstance(job.key, int)
            self.scheduler.feed_failed(job.key, reason, now)
        else:
            assert isinstance(job.key, date)
            self.scheduler.schedule_failed(job.key, now, reason)
        self._emit(WorkerStopped(now, f"{job.kind}:{job.key}", reason))

    async def refresh_now(self) -> None:
        """Poll every followed game and read every tracked date's schedule now, and return
        once those requests have ended (retries included).

        Raises ``MlbdashError`` naming what failed and why: a schedule that could not be read,
        polls that failed, or a pipeline that is not running.
        """
        driver = self._driver
        if driver is None:
            raise MlbdashError("the pipeline is not running: nothing was asked")
        now = self.clock.now()
        scheduler = self.scheduler
        followed = []
        for track in scheduler.tracks.values():
            if track.phase in (Phase.FOLLOW, Phase.FINISHING):
                track.next_poll_at = now
                followed.append(track)
        scheduler.refresh_schedules(now)
        running = driver.start_due()
        if running:
            # Bounded: a request gives up within its retry limit (clock seconds).
            limit = self.settings.retry_max_elapsed_s / (self.clock.speed or 1.0) + 30.0
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


def _row_key(scheduler: Scheduler, game_pk: int) -> tuple[Any, ...] | None:
    track = scheduler.tracks.get(game_pk)
    if track is None:
        return None
    return (track.status, track.away_score, track.home_score, track.phase)
