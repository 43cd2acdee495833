"""Timecodes: the API's ``YYYYMMDD_HHMMSS`` version stamps, always UTC.

A timecode names one version of a game's feed (``metaData.timeStamp``) and is what
``feed/live?timecode=`` and ``diffPatch?startTimecode=`` take. It has second resolution and no
zone marker; the API means UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_FORMAT = "%Y%m%d_%H%M%S"
# strptime alone accepts "2024071_1" style short fields; the API always sends 8+6 digits.
_SHAPE = re.compile(r"\d{8}_\d{6}")


def parse_timecode(s: str) -> datetime:
    """The aware UTC instant of a timecode such as ``20240701_214404``.

    Raises ValueError with the offending text when ``s`` is not a timecode.
    """
    if not isinstance(s, str) or not _SHAPE.fullmatch(s):
        raise ValueError(f"not a timecode (want YYYYMMDD_HHMMSS): {s!r}")
    moment = timecode_instant(s)
    if moment is None:
        raise ValueError(f"not a valid date and time in timecode: {s!r}")
    return moment


def timecode_instant(s: object) -> datetime | None:
    """:func:`parse_timecode`, or None when ``s`` is not a timecode (for hot paths)."""
    if not isinstance(s, str) or not _SHAPE.fullmatch(s):
        return None
    # Sliced by hand: strptime costs more than the rest of a monitor event's handling.
    try:
        return datetime(
            int(s[0:4]),
            int(s[4:6]),
            int(s[6:8]),
            int(s[9:11]),
            int(s[11:13]),
            int(s[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def format_timecode(dt: datetime) -> str:
    """The timecode of an aware datetime (converted to UTC; sub-second part dropped)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"timecode needs a timezone-aware datetime, got naive {dt.isoformat()}")
    return dt.astimezone(UTC).strftime(_FORMAT)


def is_timecode(s: object) -> bool:
    """True when ``s`` is a well-formed timecode of a real date and time."""
    if not isinstance(s, str):
        return False
    try:
        parse_timecode(s)
    except ValueError:
        return False
    return True


def feed_timecode(feed: Mapping[str, Any]) -> str | None:
    """A raw feed's own version stamp, ``metaData.timeStamp`` (None when it has none)."""
    meta = feed.get("metaData")
    stamp = meta.get("timeStamp") if isinstance(meta, dict) else None
    return stamp if isinstance(stamp, str) else None
