"""The ``metric_rollups`` table: one row per (minute, metric, labels), written once a minute.

Counters store ``count`` (their total for the minute) and ``sum`` equal to it; sampled series
(latencies, freshness lag) store how many samples, their sum, min, max and percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True, slots=True)
class RollupRow:
    minute: str  # ISO minute in UTC, e.g. "2024-07-01T17:05Z"
    name: str
    labels: str  # "kind=feed,status=200"; "" for none
    count: int
    sum: float | None = None
    min: float | None = None
    max: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


async def save_rollups(conn: aiosqlite.Connection, rows: Sequence[RollupRow]) -> int:
    """Write a minute's rows (replacing any earlier write of the same minute); returns count."""
    await conn.executemany(
        "INSERT INTO metric_rollups (minute, name, labels, count, sum, min, max, p50, p95, p99) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (minute, name, labels) DO UPDATE SET count = excluded.count, "
        "sum = excluded.sum, min = excluded.min, max = excluded.max, p50 = excluded.p50, "
        "p95 = excluded.p95, p99 = excluded.p99",
        [
            (r.minute, r.name, r.labels, r.count, r.sum, r.min, r.max, r.p50, r.p95, r.p99)
            for r in rows
        ],
    )
    return len(rows)


async def load_rollups(
    conn: aiosqlite.Connection, *, first_minute: str, last_minute: str, name: str | None = None
) -> list[RollupRow]:
    """Rows with ``first_minute <= minute <= last_minute`` (ISO text compares in time order)."""
    sql = (
        "SELECT minute, name, labels, count, sum, min, max, p50, p95, p99 FROM metric_rollups "
        "WHERE minute >= ? AND minute <= ?"
    )
    args: tuple[str, ...] = (first_minute, last_minute)
    if name is not None:
        sql += " AND name = ?"
        args = (*args, name)
    cursor = await conn.execute(sql + " ORDER BY minute, name, labels", args)
    rows = await cursor.fetchall()
    await cursor.close()
    return [
        RollupRow(
            str(r["minute"]),
            str(r["name"]),
            str(r["labels"]),
            int(r["count"]),
            r["sum"],
            r["min"],
            r["max"],
            r["p50"],
            r["p95"],
            r["p99"],
        )
        for r in rows
    ]
