"""The games table (latest known state of each game) and the game_states transition log."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime

import aiosqlite

from mlbdash.ingest.store.codec import iso, parse_iso, safe_texts, to_sql
from mlbdash.mlb.facts import UNKNOWN_TEAM, VersionFacts

# Columns a caller may set; the counters and timestamps below them belong to the store.
GAME_FIELDS: frozenset[str] = frozenset(
    {
        "game_type",
        "season",
        "away_team_id",
        "away_name",
        "away_abbrev",
        "home_team_id",
        "home_name",
        "home_abbrev",
        "venue",
        "state",
        "detailed_state",
        "abstract_game_state",
        "coded_game_state",
        "status_code",
        "status_reason",
        "away_score",
        "home_score",
        "inning",
        "inning_half",
        "outs",
        "done",
        "recheck_at",
        "history_before",
    }
)


@dataclass(frozen=True, slots=True)
class GameRecord:
    """One row of ``games``. ``state`` is a Lifecycle value; instants are aware UTC."""

    game_pk: int
    game_type: str | None
    season: str | None
    away_team_id: int | None
    away_name: str | None
    away_abbrev: str | None
    home_team_id: int | None
    home_name: str | None
    home_abbrev: str | None
    venue: str | None
    state: str | None
    detailed_state: str | None
    abstract_game_state: str | None
    coded_game_state: str | None
    status_code: str | None
    status_reason: str | None
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None
    outs: int | None
    last_timecode: str | None
    versions: int
    polls: int
    full_updates: int
    diff_updates: int
    last_poll_at: datetime | None
    last_success_at: datetime | None
    final_stored: bool
    final_stored_at: datetime | None
    done: bool
    recheck_at: datetime | None
    updated_at: datetime | None
    # Set for a game met mid-game (archived from this version on): the versions the server
    # lists before it are its history, fetched in the background until none is missing.
    history_before: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> GameRecord:
        values = safe_texts({name: row[name] for name in _RECORD_COLUMNS})
        for name in (
            "last_poll_at",
            "last_success_at",
            "final_stored_at",
            "recheck_at",
            "updated_at",
        ):
            values[name] = parse_iso(values[name])
        values["final_stored"] = bool(values["final_stored"])
        values["done"] = bool(values["done"])
        return cls(**values)


_RECORD_COLUMNS = tuple(f.name for f in fields(GameRecord))
_SELECT = f"SELECT {', '.join(_RECORD_COLUMNS)} FROM games"


def _checked(values: Mapping[str, object]) -> dict[str, object]:
    unknown = set(values) - GAME_FIELDS
    if unknown:
        raise ValueError(f"not settable game fields: {', '.join(sorted(unknown))}")
    return {name: to_sql(value) for name, value in values.items()}


async def upsert_game(
    conn: aiosqlite.Connection, game_pk: int, values: Mapping[str, object], *, now: datetime
) -> None:
    """Insert the game or update the given columns (others keep their value)."""
    cols = _checked(values)
    cols["updated_at"] = iso(now)
    names = list(cols)
    await conn.execute(
        f"INSERT INTO games (game_pk, {', '.join(names)}) VALUES (?{', ?' * len(names)}) "
        f"ON CONFLICT (game_pk) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in names),
        (game_pk, *cols.values()),
    )


def record_version(
    conn: sqlite3.Connection,
    game_pk: int,
    values: Mapping[str, object],
    *,
    timecode: str,
    kind: str,
    final: bool,
    now: datetime,
) -> None:
    """Upsert the game's columns and count one newly stored version, in one statement (on the
    connection's own thread: it is part of ``Store.store_version``'s one hand-off)."""
    cols = _checked(values)
    stamp = iso(now)
    full, diff = int(kind == "full"), int(kind == "diff")
    cols.update(
        versions=1,
        full_updates=full,
        diff_updates=diff,
        last_timecode=timecode,
        final_stored=int(final),
        final_stored_at=stamp if final else None,
        updated_at=stamp,
    )
    names = list(cols)
    counters = {"versions", "full_updates", "diff_updates"}
    # A version older than the newest stored (one filled in late) is counted, but the game's
    # state, score and last timecode stay those of the newest.
    newer = "games.last_timecode IS NULL OR excluded.last_timecode >= games.last_timecode"
    updates = [
        f"{n} = CASE WHEN {newer} THEN excluded.{n} ELSE games.{n} END"
        for n in names
        if n not in counters and not n.startswith("final_") and n != "last_timecode"
    ]
    updates.append(
        f"last_timecode = CASE WHEN {newer} THEN excluded.last_timecode "
        "ELSE games.last_timecode END"
    )
    updates += [f"{n} = {n} + excluded.{n}" for n in sorted(counters)]
    updates += [
        "final_stored = MAX(final_stored, excluded.final_stored)",
        "final_stored_at = COALESCE(excluded.final_stored_at, final_stored_at)",
    ]
    conn.execute(
        f"INSERT INTO games (game_pk, {', '.join(names)}) VALUES (?{', ?' * len(names)}) "
        f"ON CONFLICT (game_pk) DO UPDATE SET {', '.join(updates)}",
        (game_pk, *cols.values()),
    ).close()


async def record_replaced(
    conn: aiosqlite.Connection,
    game_pk: int,
    values: Mapping[str, object],
    *,
    timecode: str,
    was: str,
    now: datetime,
) -> None:
    """A stored version made whole again (``feeds.replace_version``): counted as a full
    update from now on, and, when it is the newest, the game's columns are its own."""
    if was == "diff":
        await conn.execute(
            "UPDATE games SET full_updates = full_updates + 1, diff_updates = diff_updates - 1 "
            "WHERE game_pk = ?",
            (game_pk,),
        )
    cols = _checked(values)
    cols["updated_at"] = iso(now)
    sets = ", ".join(f"{name} = ?" for name in cols)
    await conn.execute(
        f"UPDATE games SET {sets} WHERE game_pk = ? AND last_timecode = ?",
        (*cols.values(), game_pk, timecode),
    )


