"""Schedules: reading a league date's schedule, taking over stored games, new league dates."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.events import ScheduleGameUpdated
from mlbdash.ingest.runtime.monitoring import HEARTBEAT_S
from mlbdash.ingest.runtime.recording import (
    beat,
    game_updated,
    record_findings,
    record_transitions,
)
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.runtime.versions import VersionKeeper
from mlbdash.ingest.scheduler import Scheduler
from mlbdash.ingest.scheduler.entries import (
    ScheduleParseError,
    entries_by_date,
    parse_schedule,
    stored_entry,
)
from mlbdash.ingest.validator.service import validate_schedule
from mlbdash.mlb.dates import league_today

FOLLOW_CHECK_S = 60.0  # clock seconds between looks for a new league date under --follow


class ScheduleReader:
    """Reads a league date's schedule: the games it lists, their states and scores, each
    game's first meeting (taking over what the store holds), and new dates under --follow."""

    def __init__(self, state: RuntimeState, versions: VersionKeeper) -> None:
        self.state = state
        self.versions = versions

    async def read(self, day: date) -> None:
        state = self.state
        scheduler = state.scheduler
        params = {"sportId": ",".join(str(i) for i in state.settings.sport_ids)}
        params["date"] = day.isoformat()
        # Each team with its abbreviation, the one name mlbdash shows (mlb.facts.team_label).
        params["hydrate"] = "team"
        if state.settings.teams:
            params["teamId"] = ",".join(str(i) for i in state.settings.teams)
        began = state.clock.now()
        try:
            # The raw answer (not client.schedule's parsed one): it is kept as a snapshot and
            # the validator's schedule rules read it as sent.
            fetched = await state.client.get_json("schedule", "v1/schedule", params)
            schedule = parse_schedule(fetched.data)
        except (ApiError, ScheduleParseError) as exc:
            why = exc.cause if isinstance(exc, ApiError) else str(exc)
            scheduler.schedule_failed(day, state.clock.now(), why, began=began)
            return
        raw: dict[str, Any] = fetched.data
        entries = entries_by_date(schedule).get(day, [])
        listed = {g.game_pk: g for d, g in schedule.games() if d == day and g.game_pk}
        for raw_day in raw.get("dates") or []:
            if isinstance(raw_day, dict) and raw_day.get("date") == day.isoformat():
                for raw_game in raw_day.get("games") or []:
                    if isinstance(raw_game, dict) and isinstance(raw_game.get("gamePk"), int):
                        state.raw_games[(day, raw_game["gamePk"])] = raw_game
        store = state.store
        changed = True
        if not (fetched.from_cache or fetched.not_modified):
            body = json.dumps(raw, separators=(",", ":")).encode()
            changed = await store.store_schedule_snapshot(fetched.url, body)
        if changed:
            await record_findings(state, validate_schedule(raw), official_date=day)
        await store.upsert_schedule_games(
            [stored_entry(e, listed[e.game_pk]) for e in entries if e.game_pk in listed]
        )
        new = [e.game_pk for e in entries if e.game_pk not in scheduler.tracks]
        before = {pk: _row_key(scheduler, pk) for pk in scheduler.tracks}
        async with state.state_lock:
            now = state.clock.now()
            changes = scheduler.apply_schedule(day, entries, now)
            await self._restore(new, now)
            await record_transitions(state, changes)
        for entry in entries:
            if before.get(entry.game_pk) != _row_key(scheduler, entry.game_pk):
                game_updated(state, entry.game_pk, "none", kind=ScheduleGameUpdated)
            feed = state.follower_feed(entry.game_pk)
            if entry.game_pk in state.crossref_pending and feed is not None:
                await self.versions.cross_reference(entry.game_pk, feed)
        state.release_finished()

    async def _restore(self, game_pks: list[int], now: datetime) -> None:
        """Games seen for the first time this run: take over what the store holds of them
        (one transaction for the whole schedule)."""
        state = self.state
        tracks = state.scheduler.tracks
        records = await state.store.meet_games(
            {
                game_pk: {
                    "game_type": tracks[game_pk].entry.game_type,
                    "away_name": tracks[game_pk].entry.away,
                    "home_name": tracks[game_pk].entry.home,
                    "away_team_id": tracks[game_pk].entry.away_id,
                    "home_team_id": tracks[game_pk].entry.home_id,
                }
                for game_pk in game_pks
            }
        )
        for game_pk in game_pks:
            record = records.get(game_pk)
            if record is None or record.last_timecode is None:
                continue
            if record.away_abbrev and record.home_abbrev:
                state.labels[game_pk] = (record.away_abbrev, record.home_abbrev)
            state.scheduler.restore(
                game_pk,
                versions=record.versions,
                timecode=record.last_timecode,
                final_stored=record.final_stored,
                done=record.done,
                recheck_at=record.recheck_at,
                now=now,
            )
            track = tracks[game_pk]
            track.full_updates = record.full_updates
            track.diff_updates = record.diff_updates

    async def follow_loop(self) -> None:
        """Under --follow: add each new league date as it begins, and let finished ones go."""
        state = self.state
        clock = state.clock
        # Looks every FOLLOW_CHECK_S clock seconds, but wakes to beat every HEARTBEAT_S real
        # seconds (as long as the clock moves: a test's ManualClock only moves when stepped).
        step = min(FOLLOW_CHECK_S, HEARTBEAT_S * clock.speed)
        next_check = clock.now()
        while True:
            beat(state, "follow")
            now = clock.now()
            if now >= next_check:
                next_check = now + timedelta(seconds=FOLLOW_CHECK_S)
                today = league_today(now)
                # Finished days before today leave memory (all of it is in the store).
                state.retire_dates(today)
                if state.scheduler.add_date(today):
                    state.wake_driver()
            await clock.sleep(step)


def _row_key(scheduler: Scheduler, game_pk: int) -> tuple[Any, ...] | None:
    track = scheduler.tracks.get(game_pk)
    if track is None:
        return None
    return (track.status, track.away_score, track.home_score, track.phase)
