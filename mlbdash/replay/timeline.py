"""A recorded game as a sequence of feed versions in (shifted) time.

A recorded final feed becomes a game that goes Scheduled, Pre-Game, Warmup, In Progress and
Final, with a new version at every pitch or event time recorded in its plays. Versions are
built on demand and share every unchanged part with the recorded feed, so a game costs a
list of small tuples plus a few cached versions, however many versions it has.
A game recorded only as live snapshots has one version per snapshot, served as recorded.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from mlbdash.mlb.dates import parse_iso
from mlbdash.mlb.timecode import format_timecode as to_timecode
from mlbdash.mlb.timecode import timecode_instant
from mlbdash.replay import derive
from mlbdash.replay.jsondiff import JsonOp, diff
from mlbdash.replay.timeutil import epoch, from_epoch, shift_times

Json = dict[str, Any]

# Status objects as they appear in the real v1/gameStatus list (other/gamestatus_all.json).
STATUS_SCHEDULED: Json = {
    "abstractGameState": "Preview",
    "codedGameState": "S",
    "detailedState": "Scheduled",
    "statusCode": "S",
    "startTimeTBD": False,
    "abstractGameCode": "P",
}
STATUS_PREGAME: Json = {
    "abstractGameState": "Preview",
    "codedGameState": "P",
    "detailedState": "Pre-Game",
    "statusCode": "P",
    "startTimeTBD": False,
    "abstractGameCode": "P",
}
STATUS_WARMUP: Json = {
    "abstractGameState": "Live",
    "codedGameState": "P",
    "detailedState": "Warmup",
    "statusCode": "PW",
    "startTimeTBD": False,
    "abstractGameCode": "L",
}
STATUS_IN_PROGRESS: Json = {
    "abstractGameState": "Live",
    "codedGameState": "I",
    "detailedState": "In Progress",
    "statusCode": "I",
    "startTimeTBD": False,
    "abstractGameCode": "L",
}

# How long before first pitch each pre-game state begins (typical of real timestamps lists).
SCHEDULED_LEAD = timedelta(hours=4)
PREGAME_LEAD = timedelta(minutes=90)
WARMUP_LEAD = timedelta(minutes=15)


class Phase(enum.IntEnum):
    SCHEDULED = 0
    PREGAME = 1
    WARMUP = 2
    LIVE = 3
    FINAL = 4


_PHASE_STATUS = {
    Phase.SCHEDULED: STATUS_SCHEDULED,
    Phase.PREGAME: STATUS_PREGAME,
    Phase.WARMUP: STATUS_WARMUP,
    Phase.LIVE: STATUS_IN_PROGRESS,
}


@dataclass(frozen=True, slots=True)
class Version:
    at: int
    """Epoch seconds of the version's timecode."""
    phase: Phase
    plays: int = 0
    """Plays in allPlays; the last one may be in progress."""
    events: int = 0
    """Events of the last play shown."""
    complete: bool = False
    """Whether the last play is complete."""


class Timeline(Protocol):
    """What the server needs from a game: versions by time, built and diffed on demand."""

    @property
    def times(self) -> Sequence[int]: ...

    def timecode(self, index: int) -> str: ...

    def build(self, index: int) -> Json: ...

    def diff_ops(self, index: int) -> list[JsonOp]:
        """Operations from version ``index`` to ``index + 1``; the first replaces the timeStamp."""
        ...

    def first_pitch(self) -> int: ...

    def status(self, index: int) -> Json:
        """``gameData.status`` of version ``index``, without building the version."""
        ...

    def linescore(self, index: int) -> Json:
        """``liveData.linescore`` of version ``index`` (cached; schedules ask for it often)."""
        ...


class Lru:
    """Values made on demand, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        try:
            self._items.move_to_end(key)
            return self._items[key]
        except KeyError:
            value = make()
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
            return value


def _timestamp_first(ops: list[JsonOp]) -> list[JsonOp]:
    # Real diffPatch blocks open with the timeStamp replace; it touches nothing else, so
    # moving it to the front keeps the block's meaning.
    for position, op in enumerate(ops):
        if op["path"] == "/metaData/timeStamp":
            if position:
                ops.insert(0, ops.pop(position))
            break
    return ops


def _instant(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_iso(text).timestamp()
    except ValueError:
        return None


def first_pitch_instant(feed: Json) -> float | None:
    """Epoch seconds of the first pitch recorded in ``feed``'s plays (else its first play)."""
    plays: list[Json] = feed.get("liveData", {}).get("plays", {}).get("allPlays", [])
    if not plays:
        return None
    for event in plays[0].get("playEvents", []):
        if event.get("isPitch"):
            moment = _instant(event.get("startTime"))
            if moment is not None:
                return moment
    return _instant(plays[0].get("about", {}).get("startTime"))


