"""Loading a directory of recorded MLB API responses (laid out like tests/fixtures/).

``schedule/``, ``feed/``, ``diffpatch/``, ``timestamps/`` and ``other/`` are read, each file
``.json`` or ``.json.gz``; anything else (``boxscore/``, ``linescore/``, unknown files) is
skipped. Feeds are told apart by content: a feed whose status is Final is the game's final
feed, any other feed is a live snapshot. Files that are not valid JSON are skipped and listed
in ``RecordedData.skipped``.

A game whose folder holds every version its ``timestamps/`` file lists, the first as a whole
feed and each later one as a whole feed (``feed/``) or as the diffPatch answer from the version
before it (``diffpatch/``), is an archive of exact versions (what ``mlbdash archive export``
writes): it is kept in ``RecordedData.exact`` and replayed as stored, not re-derived.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mlbdash.errors import UsageError
from mlbdash.replay.exact import StoredVersion, check_versions, compact

Json = dict[str, Any]

# The end of ``..._to_...`` is HHMMSS on the start's day, or a whole YYYYMMDD_HHMMSS (a game
# crosses midnight UTC most nights).
_DIFFPATCH_NAME = re.compile(
    r"diffpatch_(\d+)_(?:from_)?((\d{8})_\d{6})(?:_to_(?:(\d{8})_)?(\d{6}))?"
)
_TIMESTAMPS_NAME = re.compile(r"timestamps_(\d+)")
# Order of a schedule entry's states, to keep the most advanced one of duplicates.
_STATE_RANK = {"Preview": 0, "Live": 1, "Final": 2}


@dataclass(frozen=True)
class ScheduleEntry:
    """One game as a real schedule listed it, under the date it was listed on."""

    listed_on: date
    game: Json


@dataclass
class RecordedData:
    finals: dict[int, Json] = field(default_factory=dict)
    snapshots: dict[int, list[Json]] = field(default_factory=dict)
    diffpatches: dict[int, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    """gamePk -> startTimecode -> (timecode it leads to, the recorded answer: a list of blocks).

    The timecode it leads to comes from the file name (``..._to_HHMMSS``), else from the
    answer's last ``replace /metaData/timeStamp``; the start timecode when neither says.
    """
    timestamps: dict[int, list[str]] = field(default_factory=dict)
    schedule: list[ScheduleEntry] = field(default_factory=list)
    game_statuses: list[Json] | None = None
    teams: list[Json] = field(default_factory=list)
    """Each a recorded v1/teams answer."""
    copyright: str | None = None
    schedule_copyright: str | None = None
    """The copyright line of the recorded schedule answers, which schedules are served with."""
    skipped: list[str] = field(default_factory=list)
    exact: dict[int, list[StoredVersion]] = field(default_factory=dict)
    """gamePk -> every stored version, in order, for games recorded as exact versions."""


def read_json(path: Path) -> Any:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return json.loads(raw.decode("utf-8-sig"))


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and (path.name.endswith(".json") or path.name.endswith(".json.gz"))
    )


def load_data(root: Path | str) -> RecordedData:
    """Read every usable recording under ``root``; a missing or empty root is a UsageError."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"--data {root}: not a directory")
    data = RecordedData()
    for path in _files(root / "timestamps"):
        doc = _read(path, data)
        match = _TIMESTAMPS_NAME.match(path.name)
        if isinstance(doc, list) and match:
            data.timestamps[int(match.group(1))] = [str(code) for code in doc]
    # Feeds at a listed timecode may be versions of an exact archive: kept as compact JSON
    # (a parsed feed takes several times its size) until the game's versions are assembled.
    whole: dict[int, dict[str, bytes]] = {}
    for path in _files(root / "feed"):
        doc = _read(path, data)
        if isinstance(doc, dict) and "gamePk" in doc and "gameData" in doc:
            game_pk = int(doc["gamePk"])
            stamp = str(doc.get("metaData", {}).get("timeStamp", ""))
            if stamp in data.timestamps.get(game_pk, ()):
                whole.setdefault(game_pk, {})[stamp] = compact(doc)
            else:
                _add_feed(data, doc)
    for path in _files(root / "diffpatch"):
        doc = _read(path, data)
        match = _DIFFPATCH_NAME.match(path.name)
        if isinstance(doc, list) and doc and match:
            start = match.group(2)
            end = None
            if match.group(5):
                end = f"{match.group(4) or match.group(3)}_{match.group(5)}"
            end = end or _last_stamp(doc)
            data.diffpatches.setdefault(int(match.group(1)), {})[start] = (end or start, doc)
    for game_pk, feeds in whole.items():
        versions = _exact_versions(game_pk, data, feeds)
        if versions is not None:
            data.exact[game_pk] = versions
            data.diffpatches.pop(game_pk, None)
        else:
            for raw in feeds.values():
                _add_feed(data, json.loads(raw))
    for path in _files(root / "schedule"):
        doc = _read(path, data)
        if isinstance(doc, dict) and isinstance(doc.get("dates"), list):
            _add_schedule(data, doc)
    for path in _files(root / "other"):
        if path.name.startswith("gamestatus"):
            doc = _read(path, data)
            if isinstance(doc, list):
                data.game_statuses = doc
        elif path.name.startswith("teams"):
            doc = _read(path, data)
            if isinstance(doc, dict) and isinstance(doc.get("teams"), list):
                data.teams.append(doc)
    if not data.finals and not data.snapshots and not data.exact and not data.schedule:
        raise UsageError(f"--data {root}: no feed/ or schedule/ recordings found")
    _dedupe_schedule(data)
    return data


