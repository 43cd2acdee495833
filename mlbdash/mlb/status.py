"""Game status: the MLB's 201 real statuses mapped onto mlbdash's lifecycle.

A status has four codes: ``abstractGameState`` (Preview, Live, Final, Other),
``codedGameState`` (one letter), ``statusCode`` (one or two letters, unique) and
``detailedState`` ("Delayed: Rain"), plus an optional ``reason``. The abstract state alone
misleads: a suspended game is Live-abstract, a postponed or cancelled one Final-abstract, and
a warmup Live-abstract though no pitch has been thrown. So the lifecycle is read from the full
list the API serves at ``/api/v1/gameStatus`` (bundled as ``data/gamestatus.json.gz``, copied
from a real response on 2025-08-27), entry by entry, by its coded state and detailed state.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Protocol


class Lifecycle(StrEnum):
    """Where a game is, in the terms the scheduler and the dashboard act on.

    ``delayed_start`` is kept apart from ``delayed``: the first is a game that has not begun
    (Preview-abstract, no plays, lineups may still change), the second a game stopped in the
    middle with a live linescore. Both reviews (manager challenge, umpire review, instant
    replay, the 2026 pitch challenges) share ``review``; the detail stays in ``detailed_state``.
    """

    scheduled = "scheduled"
    pregame = "pregame"
    delayed_start = "delayed_start"
    warmup = "warmup"
    live = "live"
    delayed = "delayed"
    review = "review"
    suspended = "suspended"
    final = "final"
    postponed = "postponed"
    cancelled = "cancelled"
    forfeit = "forfeit"
    unknown = "unknown"


_PREGAME = frozenset({Lifecycle.scheduled, Lifecycle.pregame, Lifecycle.delayed_start})
_LIVE = frozenset({Lifecycle.warmup, Lifecycle.live, Lifecycle.delayed, Lifecycle.review})
_TERMINAL = frozenset(
    {Lifecycle.final, Lifecycle.postponed, Lifecycle.cancelled, Lifecycle.forfeit}
)


def is_pregame(lifecycle: Lifecycle) -> bool:
    """Not begun yet: scheduled, pre-game or a delayed start."""
    return lifecycle in _PREGAME


def is_live(lifecycle: Lifecycle) -> bool:
    """Under way and changing fast: warmup, in progress, delayed mid-game or under review.

    A suspended game is not live (nothing happens until it resumes, often another day) even
    though the API calls it Live.
    """
    return lifecycle in _LIVE


_PLAYED_OUT = frozenset({Lifecycle.final, Lifecycle.forfeit})


def is_final(lifecycle: Lifecycle) -> bool:
    """A played game that is over and counted: Final (Game Over, Completed Early ...) or a
    forfeit. Not a postponed or cancelled game, though MLB calls those Final-abstract too."""
    return lifecycle in _PLAYED_OUT


def is_terminal(lifecycle: Lifecycle) -> bool:
    """Nothing more happens under this schedule entry: final, postponed, cancelled, forfeit.

    A postponed game is played later under the same gamePk on its ``rescheduleDate``; that new
    date is a new schedule entry, found through the schedule, not by polling this one.
    """
    return lifecycle in _TERMINAL


def abstract_final(abstract_game_state: object) -> bool:
    """``abstractGameState`` says Final: played-out games, and postponed or cancelled ones too
    (nothing more comes under this status, so the archive closes the version and the validator
    holds the game to its final totals)."""
    return abstract_game_state == "Final"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """A status as received plus its lifecycle.

    ``known`` is False when the status code is not in the MLB's published list: a finding to
    report. The lifecycle is then still inferred where the coded state has one meaning in the
    list (every ``D`` is postponed), else it is ``unknown``.
    """

    lifecycle: Lifecycle
    known: bool
    abstract: str | None
    coded: str | None
    status_code: str | None
    detailed_state: str | None
    reason: str | None = None


class GameStatusLike(Protocol):
    """What the feed's and the schedule's ``status`` objects have in common."""

    @property
    def abstract_game_state(self) -> str | None: ...
    @property
    def coded_game_state(self) -> str | None: ...
    @property
    def status_code(self) -> str | None: ...
    @property
    def detailed_state(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...


_BY_CODED: Mapping[str, Lifecycle] = {
    "S": Lifecycle.scheduled,
    "M": Lifecycle.review,  # manager (and 2026 player) challenge
    "N": Lifecycle.review,  # umpire review
    "T": Lifecycle.suspended,
    "U": Lifecycle.suspended,
    "F": Lifecycle.final,  # includes Completed Early and Final: Tied
    "O": Lifecycle.final,  # Game Over, before the scorer makes it Final
    "D": Lifecycle.postponed,
    "C": Lifecycle.cancelled,
    "Q": Lifecycle.forfeit,
    "R": Lifecycle.forfeit,
}


def lifecycle_of_entry(abstract: str, coded: str, status_code: str, detailed: str) -> Lifecycle:
    """The lifecycle of one entry of the published status list.

    The coded state says what kind of status it is; inside ``P`` and ``I``, which the MLB
    overloads, the status code and the detailed state tell pregame from warmup from a delayed
    start, and play from a delay from an instant replay.
    """
    if abstract == "Other":  # X "Unknown" and W "Writing": no game-state meaning
        return Lifecycle.unknown
    if coded == "P":
        if status_code == "PW":
            return Lifecycle.warmup
        if detailed.startswith("Delayed Start"):
            return Lifecycle.delayed_start
        return Lifecycle.pregame
    if coded == "I":
        if status_code == "IH" or detailed == "Instant Replay":
            return Lifecycle.review
        if detailed.startswith("Delayed"):
            return Lifecycle.delayed
        return Lifecycle.live
    return _BY_CODED.get(coded, Lifecycle.unknown)


@dataclass(frozen=True, slots=True)
class _Table:
    by_status_code: Mapping[str, Lifecycle]
    # Coded states whose every listed entry has the same lifecycle: safe to infer from.
    unambiguous_coded: Mapping[str, Lifecycle]


def status_list() -> list[dict[str, str]]:
    """The MLB's published status list as bundled (201 entries), read on first use."""
    return list(_load_list())