async def record_poll(
    conn: aiosqlite.Connection, game_pk: int, *, at: datetime, success: bool
) -> None:
    stamp = iso(at)
    await conn.execute(
        "INSERT INTO games (game_pk) VALUES (?) ON CONFLICT (game_pk) DO NOTHING", (game_pk,)
    )
    await conn.execute(
        """
        UPDATE games SET polls = polls + 1, last_poll_at = ?,
            last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END
        WHERE game_pk = ?
        """,
        (stamp, int(success), stamp, game_pk),
    )


async def record_state(
    conn: aiosqlite.Connection,
    game_pk: int,
    *,
    at: datetime,
    state: str,
    detailed_state: str | None,
    status_code: str | None,
    source: str,
) -> bool:
    """Log a transition; a repeat of the game's last logged status is skipped (returns False)."""
    cursor = await conn.execute(
        "SELECT state, detailed_state, status_code FROM game_states "
        "WHERE game_pk = ? ORDER BY id DESC LIMIT 1",
        (game_pk,),
    )
    last = await cursor.fetchone()
    await cursor.close()
    if last is not None and tuple(last) == (state, detailed_state, status_code):
        return False
    await conn.execute(
        "INSERT INTO game_states (game_pk, at, state, detailed_state, status_code, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (game_pk, iso(at), state, detailed_state, status_code, source),
    )
    return True


@dataclass(frozen=True, slots=True)
class StateRecord:
    """A status change to log (``record_state``) and the game's columns it sets."""

    game_pk: int
    state: str
    detailed_state: str | None
    status_code: str | None
    source: str
    fields: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class StateChange:
    at: datetime
    state: str
    detailed_state: str | None
    status_code: str | None
    source: str


async def state_history(conn: aiosqlite.Connection, game_pk: int) -> list[StateChange]:
    cursor = await conn.execute(
        "SELECT at, state, detailed_state, status_code, source FROM game_states "
        "WHERE game_pk = ? ORDER BY id",
        (game_pk,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [StateChange(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


async def get_game(conn: aiosqlite.Connection, game_pk: int) -> GameRecord | None:
    cursor = await conn.execute(f"{_SELECT} WHERE game_pk = ?", (game_pk,))
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else GameRecord.from_row(row)


async def list_games(conn: aiosqlite.Connection) -> list[GameRecord]:
    cursor = await conn.execute(f"{_SELECT} ORDER BY game_pk")
    rows = await cursor.fetchall()
    await cursor.close()
    return [GameRecord.from_row(row) for row in rows]


def game_fields(facts: VersionFacts) -> dict[str, object]:
    """The games-row columns a stored version sets, from its facts."""
    status = facts.status
    row: dict[str, object] = {
        "state": status.lifecycle.value,
        "detailed_state": status.detailed_state,
        "abstract_game_state": status.abstract,
        "coded_game_state": status.coded,
        "status_code": status.status_code,
        "status_reason": status.reason,
        "away_score": facts.away_score,
        "home_score": facts.home_score,
        "inning": facts.inning,
        "inning_half": facts.inning_half,
        "outs": facts.outs,
    }
    if facts.away != UNKNOWN_TEAM:
        row["away_abbrev"] = facts.away
    if facts.home != UNKNOWN_TEAM:
        row["home_abbrev"] = facts.home
    if facts.away_id is not None:
        row["away_team_id"] = facts.away_id
    if facts.home_id is not None:
        row["home_team_id"] = facts.home_id
    return row


async def add_polls(
    conn: aiosqlite.Connection, polls: Mapping[int, tuple[int, datetime, datetime | None]]
) -> None:
    """Count polls into the games rows: game_pk -> (polls, last poll at, last success at or
    None when none of them succeeded)."""
    await conn.executemany(
        "UPDATE games SET polls = polls + ?, last_poll_at = ?, "
        "last_success_at = COALESCE(?, last_success_at) WHERE game_pk = ?",
        [(n, iso(at), iso(ok) if ok else None, pk) for pk, (n, at, ok) in polls.items()],
    )
