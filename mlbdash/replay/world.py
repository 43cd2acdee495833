"""The replayed games: recordings placed in (virtual) time, rebased, shifted and cloned.

Every game has a schedule entry (recorded, or derived from its feed's ``gameData``) and, when
it has a recorded feed, a timeline. Schedule entries of games with a timeline follow the
timeline's state as virtual time passes; postponed and cancelled entries keep their recorded
status, as the real schedule does.

Games recorded as exact versions (an archive) are served at their stored timecodes: they are
never moved in time, so rebasing or moving a first pitch is refused for them.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from mlbdash.errors import UsageError
from mlbdash.mlb.dates import parse_iso
from mlbdash.mlb.patch import copy_json
from mlbdash.replay.data import RecordedData, ScheduleEntry, load_data
from mlbdash.replay.edits import EditedTimeline, FeedEdit
from mlbdash.replay.exact import ExactTimeline, ExactVersionsError
from mlbdash.replay.faults import FaultSpec
from mlbdash.replay.timeline import (
    ClonedTimeline,
    FinalTimeline,
    RecordedTimeline,
    Timeline,
    first_pitch_instant,
)
from mlbdash.replay.timeutil import from_epoch, shift_feed, shift_times, to_iso

Json = dict[str, Any]

CLONE_PK_BASE = 9_000_000
"""Cloned games get gamePks from here up: above every real gamePk so far."""


@dataclass(frozen=True)
class ReplayOptions:
    """Everything that decides what the replay server serves (see ``mlbdash replay serve``)."""

    data: Path
    speed: float = 1.0
    start: datetime | None = None
    """Virtual start; default 30 minutes before the earliest first pitch."""
    rebase_date: date | None = None
    """Move every game onto this league date, keeping its time of day."""
    first_pitches: Mapping[int, datetime] = field(default_factory=dict)
    """Move these games so their first pitch is at this instant (applied after rebasing)."""
    faults: FaultSpec = field(default_factory=FaultSpec)
    seed: int = 0
    clones: int = 0
    """Additional games replaying the base games under new gamePks."""
    clone_stagger: float = 15.0
    """Virtual seconds between the starts of consecutive clones."""
    diffpatch_window: float = 300.0
    """Virtual seconds after which diffPatch answers with the whole feed instead of a patch."""
    games: frozenset[int] | None = None
    """Serve only these gamePks (None: every recorded game)."""
    edits: Mapping[int, tuple[FeedEdit, ...]] = field(default_factory=dict)
    """Derived versions: these games' versions changed inside each edit's window."""


@dataclass
class Game:
    game_pk: int
    timeline: Timeline | None
    entries: list[ScheduleEntry]
    derived_entry: bool = False
    recorded_diffpatches: dict[str, tuple[str, Any]] = field(default_factory=dict)
    recorded_timestamps: list[str] | None = None

    def index_at(self, moment: float) -> int:
        """The version current at ``moment`` (epoch seconds); the first one before it exists."""
        assert self.timeline is not None
        return max(0, bisect.bisect_right(self.timeline.times, moment) - 1)


class World:
    """All games of a replay, indexed by gamePk."""

    def __init__(self, options: ReplayOptions, data: RecordedData | None = None) -> None:
        self.options = options
        self.data = data if data is not None else load_data(options.data)
        self.copyright = self.data.copyright
        self.games: dict[int, Game] = {}
        self._build()
        self.start = options.start or self._default_start()

    def status(self, game: Game, index: int) -> Json:
        assert game.timeline is not None
        return game.timeline.status(index)

    def _shift_for(
        self, game_pk: int, recorded_day: date, first_pitch: float | None
    ) -> tuple[timedelta, int]:
        days = (self.options.rebase_date - recorded_day).days if self.options.rebase_date else 0
        delta = timedelta(days=days)
        wanted = self.options.first_pitches.get(game_pk)
        if wanted is not None and first_pitch is not None:
            # Whole minutes, so the shifted gameDate stays on the minute like a real one.
            delta = timedelta(minutes=round((wanted.timestamp() - first_pitch) / 60))
        return delta, days

    def _build(self) -> None:
        data = self.data
        entries: dict[int, list[ScheduleEntry]] = {}
        wanted = self.options.games
        for entry in data.schedule:
            if wanted is None or int(entry.game["gamePk"]) in wanted:
                entries.setdefault(int(entry.game["gamePk"]), []).append(entry)
        self._exact(entries)
        recorded_pks = (set(data.finals) | set(data.snapshots)) - set(data.exact)
        if wanted is not None:
            recorded_pks &= wanted
        for game_pk in sorted(recorded_pks):
            source = data.finals.get(game_pk) or data.snapshots[game_pk][0]
            recorded_day = _official_date(source)
            first = _first_pitch(source)
            delta, days = self._shift_for(game_pk, recorded_day, first)
            timeline: Timeline
            if game_pk in data.finals:
                timeline = FinalTimeline(shift_feed(data.finals[game_pk], delta, days))
            else:
                snaps = [shift_feed(snap, delta, days) for snap in data.snapshots[game_pk]]
                timeline = RecordedTimeline(snaps)
            edits = self.options.edits.get(game_pk)
            if edits:
                timeline = EditedTimeline(timeline, edits)
            game_entries = [
                ScheduleEntry(
                    entry.listed_on + timedelta(days=days), shift_times(entry.game, delta, days)
                )
                for entry in entries.pop(game_pk, [])
            ]
            derived = not game_entries
            if derived:
                shifted = timeline.build(len(timeline.times) - 1)
                game_entries = [derived_entry(shifted)]
            game = Game(game_pk, timeline, game_entries, derived)
            if not delta and not days:
                # Recorded diffPatch answers carry recorded timecodes: only serve them unshifted.
                game.recorded_diffpatches = dict(data.diffpatches.get(game_pk, {}))
            stamps = data.timestamps.get(game_pk)
            if stamps is not None:
                game.recorded_timestamps = [
                    shift_times({"timeStamp": s}, delta, days)["timeStamp"] for s in stamps
                ]
            self.games[game_pk] = game
        for game_pk, listed in entries.items():
            shifted_entries = []
            for entry in listed:
                days = (
                    (self.options.rebase_date - entry.listed_on).days
                    if self.options.rebase_date
                    else 0
                )
                shifted_entries.append(
                    ScheduleEntry(
                        entry.listed_on + timedelta(days=days),
                        shift_times(entry.game, timedelta(days=days), days),
                    )
                )
            self.games[game_pk] = Game(game_pk, None, shifted_entries)
        self._clone()

    def _exact(self, entries: dict[int, list[ScheduleEntry]]) -> None:
        moved = self.options.rebase_date is not None or any(
            pk in self.data.exact for pk in self.options.first_pitches
        )
        if self.data.exact and moved:
            raise UsageError(
                "the data holds an archive's exact versions, served at their stored timecodes: "
                "they cannot be moved to another date or first pitch"
            )
        for game_pk, versions in sorted(self.data.exact.items()):
            try:
                timeline = ExactTimeline(game_pk, versions)
            except ExactVersionsError as exc:
                raise UsageError(str(exc)) from None
            game_entries = entries.pop(game_pk, [])
            derived = not game_entries
            if derived:
                # A copy: the timeline patches its built version in place later.
                last = copy_json(timeline.build(len(timeline.times) - 1))
                game_entries = [derived_entry(last)]
            game = Game(game_pk, timeline, game_entries, derived)
            game.recorded_timestamps = self.data.timestamps.get(game_pk)
            self.games[game_pk] = game

    def _clone(self) -> None:
        bases = [game for game in self.games.values() if isinstance(game.timeline, FinalTimeline)]
        if not bases or self.options.clones <= 0:
            return
        for number in range(self.options.clones):
            base = bases[number % len(bases)]
            assert base.timeline is not None
            game_pk = CLONE_PK_BASE + number
            offset = round((number + 1) * self.options.clone_stagger)
            # A clone a day or more after its base is listed on that later league date, so a
            # large stagger spreads clones over a week or a month of dates.
            days = offset // 86400
            timeline = ClonedTimeline(base.timeline, game_pk, offset, days)
            playable = [e for e in base.entries if not _postponed(e.game)] or base.entries
            template = playable[0]
            game = dict(template.game)
            game["gamePk"] = game_pk
            game["link"] = f"/api/v1.1/game/{game_pk}/feed/live"
            game.pop("gameGuid", None)
            if "content" in game:
                game["content"] = {"link": f"/api/v1/game/{game_pk}/content"}
            if "gameDate" in game:
                game["gameDate"] = to_iso(
                    parse_iso(str(game["gameDate"])) + timedelta(seconds=offset)
                )
            if days:
                game = shift_times(game, timedelta(0), days)
            listed_on = template.listed_on + timedelta(days=days)
            self.games[game_pk] = Game(game_pk, timeline, [ScheduleEntry(listed_on, game)], True)

    def _default_start(self) -> datetime:
        # An archive replays from its first stored version; recordings from half an hour
        # before their first pitch.
        starts = [
            from_epoch(g.timeline.first_pitch())
            - (timedelta(0) if isinstance(g.timeline, ExactTimeline) else timedelta(minutes=30))
            for g in self.games.values()
            if g.timeline is not None
        ]
        if starts:
            return min(starts)
        dates = [
            parse_iso(str(e.game["gameDate"]))
            for g in self.games.values()
            for e in g.entries
            if "gameDate" in e.game
        ]
        if dates:
            return min(dates) - timedelta(minutes=30)
        return datetime.now().astimezone() - timedelta(minutes=30)


def _official_date(feed: Json) -> date:
    when = feed.get("gameData", {}).get("datetime", {})
    for key in ("officialDate", "originalDate"):
        if key in when:
            return date.fromisoformat(str(when[key]))
    return parse_iso(str(when["dateTime"])).date()


def _first_pitch(feed: Json) -> float | None:
    moment = first_pitch_instant(feed)
    if moment is not None:
        return moment
    when = feed.get("gameData", {}).get("datetime", {}).get("dateTime")
    return parse_iso(str(when)).timestamp() if when else None


def _postponed(game: Json) -> bool:
    return str(game.get("status", {}).get("codedGameState")) in {"D", "C"}


def derived_entry(feed: Json) -> ScheduleEntry:
    """A schedule entry for a game that only has a feed, built from its ``gameData``."""
    game_pk = int(feed["gamePk"])
    data = feed.get("gameData", {})
    game = data.get("game", {})
    when = data.get("datetime", {})
    teams: Json = {}
    for side in ("away", "home"):
        team = data.get("teams", {}).get(side, {})
        teams[side] = {"team": {k: team[k] for k in ("id", "name", "link") if k in team}}
    venue = data.get("venue", {})
    entry: Json = {
        "gamePk": game_pk,
        "link": f"/api/v1.1/game/{game_pk}/feed/live",
        "gameType": game.get("type"),
        "season": game.get("season"),
        "gameDate": when.get("dateTime"),
        "officialDate": _official_date(feed).isoformat(),
        "status": data.get("status", {}),
        "teams": teams,
        "venue": {k: venue[k] for k in ("id", "name", "link") if k in venue},
        "content": {"link": f"/api/v1/game/{game_pk}/content"},
        "gameNumber": game.get("gameNumber", 1),
        "doubleHeader": game.get("doubleHeader", "N"),
        "gamedayType": game.get("gamedayType"),
        "tiebreaker": game.get("tiebreaker"),
        "calendarEventID": game.get("calendarEventID"),
        "seasonDisplay": game.get("seasonDisplay"),
        "dayNight": when.get("dayNight"),
        "scheduledInnings": feed.get("liveData", {})
        .get("linescore", {})
        .get("scheduledInnings", 9),
    }
    entry = {k: v for k, v in entry.items() if v is not None}
    return ScheduleEntry(_official_date(feed), entry)
