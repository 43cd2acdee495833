"""Schedule rows per (gamePk, league date), raw schedule snapshots, and coverage per date."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime

import aiosqlite

from mlbdash.ingest.store.codec import gzip_bytes, iso, safe_texts, to_sql

# codedGameState of a game that will not be played on this date (postponed, cancelled).
NOT_PLAYED_CODES = ("D", "C")


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """A game as one schedule date lists it.

    ``official_date`` is the league date the schedule lists the game under (``dates[].date``),
    not the game's own ``officialDate``: a postponed game's ``officialDate`` already names its
    makeup date (seen in real data), so keying on it would merge the two rows. Reschedule and
    resume fields are kept as the API sent them.
    """

    game_pk: int
    official_date: date
    game_date: datetime | None = None  # UTC first pitch (gameDate)
    game_official_date: date | None = None  # the game's own officialDate
    game_type: str | None = None
    game_number: int | None = None
    double_header: str | None = None  # N, Y (traditional), S (split)
    start_time_tbd: bool | None = None
    status_code: str | None = None
    coded_game_state: str | None = None
    detailed_state: str | None = None
    abstract_game_state: str | None = None
    reason: str | None = None
    reschedule_date: str | None = None
    reschedule_game_date: str | None = None
    rescheduled_from: str | None = None
    rescheduled_from_date: str | None = None
    rescheduled_to: str | None = None
    resumed_from: str | None = None
    resume_date: str | None = None
    description: str | None = None
    scheduled_innings: int | None = None


_COLUMNS = tuple(f.name for f in fields(ScheduleEntry))


async def upsert_schedule_games(
    conn: aiosqlite.Connection, entries: Iterable[ScheduleEntry], *, seen_at: datetime
) -> int:
    """Insert or refresh each (game_pk, official_date) row; returns how many were written."""
    stamp = iso(seen_at)
    rows = [(*(to_sql(getattr(e, name)) for name in _COLUMNS), stamp) for e in entries]
    if not rows:
        return 0
    names = (*_COLUMNS, "seen_at")
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[2:])
    await conn.executemany(
        f"INSERT INTO schedule_games ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT (game_pk, official_date) DO UPDATE SET {updates}",
        rows,
    )
    return len(rows)


def _entry(row: aiosqlite.Row) -> ScheduleEntry:
    values = safe_texts({name: row[name] for name in _COLUMNS})
    values["official_date"] = date.fromisoformat(values["official_date"])
    if values["game_date"] is not None:
        values["game_date"] = datetime.fromisoformat(values["game_date"])
    if values["game_official_date"] is not None:
        values["game_official_date"] = date.fromisoformat(values["game_official_date"])
    if values["start_time_tbd"] is not None:
        values["start_time_tbd"] = bool(values["start_time_tbd"])
    return ScheduleEntry(**values)


async def schedule_for_date(conn: aiosqlite.Connection, official_date: date) -> list[ScheduleEntry]:
    cursor = await conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM schedule_games WHERE official_date = ? "
        "ORDER BY game_date, game_pk",
        (official_date.isoformat(),),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [_entry(row) for row in rows]


async def dates_of_game(conn: aiosqlite.Connection, game_pk: int) -> list[date]:
    cursor = await conn.execute(
        "SELECT official_date FROM schedule_games WHERE game_pk = ? ORDER BY official_date",
        (game_pk,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [date.fromisoformat(r[0]) for r in rows]


async def store_snapshot(
    conn: aiosqlite.Connection, *, query: str, body: bytes, fetched_at: datetime, level: int
) -> bool:
    """Keep a schedule body unless it equals the last one kept for the same query."""
    digest = hashlib.sha256(body).hexdigest()
    cursor = await conn.execute(
        "SELECT sha256 FROM schedule_snapshots WHERE query = ? ORDER BY id DESC LIMIT 1", (query,)
    )
    last = await cursor.fetchone()
    await cursor.close()
    if last is not None and last[0] == digest:
        return False
    await conn.execute(
        "INSERT INTO schedule_snapshots (fetched_at, query, body, sha256) VALUES (?, ?, ?, ?)",
        (iso(fetched_at), query, gzip_bytes(body, level), digest),
    )
    return True


async def latest_snapshot_bodies(conn: aiosqlite.Connection, official_date: date) -> list[bytes]:
    """Compressed bodies of schedule snapshots whose query names ``official_date``, newest first.

    The query is the URL asked (``...date=YYYY-MM-DD`` or a range starting on that date);
    callers open the bodies to find the date's block.
    """
    cursor = await conn.execute(
        "SELECT body FROM schedule_snapshots WHERE query LIKE ? ORDER BY id DESC",
        (f"%date={official_date.isoformat()}%",),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [bytes(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of one league date is archived.

    ``expected_final`` counts the date's games that were played (not postponed or cancelled
    there) and are Final by the schedule or by a stored Final feed; ``final_stored`` those of
    them whose Final feed is stored; ``missing`` the rest.
    """

    official_date: date
    scheduled: int
    not_played: int
    expected_final: int
    final_stored: int
    missing: tuple[int, ...]
    # Final stored but the archive audit found gaps (an open VERSION_GAP finding): counted
    # with the missing, not as stored.
    archive_gaps: tuple[int, ...] = ()

    @property
    def ratio(self) -> float:
        return 1.0 if self.expected_final == 0 else self.final_stored / self.expected_final


async def coverage(conn: aiosqlite.Connection, official_date: date) -> Coverage:
    cursor = await conn.execute(
        f"""
        SELECT s.game_pk,
               s.coded_game_state IN ({", ".join("?" * len(NOT_PLAYED_CODES))}),
               s.abstract_game_state = 'Final',
               COALESCE(g.final_stored, 0),
               EXISTS (SELECT 1 FROM findings f WHERE f.game_pk = s.game_pk
                       AND f.rule = 'VERSION_GAP' AND f.status IN ('open', 'acknowledged'))
        FROM schedule_games s LEFT JOIN games g ON g.game_pk = s.game_pk
        WHERE s.official_date = ? ORDER BY s.game_pk
        """,
        (*NOT_PLAYED_CODES, official_date.isoformat()),
    )
    rows = list(await cursor.fetchall())
    await cursor.close()
    not_played = expected = stored = 0
    missing: list[int] = []
    gapped: list[int] = []
    for game_pk, skipped, final, final_stored, gap in rows:
        if skipped:
            # Its Final feed, if any, belongs to the makeup date, not to this one.
            not_played += 1
            continue
        if final or final_stored:
            expected += 1
            if final_stored and not gap:
                stored += 1
            elif final_stored:
                gapped.append(int(game_pk))
            else:
                missing.append(int(game_pk))
    return Coverage(
        official_date, len(rows), not_played, expected, stored, tuple(missing), tuple(gapped)
    )
