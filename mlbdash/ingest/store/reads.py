"""Named reads for the parts that summarise the database: the SLA, the daily report, counts.

The store is the only module that runs SQL; these are the queries the monitor's stored SLA,
the report and the summaries need, each a function of a connection from ``Store.read()``.
Rows come back as the database holds them; the callers give them meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite

from mlbdash.ingest.store.codec import iso, parse_iso


async def _fetch(
    conn: aiosqlite.Connection, sql: str, args: Sequence[object] = ()
) -> list[aiosqlite.Row]:
    cursor = await conn.execute(sql, tuple(args))
    rows = list(await cursor.fetchall())
    await cursor.close()
    return rows


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


async def severity_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """How many findings of each severity the review queue holds (any status)."""
    rows = await _fetch(conn, "SELECT severity, COUNT(*) FROM findings GROUP BY severity")
    return {str(r[0]): int(r[1]) for r in rows}


async def listed_games(conn: aiosqlite.Connection, official_date: date) -> list[aiosqlite.Row]:
    """(game_pk, coded_game_state, game_date) of the games listed on a date."""
    return await _fetch(
        conn,
        "SELECT game_pk, coded_game_state, game_date FROM schedule_games WHERE official_date = ?",
        (official_date.isoformat(),),
    )


async def games_listed_twice(conn: aiosqlite.Connection, game_pks: Sequence[int]) -> list[int]:
    """Those of the games listed on more than one date (split, resumed, moved)."""
    rows = await _fetch(
        conn,
        f"SELECT game_pk FROM schedule_games WHERE game_pk IN ({_marks(game_pks)}) "
        "GROUP BY game_pk HAVING COUNT(*) > 1",
        game_pks,
    )
    return [int(r[0]) for r in rows]


async def state_rows(conn: aiosqlite.Connection, game_pks: Sequence[int]) -> list[aiosqlite.Row]:
    """(game_pk, at, state, detailed_state, source) of the games' recorded state changes."""
    return await _fetch(
        conn,
        "SELECT game_pk, at, state, detailed_state, source FROM game_states "
        f"WHERE game_pk IN ({_marks(game_pks)}) ORDER BY id",
        game_pks,
    )


async def version_rows(conn: aiosqlite.Connection, game_pks: Sequence[int]) -> list[aiosqlite.Row]:
    """(game_pk, timecode, kind, stored_at) of the games' stored versions, in storing order."""
    return await _fetch(
        conn,
        "SELECT game_pk, timecode, kind, stored_at FROM feed_versions "
        f"WHERE game_pk IN ({_marks(game_pks)}) ORDER BY id",
        game_pks,
    )


async def request_rows(
    conn: aiosqlite.Connection, start: datetime, end: datetime, kinds: Sequence[str]
) -> list[aiosqlite.Row]:
    """The logged requests of these kinds in [start, end): at, kind, url, status, latency_ms,
    bytes_wire, bytes_decoded, cache_hit, coalesced, not_modified, retries, error."""
    return await _fetch(
        conn,
        "SELECT at, kind, url, status, latency_ms, bytes_wire, bytes_decoded, cache_hit, "
        "coalesced, not_modified, retries, error FROM requests "
        f"WHERE at >= ? AND at < ? AND kind IN ({_marks(kinds)}) ORDER BY id",
        (iso(start), iso(end), *kinds),
    )


async def last_recorded(conn: aiosqlite.Connection) -> datetime | None:
    """The latest instant the database recorded (a request, a version or a state change)."""
    rows = await _fetch(
        conn,
        "SELECT MAX(t) FROM (SELECT MAX(at) AS t FROM requests "
        "UNION ALL SELECT MAX(stored_at) FROM feed_versions "
        "UNION ALL SELECT MAX(at) FROM game_states)",
    )
    return parse_iso(rows[0][0]) if rows and rows[0][0] is not None else None


async def latest_date_with_games(conn: aiosqlite.Connection, today: date) -> date | None:
    """The latest league date up to ``today`` with a game under way or stored, else the latest
    listed one; None when the schedule lists nothing up to then."""
    for sql in (
        "SELECT MAX(s.official_date) FROM schedule_games s "
        "LEFT JOIN games g ON g.game_pk = s.game_pk WHERE s.official_date <= ? "
        "AND (s.abstract_game_state IN ('Live', 'Final') OR COALESCE(g.versions, 0) > 0)",
        "SELECT MAX(official_date) FROM schedule_games WHERE official_date <= ?",
    ):
        rows = await _fetch(conn, sql, (today.isoformat(),))
        if rows and rows[0][0] is not None:
            return date.fromisoformat(str(rows[0][0]))
    return None


async def request_totals(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[aiosqlite.Row]:
    """Requests in [start, end) grouped by kind, status and whether they failed: kind, status,
    failed, count, retries, cache hits, bytes on the wire, bytes decoded."""
    return await _fetch(
        conn,
        "SELECT kind, status, error IS NOT NULL, COUNT(*), SUM(retries), SUM(cache_hit), "
        "SUM(COALESCE(bytes_wire, 0)), SUM(COALESCE(bytes_decoded, 0)) FROM requests "
        "WHERE at >= ? AND at < ? GROUP BY kind, status, error IS NOT NULL",
        (iso(start), iso(end)),
    )


async def throttled_rollups(
    conn: aiosqlite.Connection, first_minute: str, last_minute: str
) -> tuple[int, int]:
    """(minute rollups kept, 429s counted in them) between two minute labels, inclusive."""
    rows = await _fetch(
        conn,
        "SELECT COUNT(*), SUM(CASE WHEN name = 'throttled' THEN count ELSE 0 END) "
        "FROM metric_rollups WHERE minute >= ? AND minute <= ?",
        (first_minute, last_minute),
    )
    if not rows:
        return 0, 0
    return int(rows[0][0] or 0), int(rows[0][1] or 0)


async def schedule_snapshots_mentioning(
    conn: aiosqlite.Connection, text: str
) -> list[aiosqlite.Row]:
    """(query, gzip body) of the stored schedule answers whose query mentions ``text``,
    newest first."""
    return await _fetch(
        conn,
        "SELECT query, body FROM schedule_snapshots WHERE query LIKE ? ORDER BY id DESC",
        (f"%{text}%",),
    )
