"""The archive audit: a game's stored versions against the server's ``timestamps`` list.

Per game: versions the server lists after the first stored one but the archive lacks
(``missing``), stored versions the server does not list (``extra``), diff versions logged after
a newer version (``out_of_order``: their ops were made for another base), versions that do not
rebuild to themselves (``unreadable``), and a game marked final stored whose stored versions
hold no Final (``final``). A game met mid-game is archived from the present first and its
earlier versions are fetched in the background (``history_before``: the version it was met
at): until they are all stored they are a gap of their own (``history``, "history: N earlier
versions not yet archived"). Other versions before the first stored one (a game met already
over keeps its final only) are counted apart (``not_archived``), by design.

``mlbdash db audit`` and ingest (once a game is Final and stored) run the same comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.store import Store
from mlbdash.ingest.store.feeds import LoggedVersion

AUDIT_RULE = "VERSION_GAP"
"""The rule of the finding a game with audit gaps gets (one per game, naming the timecodes;
registered with the validator's rules as ``VERSION_GAP``)."""


@dataclass(frozen=True, slots=True)
class GameAudit:
    game_pk: int
    server: int  # versions the server lists
    stored: int
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    out_of_order: tuple[str, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()  # (timecode, why)
    final: str | None = None  # what is wrong with the stored Final
    not_archived: int = 0  # listed before the first stored version
    archived_from: str | None = None  # the first stored version, when earlier ones are not
    history: tuple[str, ...] = ()  # listed before history_before and not stored yet
    error: str | None = None  # the server could not be asked: nothing was compared

    @property
    def gaps(self) -> int:
        """Problems found (an unasked server counts as one: the game is not shown complete)."""
        return (
            len(self.missing)
            + len(self.extra)
            + len(self.out_of_order)
            + len(self.unreadable)
            + len(self.history)
            + (self.final is not None)
            + (self.error is not None)
        )

    @property
    def clean(self) -> bool:
        return self.gaps == 0

    def describe(self, limit: int = 5) -> str:
        """One line: what is wrong, naming the first timecodes of each kind."""
        if self.error is not None:
            return f"not audited: {self.error}"
        parts = []
        if self.history:
            span = self.history[0]
            if len(self.history) > 1:
                span = f"{span} to {self.history[-1]}"
            parts.append(f"history: {len(self.history)} earlier versions not yet archived ({span})")
        for name, codes in (
            ("missing", self.missing),
            ("extra", self.extra),
            ("out of order", self.out_of_order),
            ("unreadable", tuple(t for t, _ in self.unreadable)),
        ):
            if codes:
                more = f" and {len(codes) - limit} more" if len(codes) > limit else ""
                parts.append(f"{len(codes)} {name} ({', '.join(codes[:limit])}{more})")
        if self.final is not None:
            parts.append(self.final)
        if not parts:
            parts.append(
                f"complete from {self.archived_from} on" if self.not_archived else "complete"
            )
        if self.not_archived:
            # By design, not a gap: a game met mid-game is archived from then on.
            parts.append(f"{self.not_archived} earlier versions not archived (met mid-game)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "game_pk": self.game_pk,
            "server": self.server,
            "stored": self.stored,
            "missing": list(self.missing),
            "extra": list(self.extra),
            "out_of_order": list(self.out_of_order),
            "unreadable": [{"timecode": t, "reason": r} for t, r in self.unreadable],
            "final": self.final,
            "not_archived": self.not_archived,
            "archived_from": self.archived_from,
            "history": list(self.history),
            "error": self.error,
            "gaps": self.gaps,
        }


def compare_versions(
    game_pk: int,
    server: Sequence[str],
    log: Sequence[LoggedVersion],
    *,
    final_stored: bool,
    from_start: bool = False,
    up_to_newest: bool = False,
    history_before: str | None = None,
) -> GameAudit:
    """The audit of one game from the server's list and the stored log (pure).

    ``from_start``: the game is archived from the server's first version, so every listed
    version belongs in the archive (else from the first stored one on). ``up_to_newest``:
    versions listed after the newest stored one are not gaps (ingest's view while it follows
    the game: the next poll takes them). ``history_before``: the game was met mid-game at
    this version; every listed version before it belongs in the archive and the ones not
    stored yet are its ``history`` (fetched in the background), not ``missing``.
    """
    stored = {v.timecode for v in log}
    listed = set(server)
    first = min(stored) if stored else None
    if (from_start or history_before is not None) and server:
        first = min(server[0], first) if first is not None else server[0]
    last = max(stored) if stored and up_to_newest else None
    history = tuple(
        t for t in server if history_before is not None and t < history_before and t not in stored
    )
    missing = tuple(
        t
        for t in server
        if first is not None
        and t >= first
        and t not in stored
        and (last is None or t < last)
        and (history_before is None or t >= history_before)
    )
    not_archived = sum(1 for t in server if first is None or t < first)
    extra = tuple(v.timecode for v in log if v.timecode not in listed)
    out_of_order = [v.timecode for v in log if v.out_of_order]
    unreadable = tuple((v.timecode, v.problem) for v in log if v.problem is not None)
    final = None
    if final_stored and not any(v.final and v.problem is None for v in log):
        final = "marked final stored, but no stored version is a readable Final"
    return GameAudit(
        game_pk=game_pk,
        server=len(server),
        stored=len(log),
        missing=missing,
        extra=extra,
        out_of_order=tuple(out_of_order),
        unreadable=unreadable,
        final=final,
        not_archived=not_archived,
        archived_from=first if not_archived and stored else None,
        history=history,
    )


async def audit_game(
    store: Store,
    client: MlbApiClient,
    game_pk: int,
    *,
    final_stored: bool | None = None,
    server: Sequence[str] | None = None,
) -> GameAudit:
    """Ask the server for the game's ``timestamps`` (unless given) and compare."""
    if server is None:
        try:
            server = await client.timestamps(game_pk)
        except ApiError as exc:
            return GameAudit(game_pk, 0, 0, error=f"timestamps: {exc.reason}")
    record = await store.get_game(game_pk)
    if final_stored is None:
        final_stored = bool(record and record.final_stored)
    log = await store.version_log(game_pk)
    return compare_versions(
        game_pk,
        server,
        log,
        final_stored=final_stored,
        history_before=record.history_before if record else None,
    )


@dataclass(frozen=True, slots=True)
class AuditReport:
    games: tuple[GameAudit, ...] = field(default_factory=tuple)

    @property
    def gaps(self) -> int:
        return sum(g.gaps for g in self.games)

    @property
    def not_archived(self) -> int:
        """Versions listed before their game's first stored one (games met mid-game)."""
        return sum(g.not_archived for g in self.games)

    def as_dict(self) -> dict[str, Any]:
        return {
            "games": [g.as_dict() for g in self.games],
            "gaps": self.gaps,
            "complete": self.gaps == 0,
            "not_archived": self.not_archived,
            "games_met_mid_game": sum(1 for g in self.games if g.not_archived),
        }