def _read(path: Path, data: RecordedData) -> Any:
    try:
        doc = read_json(path)
    except (OSError, ValueError, EOFError):
        data.skipped.append(str(path))
        return None
    if isinstance(doc, dict) and data.copyright is None and "copyright" in doc:
        data.copyright = str(doc["copyright"])
    return doc


def _exact_versions(
    game_pk: int, data: RecordedData, feeds: dict[str, bytes]
) -> list[StoredVersion] | None:
    """Every version the game's timestamps list, if the folder holds each of them."""
    patches = data.diffpatches.get(game_pk, {})
    versions: list[StoredVersion] = []
    previous: str | None = None
    for timecode in data.timestamps.get(game_pk, []):
        feed = feeds.get(timecode)
        if feed is not None:
            versions.append(StoredVersion(timecode, feed=feed))
        else:
            patch = patches.get(previous) if previous is not None else None
            if patch is None or patch[0] != timecode:
                return None
            versions.append(StoredVersion(timecode, blocks=patch[1]))
        previous = timecode
    try:
        check_versions(game_pk, versions)
    except ValueError:
        return None
    return versions


def _last_stamp(blocks: list[Any]) -> str | None:
    for block in reversed(blocks):
        for op in block.get("diff", []) if isinstance(block, dict) else []:
            if isinstance(op, dict) and op.get("path") == "/metaData/timeStamp":
                return str(op.get("value"))
    return None


def _add_feed(data: RecordedData, doc: Json) -> None:
    game_pk = int(doc["gamePk"])
    state = doc.get("gameData", {}).get("status", {}).get("abstractGameState")
    plays = doc.get("liveData", {}).get("plays", {}).get("allPlays", [])
    if state == "Final" and plays:
        stamp = str(doc.get("metaData", {}).get("timeStamp", ""))
        known = data.finals.get(game_pk)
        if known is None or stamp > str(known.get("metaData", {}).get("timeStamp", "")):
            data.finals[game_pk] = doc
    else:
        data.snapshots.setdefault(game_pk, []).append(doc)


def _add_schedule(data: RecordedData, doc: Json) -> None:
    if "copyright" in doc:
        data.schedule_copyright = str(doc["copyright"])
    for day in doc["dates"]:
        try:
            listed_on = date.fromisoformat(str(day.get("date")))
        except ValueError:
            continue
        for game in day.get("games", []):
            if isinstance(game, dict) and "gamePk" in game:
                data.schedule.append(ScheduleEntry(listed_on, game))


def _dedupe_schedule(data: RecordedData) -> None:
    # The same game on the same date in two recordings (before and after): keep the later state.
    best: dict[tuple[int, date], ScheduleEntry] = {}
    for entry in data.schedule:
        key = (int(entry.game["gamePk"]), entry.listed_on)
        known = best.get(key)
        if known is None or _rank(entry) > _rank(known):
            best[key] = entry
    data.schedule = sorted(
        best.values(), key=lambda e: (e.listed_on, str(e.game.get("gameDate")), e.game["gamePk"])
    )


def _rank(entry: ScheduleEntry) -> int:
    return _STATE_RANK.get(str(entry.game.get("status", {}).get("abstractGameState")), -1)


def archived_data(schedule: Json | None, games: dict[int, list[StoredVersion]]) -> RecordedData:
    """RecordedData for an archive's league date held in memory (``replay serve --db``): the
    same data ``load_data`` reads from the folder ``mlbdash archive export`` writes of it."""
    data = RecordedData()
    for game_pk, versions in games.items():
        if versions:
            data.exact[game_pk] = list(versions)
            data.timestamps[game_pk] = [version.timecode for version in versions]
    # The copyright line load_data would take: the first whole feed, in file name order.
    named = sorted(
        (f"feed_{game_pk}_{version.timecode}", version.feed)
        for game_pk, versions in data.exact.items()
        for version in versions
        if version.feed is not None
    )
    for _, feed in named:
        doc = json.loads(feed)
        if isinstance(doc, dict) and "copyright" in doc:
            data.copyright = str(doc["copyright"])
            break
    if schedule is not None:
        if data.copyright is None and "copyright" in schedule:
            data.copyright = str(schedule["copyright"])
        _add_schedule(data, schedule)
    if not data.exact and not data.schedule:
        raise UsageError("the archive holds no schedule and no versions for that date")
    _dedupe_schedule(data)
    return data