class FinalTimeline:
    """Versions of a game derived from its recorded final feed (already shifted in time)."""

    def __init__(self, final: Json, *, cache_size: int = 8) -> None:
        self.final = final
        self.versions: list[Version] = self._plan()
        self._times = [version.at for version in self.versions]
        self._built = Lru(cache_size)
        self._linescores = Lru(4096)
        # Diffs are small (new plays are shared, not copied): keep a whole game's worth, so
        # clones at every point of the game never rebuild versions to diff them.
        self._diffs = Lru(4096)

    @property
    def times(self) -> Sequence[int]:
        return self._times

    def timecode(self, index: int) -> str:
        return to_timecode(from_epoch(self._times[index]))

    def first_pitch(self) -> int:
        for version in self.versions:
            if version.phase is Phase.LIVE:
                return version.at
        return self.versions[-1].at

    def status(self, index: int) -> Json:
        phase = self.versions[index].phase
        if phase is Phase.FINAL:
            status: Json = self.final.get("gameData", {}).get("status", {})
            return status
        return _PHASE_STATUS[phase]

    def linescore(self, index: int) -> Json:
        line: Json = self._linescores.get(index, lambda: self._linescore(index))
        return line

    def _linescore(self, index: int) -> Json:
        version = self.versions[index]
        if version.phase is not Phase.LIVE:
            line: Json = self.build(index).get("liveData", {}).get("linescore", {})
            return line
        scheduled = self.final.get("liveData", {}).get("linescore", {}).get("scheduledInnings", 9)
        return derive.linescore(self._plays_at(version), int(scheduled))

    def _all_plays(self) -> list[Json]:
        plays: list[Json] = self.final.get("liveData", {}).get("plays", {}).get("allPlays", [])
        return plays

    def _plan(self) -> list[Version]:
        steps: list[tuple[float, int, int, bool]] = []
        # The first play's startTime can be long before the first pitch (it opens with the
        # pre-game status events): the game goes live at its first pitch.
        opening = first_pitch_instant(self.final)
        last = float("-inf") if opening is None else opening
        for number, play in enumerate(self._all_plays(), start=1):
            about = play.get("about", {})
            begin = _instant(about.get("startTime"))
            begin = last if begin is None else max(begin, last)
            events = play.get("playEvents", [])
            steps.append((begin, number, 0, False))
            for shown, event in enumerate(events, start=1):
                moment = _instant(event.get("startTime"))
                # Events recorded before their play began show when the play begins.
                begin = max(begin if moment is None else moment, begin)
                steps.append((begin, number, shown, False))
            done = _instant(about.get("endTime")) or _instant(play.get("playEndTime")) or begin
            begin = max(done, begin)
            steps.append((begin, number, len(events), True))
            last = begin
        final_at = self._final_time(last)
        # Steps recorded after the final timeStamp (a play's endTime a few ms later) fold into
        # the last live version, so the final version keeps the recorded timeStamp.
        steps = [
            (min(moment, final_at - 1), plays, shown, done) for moment, plays, shown, done in steps
        ]
        first_pitch = int(steps[0][0]) if steps else final_at - 3 * 3600
        versions = [
            Version(first_pitch - int(SCHEDULED_LEAD.total_seconds()), Phase.SCHEDULED),
            Version(first_pitch - int(PREGAME_LEAD.total_seconds()), Phase.PREGAME),
            Version(first_pitch - int(WARMUP_LEAD.total_seconds()), Phase.WARMUP),
        ]
        # One version per second: the last step within a second is what a poll would see.
        for moment, plays, events, complete in steps:
            second = max(int(moment), versions[-1].at)
            version = Version(second, Phase.LIVE, plays, events, complete)
            if second == versions[-1].at and versions[-1].phase is Phase.LIVE:
                versions[-1] = version
            elif second == versions[-1].at:
                versions.append(Version(second + 1, Phase.LIVE, plays, events, complete))
            else:
                versions.append(version)
        final_at = max(final_at, versions[-1].at + 1)
        versions.append(Version(final_at, Phase.FINAL))
        return versions

    def _final_time(self, last_step: float) -> int:
        stamp = timecode_instant(str(self.final.get("metaData", {}).get("timeStamp", "")))
        if stamp is not None:
            return epoch(stamp)
        return int(last_step) + 60

    def build(self, index: int) -> Json:
        built: Json = self._built.get(index, lambda: self._build(index))
        return built

    def diff_ops(self, index: int) -> list[JsonOp]:
        ops: list[JsonOp] = self._diffs.get(
            index, lambda: _timestamp_first(diff(self.build(index), self.build(index + 1)))
        )
        return ops

    def _build(self, index: int) -> Json:
        version = self.versions[index]
        if version.phase is Phase.FINAL:
            stamp = self.timecode(index)
            if self.final.get("metaData", {}).get("timeStamp") == stamp:
                return self.final
            # The last play ended after the recorded timeStamp: the final version comes a
            # second after it, and says so.
            return {
                **self.final,
                "metaData": {**self.final.get("metaData", {}), "timeStamp": stamp},
            }
        final = self.final
        meta = {
            "wait": final.get("metaData", {}).get("wait", 10),
            "timeStamp": self.timecode(index),
        }
        game_data = dict(final.get("gameData", {}))
        for key in ("moundVisits", "absChallenges", "review"):
            game_data.pop(key, None)
        flags = game_data.get("flags")
        if isinstance(flags, dict) and any(flags.values()):
            del game_data["flags"]
        info = game_data.get("gameInfo")
        if isinstance(info, dict):
            kept = {"firstPitch": info["firstPitch"]} if "firstPitch" in info else {}
            game_data["gameInfo"] = kept if version.phase is Phase.LIVE else {}
        live_final = final.get("liveData", {})
        scheduled = int(live_final.get("linescore", {}).get("scheduledInnings", 9))
        if version.phase is not Phase.LIVE:
            game_data["status"] = _PHASE_STATUS[version.phase]
            meta["gameEvents"] = []
            meta["logicalEvents"] = []
            live: Json = {
                "plays": {"allPlays": [], "scoringPlays": [], "playsByInning": []},
                "linescore": derive.pregame_linescore(scheduled),
                "boxscore": derive.boxscore(live_final.get("boxscore", {}), None),
            }
        else:
            game_data["status"] = STATUS_IN_PROGRESS
            plays = self._plays_at(version)
            last = plays[-1]
            if version.complete:
                event_type = last.get("result", {}).get("eventType")
            else:
                shown = last.get("playEvents", [])
                event_type = shown[-1].get("details", {}).get("eventType") if shown else None
            meta["gameEvents"] = [event_type] if event_type else []
            meta["logicalEvents"] = []
            line = derive.linescore(plays, scheduled)
            recorded_plays = live_final.get("plays", {})
            done = len(plays) if version.complete else len(plays) - 1
            live = {
                "plays": {
                    "allPlays": plays,
                    "currentPlay": last,
                    "scoringPlays": [
                        i for i in recorded_plays.get("scoringPlays", []) if int(i) < done
                    ],
                    "playsByInning": derive.plays_by_inning(
                        recorded_plays.get("playsByInning", []), plays
                    ),
                },
                "linescore": line,
                "boxscore": derive.boxscore(live_final.get("boxscore", {}), line),
            }
        doc: Json = {}
        for key, value in final.items():
            if key == "metaData":
                doc[key] = meta
            elif key == "gameData":
                doc[key] = game_data
            elif key == "liveData":
                doc[key] = live
            else:
                doc[key] = value
        return doc

    def _plays_at(self, version: Version) -> list[Json]:
        recorded = self._all_plays()
        plays = recorded[: version.plays]
        if version.complete:
            return plays
        previous = recorded[version.plays - 2] if version.plays >= 2 else None
        return [*plays[:-1], _partial_play(plays[-1], version.events, previous)]