@cache
def _load_list() -> tuple[dict[str, str], ...]:
    blob = resources.files("mlbdash.mlb").joinpath("data", "gamestatus.json.gz").read_bytes()
    return tuple(json.loads(gzip.decompress(blob)))


@cache
def _table() -> _Table:
    by_code: dict[str, Lifecycle] = {}
    by_coded: dict[str, set[Lifecycle]] = {}
    for entry in _load_list():
        lifecycle = lifecycle_of_entry(
            entry["abstractGameState"],
            entry["codedGameState"],
            entry["statusCode"],
            entry["detailedState"],
        )
        by_code[entry["statusCode"]] = lifecycle
        by_coded.setdefault(entry["codedGameState"], set()).add(lifecycle)
    unambiguous = {
        coded: next(iter(found))
        for coded, found in by_coded.items()
        if len(found) == 1 and Lifecycle.unknown not in found
    }
    return _Table(by_status_code=by_code, unambiguous_coded=unambiguous)


def classify_status(
    abstract_game_state: str | None,
    coded_game_state: str | None,
    status_code: str | None,
    detailed_state: str | None,
    reason: str | None = None,
) -> StatusInfo:
    """The lifecycle of a status as the API sent it. Never raises; see StatusInfo.known."""
    table = _table()
    lifecycle = table.by_status_code.get(status_code) if status_code else None
    known = lifecycle is not None
    if lifecycle is None:
        lifecycle = table.unambiguous_coded.get(coded_game_state or "", Lifecycle.unknown)
    return StatusInfo(
        lifecycle=lifecycle,
        known=known,
        abstract=abstract_game_state,
        coded=coded_game_state,
        status_code=status_code,
        detailed_state=detailed_state,
        reason=reason,
    )


def classify_game_status(status: GameStatusLike | None) -> StatusInfo:
    """classify_status for a parsed ``status`` model; a missing status is unknown."""
    if status is None:
        return classify_status(None, None, None, None)
    return classify_status(
        status.abstract_game_state,
        status.coded_game_state,
        status.status_code,
        status.detailed_state,
        status.reason,
    )
