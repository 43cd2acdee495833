"""Timecodes, ISO instants and shifting the times inside recorded documents."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mlbdash.mlb.dates import parse_iso
from mlbdash.mlb.timecode import format_timecode as to_timecode
from mlbdash.mlb.timecode import timecode_instant

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

# Keys whose values are instants or league dates in feeds and schedules; shifting a recorded
# game onto another day moves exactly these.
TIME_KEYS = frozenset(
    {
        "startTime",
        "endTime",
        "playEndTime",
        "dateTime",
        "firstPitch",
        "gameDate",
        "rescheduleDate",
        "rescheduleGameDate",
        "rescheduledFromDate",
        "rescheduledFrom",
        "resumeDate",
        "resumeGameDate",
        "resumedFrom",
        "resumedFromDate",
        "officialDate",
        "originalDate",
        "timeStamp",
    }
)


def to_iso(moment: datetime, *, millis: bool = False) -> str:
    moment = moment.astimezone(UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _shift_value(value: str, delta: timedelta, days: int) -> str:
    if _ISO.match(value):
        moment = parse_iso(value)
        return to_iso(moment + delta, millis="." in value)
    if _DATE.match(value):
        return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
    parsed = timecode_instant(value)
    if parsed is not None:
        return to_timecode(parsed + delta)
    return value


def shift_times(doc: Any, delta: timedelta, days: int) -> Any:
    """A copy of ``doc`` with instants moved by ``delta`` and league dates by ``days``.

    Only values under :data:`TIME_KEYS` that look like an instant, a date or a timecode move;
    everything else is shared with ``doc``. With no shift, ``doc`` itself is returned.
    """
    if not delta and not days:
        return doc
    return _shift(doc, delta, days)


def _shift(doc: Any, delta: timedelta, days: int) -> Any:
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key in TIME_KEYS and isinstance(value, str):
                out[key] = _shift_value(value, delta, days)
            elif isinstance(value, dict | list):
                out[key] = _shift(value, delta, days)
            else:
                out[key] = value
        return out
    if isinstance(doc, list):
        return [
            _shift(item, delta, days) if isinstance(item, dict | list) else item for item in doc
        ]
    return doc


def shift_feed(feed: Any, delta: timedelta, days: int) -> Any:
    """:func:`shift_times` for a live feed, walking only the parts that hold times.

    Players, boxscore and pitch data hold no instants, so they are shared, not walked.
    """
    if not delta and not days:
        return feed
    out = dict(feed)
    if isinstance(feed.get("metaData"), dict):
        out["metaData"] = _shift(feed["metaData"], delta, days)
    game_data = feed.get("gameData")
    if isinstance(game_data, dict):
        out["gameData"] = {
            key: _shift(value, delta, days) if key in ("datetime", "gameInfo") else value
            for key, value in game_data.items()
        }
    live = feed.get("liveData")
    if isinstance(live, dict) and isinstance(live.get("plays"), dict):
        plays = dict(live["plays"])
        plays["allPlays"] = [_shift_play(play, delta, days) for play in plays.get("allPlays", [])]
        if isinstance(plays.get("currentPlay"), dict):
            plays["currentPlay"] = _shift_play(plays["currentPlay"], delta, days)
        out["liveData"] = {**live, "plays": plays}
    return out


def _shift_play(play: Any, delta: timedelta, days: int) -> Any:
    if not isinstance(play, dict):
        return play
    out = dict(play)
    for key in ("playEndTime",):
        if isinstance(out.get(key), str):
            out[key] = _shift_value(out[key], delta, days)
    if isinstance(out.get("about"), dict):
        about = dict(out["about"])
        for key in ("startTime", "endTime"):
            if isinstance(about.get(key), str):
                about[key] = _shift_value(about[key], delta, days)
        out["about"] = about
    events = []
    for event in out.get("playEvents", []):
        if isinstance(event, dict) and ("startTime" in event or "endTime" in event):
            event = dict(event)
            for key in ("startTime", "endTime"):
                if isinstance(event.get(key), str):
                    event[key] = _shift_value(event[key], delta, days)
        events.append(event)
    if "playEvents" in out:
        out["playEvents"] = events
    return out