def _partial_play(play: Json, shown: int, previous: Json | None) -> Json:
    """A play in progress: the first ``shown`` events, no result event or description yet."""
    events = play.get("playEvents", [])[:shown]
    last_event = len(play.get("playEvents", [])) - 1
    # Runner moves of the play-ending event come with the result; earlier ones (steals,
    # wild pitches) show as they happen.
    runners = [
        runner
        for runner in play.get("runners", [])
        if int(runner.get("details", {}).get("playIndex", last_event)) < min(shown, last_event)
    ]
    away, home = derive.play_scores({"playEvents": events, "result": play.get("result", {})})
    if not any("awayScore" in e.get("details", {}) for e in events) and previous is not None:
        away, home = derive.play_scores(previous)
    about = dict(play.get("about", {}))
    about.update(isComplete=False, isScoringPlay=False, hasOut=False, hasReview=False)
    if events:
        about["endTime"] = events[-1].get("endTime", events[-1].get("startTime"))
    about["captivatingIndex"] = 0
    if events:
        count = dict(events[-1].get("count", {}))
    else:
        outs = 0
        if (
            previous is not None
            and previous.get("about", {}).get("inning") == about.get("inning")
            and previous.get("about", {}).get("isTopInning") == about.get("isTopInning")
        ):
            outs = int(previous.get("count", {}).get("outs", 0))
        count = {"balls": 0, "strikes": 0, "outs": outs}
    matchup = {k: v for k, v in play.get("matchup", {}).items() if not k.startswith("postOn")}
    if previous is not None and int(previous.get("count", {}).get("outs", 0)) < 3:
        for key, value in previous.get("matchup", {}).items():
            if key.startswith("postOn"):
                matchup[key] = value
    out: Json = {}
    for key, value in play.items():
        if key == "result":
            out[key] = {
                "type": value.get("type", "atBat"),
                "awayScore": away,
                "homeScore": home,
                "rbi": 0,
                "isOut": False,
            }
        elif key == "about":
            out[key] = about
        elif key == "count":
            out[key] = count
        elif key == "matchup":
            out[key] = matchup
        elif key == "playEvents":
            out[key] = events
        elif key == "pitchIndex" or key == "actionIndex":
            out[key] = [i for i in value if int(i) < shown]
        elif key == "runnerIndex":
            out[key] = list(range(len(runners)))
        elif key == "runners":
            out[key] = runners
        elif key == "playEndTime":
            out[key] = about.get("endTime", value)
        else:
            out[key] = value
    return out


