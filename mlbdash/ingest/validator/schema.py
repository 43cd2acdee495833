"""Fast schema checks of the fields mlbdash reads, on every version of a feed.

These are the fields the store, the scheduler and the dashboard act on. They are checked by
hand on the raw dict (a few dozen lookups) rather than by re-parsing a 700 KB feed through the
models on every version; the full model parse runs on full fetches and Final versions
(see ``mlbdash.ingest.validator.service``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import rules as R
from mlbdash.ingest.validator.consistency import SIDES, FeedParts, as_dict
from mlbdash.mlb.timecode import is_timecode

_INT = "integer"
_STR = "string"
_OBJ = "object"
_LIST = "array"

# (path, type, required). Optional ones are checked for type only when present: a preview
# feed has no runs yet and an unplayed half inning has no "runs" key.
_FEED_FIELDS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (("gamePk",), _INT, True),
    (("metaData", "timeStamp"), _STR, True),
    (("gameData", "status", "abstractGameState"), _STR, True),
    (("gameData", "status", "codedGameState"), _STR, True),
    (("gameData", "status", "detailedState"), _STR, True),
    (("gameData", "status", "statusCode"), _STR, True),
    (("gameData", "teams", "away", "id"), _INT, True),
    (("gameData", "teams", "home", "id"), _INT, True),
    # Older feeds (2021) have only originalDate: officialDate is optional.
    (("gameData", "datetime", "officialDate"), _STR, False),
    (("liveData",), _OBJ, True),
    (("liveData", "linescore"), _OBJ, False),
    (("liveData", "linescore", "currentInning"), _INT, False),
    (("liveData", "linescore", "inningHalf"), _STR, False),
    (("liveData", "linescore", "outs"), _INT, False),
    (("liveData", "linescore", "balls"), _INT, False),
    (("liveData", "linescore", "strikes"), _INT, False),
    (("liveData", "linescore", "innings"), _LIST, False),
    *(
        (("liveData", "linescore", "teams", side, stat), _INT, False)
        for side in SIDES
        for stat in ("runs", "hits", "errors")
    ),
    (("liveData", "plays", "allPlays"), _LIST, False),
)

_MISSING = object()


def _type_ok(value: Any, kind: str) -> bool:
    # Exact type checks first (parsed JSON holds only these): the ABC checks cost far more.
    if kind == _INT:
        return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
    if kind == _STR:
        return type(value) is str or isinstance(value, str)
    if kind == _OBJ:
        return type(value) is dict or isinstance(value, Mapping)
    return type(value) is list or isinstance(value, list)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def check_feed_fields(feed: Mapping[str, Any], parts: FeedParts | None = None) -> list[Finding]:
    """SCHEMA_INVALID for each needed field that is missing or mistyped."""
    parts = parts if parts is not None else FeedParts.of(feed)
    return list(_fields(feed, parts))


def _fields(feed: Mapping[str, Any], parts: FeedParts) -> Iterator[Finding]:
    for keys, kind, required in _FEED_FIELDS:
        node: Any = feed
        for key in keys:
            if type(node) is dict or isinstance(node, Mapping):
                node = node.get(key, _MISSING)
            else:
                node = _MISSING
            if node is _MISSING:
                break
        path = "/" + "/".join(keys)
        if node is _MISSING:
            if required:
                yield R.SCHEMA_INVALID.finding(
                    game_pk=parts.game_pk,
                    timecode=parts.timecode,
                    path=path,
                    expected=kind,
                    actual="missing",
                    message=f"{path} is missing",
                )
            continue
        if not _type_ok(node, kind):
            yield R.SCHEMA_INVALID.finding(
                game_pk=parts.game_pk,
                timecode=parts.timecode,
                path=path,
                expected=kind,
                actual=_type_name(node),
                message=f"{path} is {_type_name(node)}, not {kind}",
            )
        elif keys == ("metaData", "timeStamp") and not is_timecode(node):
            yield R.SCHEMA_INVALID.finding(
                game_pk=parts.game_pk,
                timecode=None,
                path=path,
                expected="YYYYMMDD_HHMMSS",
                actual=node,
                message=f"{path} {node!r} is not a timecode",
            )


def feed_status(feed: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_dict(as_dict(feed.get("gameData")).get("status"))
