"""Schema and drift findings from parsing a whole response through the domain models.

Uses ``mlbdash.mlb.drift``: a tolerant parse (wrong-typed values dropped and listed), the
fields the models do not know, and the needed fields that are absent. Needed fields missing
or mistyped are SCHEMA_MODEL errors; everything else is drift, summarised in one info finding
per response, never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import rules as R
from mlbdash.ingest.validator.consistency import FeedParts, as_dict
from mlbdash.mlb.drift import (
    FEED_REQUIRED,
    SCHEDULE_GAME_REQUIRED,
    DriftField,
    ShapeError,
    missing_fields,
    parse_tolerant,
    unknown_fields,
)
from mlbdash.mlb.feed import LiveFeed
from mlbdash.mlb.schedule import Schedule
from mlbdash.mlb.status import Lifecycle, classify_status

# Lifecycles in which a feed has a linescore, plays and a boxscore (FEED_REQUIRED applies).
_UNDER_WAY = frozenset(
    {
        Lifecycle.live,
        Lifecycle.delayed,
        Lifecycle.review,
        Lifecycle.suspended,
        Lifecycle.final,
    }
)
_LISTED = 8  # drifted fields named in one finding's message


def model_findings(kind: Literal["feed", "schedule"], body: Mapping[str, Any]) -> list[Finding]:
    if kind == "feed":
        return _feed(body)
    return _schedule(body)


def _feed(body: Mapping[str, Any]) -> list[Finding]:
    return feed_findings(body, FeedParts.of(body))


def feed_findings(body: Mapping[str, Any], parts: FeedParts) -> list[Finding]:
    """``model_findings`` of a feed whose parts the caller has already read."""
    return feed_model_check(body, parts).findings


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """A whole feed read through the models: its findings, and ``marks``, one per place where
    it differs from what the models read (``"<kind> <path>"``, paths generalised as in
    ``mlb.drift``; a top-level part every whole feed has and this one lacks is one too).
    Empty marks: the feed reads as expected."""

    findings: list[Finding]
    marks: frozenset[str]


# The parts of a whole feed besides ``copyright`` (which diffPatch's whole answer lacks).
_FEED_TOP = ("gamePk", "link", "metaData", "gameData", "liveData")


def feed_model_check(body: Mapping[str, Any], parts: FeedParts) -> ModelCheck:
    """One model parse of a whole feed: the findings of ``feed_findings`` and the marks."""
    absent = frozenset(f"missing /{key}" for key in _FEED_TOP if key not in body)
    try:
        parsed = parse_tolerant(LiveFeed, body)
    except ShapeError as exc:
        return ModelCheck([_shape(parts.game_pk, parts.timecode, str(exc))], absent | {"shape"})
    status = as_dict(as_dict(body.get("gameData")).get("status"))
    lifecycle = classify_status(
        _s(status.get("abstractGameState")),
        _s(status.get("codedGameState")),
        _s(status.get("statusCode")),
        _s(status.get("detailedState")),
    ).lifecycle
    required = FEED_REQUIRED if lifecycle in _UNDER_WAY else _PREGAME_REQUIRED
    missing = missing_fields(parsed.model, required)
    unknown = unknown_fields(parsed.model)
    findings = _findings(
        "feed", parts.game_pk, parts.timecode, required, missing, parsed.invalid, unknown
    )
    marks = {f"{f.kind} {f.path}" for f in (*missing, *parsed.invalid, *unknown)}
    return ModelCheck(findings, absent | marks)


# Before first pitch a feed has no runs or plays yet; these it must still have.
_PREGAME_REQUIRED = tuple(p for p in FEED_REQUIRED if not p.startswith("/liveData"))


def _schedule(body: Mapping[str, Any]) -> list[Finding]:
    try:
        parsed = parse_tolerant(Schedule, body)
    except ShapeError as exc:
        return [_shape(None, None, str(exc))]
    missing: list[DriftField] = []
    for day, game in parsed.model.games():
        where = "/dates/[]/games/[]" if day is not None else "/series/[]/games/[]"
        # Postseason games whose teams are not decided yet list no teams at all.
        required = SCHEDULE_GAME_REQUIRED
        teams = game.teams
        if teams is None or teams.away is None or teams.home is None:
            required = tuple(p for p in required if not p.startswith("/teams"))
        for field in missing_fields(game, required):
            missing.append(DriftField(f"{where}{field.path}", field.type_name, "missing"))
    required_all = tuple(
        f"{where}{p}"
        for where in ("/dates/[]/games/[]", "/series/[]/games/[]")
        for p in SCHEDULE_GAME_REQUIRED
    )
    return _findings(
        "schedule",
        None,
        None,
        required_all,
        _dedup(missing),
        parsed.invalid,
        unknown_fields(parsed.model),
    )


def _dedup(fields: list[DriftField]) -> list[DriftField]:
    return list({f.path: f for f in fields}.values())


def _findings(
    endpoint: str,
    game_pk: int | None,
    timecode: str | None,
    required: tuple[str, ...],
    missing: list[DriftField],
    invalid: list[DriftField],
    unknown: list[DriftField],
) -> list[Finding]:
    out: list[Finding] = []
    for field in missing:
        out.append(
            R.SCHEMA_MODEL.finding(
                game_pk=game_pk,
                timecode=timecode,
                path=field.path,
                expected="present",
                actual="missing",
                message=f"{endpoint}: needed field {field.path} is missing",
            )
        )
    drifted: list[DriftField] = []
    for field in invalid:
        if any(p == field.path or p.startswith(field.path + "/") for p in required):
            out.append(
                R.SCHEMA_MODEL.finding(
                    game_pk=game_pk,
                    timecode=timecode,
                    path=field.path,
                    expected="the type the models read",
                    actual=field.type_name,
                    message=f"{endpoint}: needed field {field.path} has the wrong type "
                    f"({field.type_name}): {field.detail}",
                )
            )
        else:
            drifted.append(field)
    drifted.extend(unknown)
    if drifted:
        names = ", ".join(f"{d.path} ({d.kind} {d.type_name})" for d in drifted[:_LISTED])
        more = f" and {len(drifted) - _LISTED} more" if len(drifted) > _LISTED else ""
        out.append(
            R.FIELDS_DRIFTED.finding(
                game_pk=game_pk,
                timecode=timecode,
                path="/",
                expected="fields the models know",
                actual=f"{len(drifted)} drifted",
                message=f"{endpoint}: {names}{more}",
            )
        )
    return out


def _shape(game_pk: int | None, timecode: str | None, reason: str) -> Finding:
    return R.SCHEMA_MODEL.finding(
        game_pk=game_pk,
        timecode=timecode,
        path="/",
        expected="the response shape the models read",
        actual="unparseable",
        message=reason,
    )


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_SETTLED = {
    "confirmed": (R.DRIFT_CONFIRMED, "served the same when fetched again: kept as served"),
    "replaced": (R.SERVED_COPY_REPLACED, "the server's copy differed: stored instead"),
    "unsettled": (R.SERVED_COPY_UNSETTLED, "no copy confirmed: the one first served is kept"),
}


def settled_finding(game_pk: int, timecode: str, outcome: str, marks: tuple[str, ...]) -> Finding:
    """What became of a whole feed that looked drifted (``GameFollower`` fetched it again):
    one finding per game and first drifted place, its occurrences counting the versions."""
    rule, said = _SETTLED[outcome]
    first = marks[0] if marks else "shape /"
    path = first.partition(" ")[2] or "/"
    names = ", ".join(marks[:_LISTED]) + (
        f" and {len(marks) - _LISTED} more" if len(marks) > _LISTED else ""
    )
    return rule.finding(
        game_pk=game_pk,
        timecode=timecode,
        path=path,
        expected="the server's own copy",
        actual=outcome,
        message=f"version {timecode} looked drifted ({names}): {said}",
    )