class RecordedTimeline:
    """A game known only from live snapshots: one version per snapshot, served as recorded."""

    def __init__(self, snapshots: Sequence[Json], *, cache_size: int = 8) -> None:
        dated = []
        for snapshot in snapshots:
            stamp = timecode_instant(str(snapshot.get("metaData", {}).get("timeStamp", "")))
            if stamp is not None:
                dated.append((epoch(stamp), snapshot))
        if not dated:
            raise ValueError("no snapshot has a metaData.timeStamp")
        dated.sort(key=lambda pair: pair[0])
        self._times = [moment for moment, _ in dated]
        self._snapshots = [snapshot for _, snapshot in dated]
        self._diffs = Lru(cache_size)

    @property
    def times(self) -> Sequence[int]:
        return self._times

    def timecode(self, index: int) -> str:
        return to_timecode(from_epoch(self._times[index]))

    def first_pitch(self) -> int:
        plays = self._snapshots[0].get("liveData", {}).get("plays", {}).get("allPlays", [])
        moment = _instant(plays[0].get("about", {}).get("startTime")) if plays else None
        return int(moment) if moment is not None else self._times[0]

    def build(self, index: int) -> Json:
        return self._snapshots[index]

    def status(self, index: int) -> Json:
        status: Json = self._snapshots[index].get("gameData", {}).get("status", {})
        return status

    def linescore(self, index: int) -> Json:
        line: Json = self._snapshots[index].get("liveData", {}).get("linescore", {})
        return line

    def diff_ops(self, index: int) -> list[JsonOp]:
        ops: list[JsonOp] = self._diffs.get(
            index,
            lambda: _timestamp_first(diff(self._snapshots[index], self._snapshots[index + 1])),
        )
        return ops


class ClonedTimeline:
    """A base game replayed under another gamePk, ``offset`` seconds later.

    The clone's gamePk, link, scheduled time and version timecodes are its own, and so is its
    league date when the offset is a day or more (``days``); the plays inside keep the base
    game's times (documented: clones exist to load-test the pipeline).
    """

    def __init__(self, base: Timeline, game_pk: int, offset: int, days: int = 0) -> None:
        self.base = base
        self.game_pk = game_pk
        self.offset = offset
        self.days = days
        self._times = [moment + offset for moment in base.times]

    @property
    def times(self) -> Sequence[int]:
        return self._times

    def timecode(self, index: int) -> str:
        return to_timecode(from_epoch(self._times[index]))

    def first_pitch(self) -> int:
        return self.base.first_pitch() + self.offset

    def status(self, index: int) -> Json:
        return self.base.status(index)

    def linescore(self, index: int) -> Json:
        return self.base.linescore(index)

    def build(self, index: int) -> Json:
        doc = dict(self.base.build(index))
        doc["gamePk"] = self.game_pk
        if "link" in doc:
            doc["link"] = f"/api/v1.1/game/{self.game_pk}/feed/live"
        meta = dict(doc.get("metaData", {}))
        meta["timeStamp"] = self.timecode(index)
        doc["metaData"] = meta
        game_data = dict(doc.get("gameData", {}))
        game = dict(game_data.get("game", {}))
        game["pk"] = self.game_pk
        game_data["game"] = game
        when = dict(game_data.get("datetime", {}))
        if "dateTime" in when:
            moment = parse_iso(str(when["dateTime"])) + timedelta(seconds=self.offset)
            when["dateTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.days:
            when = shift_times(when, timedelta(0), self.days)  # officialDate, originalDate
        game_data["datetime"] = when
        doc["gameData"] = game_data
        return doc

    def diff_ops(self, index: int) -> list[JsonOp]:
        ops = list(self.base.diff_ops(index))
        if ops and ops[0]["path"] == "/metaData/timeStamp":
            ops[0] = {
                "op": "replace",
                "path": "/metaData/timeStamp",
                "value": self.timecode(index + 1),
            }
        return ops
