"""The ``alerts`` (one row per episode) and ``alert_events`` (its history) tables.

Statements only: callers run them inside ``Store.transaction()`` / ``Store.read()``. The
monitor assigns episode ids itself (it is the only writer), so a row is written by upsert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from mlbdash.ingest.store.codec import iso, parse_iso, safe_texts
from mlbdash.mlb.text import terminal_safe_or_none


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    rule: str
    key: str
    severity: str
    state: str  # pending, firing, resolved
    message: str | None
    pending_since: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    silenced_until: datetime | None


@dataclass(frozen=True, slots=True)
class AlertEventRecord:
    id: int
    alert_id: int
    at: datetime
    state: str  # pending, firing, resolved, acknowledged, silenced
    message: str | None


_COLUMNS = (
    "id, rule, key, severity, state, message, pending_since, fired_at, resolved_at, "
    "acknowledged_at, silenced_until"
)


def _opt(at: datetime | None) -> str | None:
    return None if at is None else iso(at)


async def save_alert(conn: aiosqlite.Connection, alert: AlertRecord) -> None:
    """Insert the episode or update every column of it."""
    await conn.execute(
        f"INSERT INTO alerts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, key = excluded.key, "
        "severity = excluded.severity, state = excluded.state, message = excluded.message, "
        "pending_since = excluded.pending_since, fired_at = excluded.fired_at, "
        "resolved_at = excluded.resolved_at, acknowledged_at = excluded.acknowledged_at, "
        "silenced_until = excluded.silenced_until",
        (
            alert.id,
            alert.rule,
            alert.key,
            alert.severity,
            alert.state,
            alert.message,
            _opt(alert.pending_since),
            _opt(alert.fired_at),
            _opt(alert.resolved_at),
            _opt(alert.acknowledged_at),
            _opt(alert.silenced_until),
        ),
    )


async def add_alert_event(
    conn: aiosqlite.Connection, alert_id: int, *, at: datetime, state: str, message: str | None
) -> None:
    await conn.execute(
        "INSERT INTO alert_events (alert_id, at, state, message) VALUES (?, ?, ?, ?)",
        (alert_id, iso(at), state, message),
    )


def _record(raw: aiosqlite.Row) -> AlertRecord:
    row = safe_texts(dict(raw))
    return AlertRecord(
        id=int(row["id"]),
        rule=str(row["rule"]),
        key=str(row["key"]),
        severity=str(row["severity"]),
        state=str(row["state"]),
        message=row["message"],
        pending_since=parse_iso(row["pending_since"]),
        fired_at=parse_iso(row["fired_at"]),
        resolved_at=parse_iso(row["resolved_at"]),
        acknowledged_at=parse_iso(row["acknowledged_at"]),
        silenced_until=parse_iso(row["silenced_until"]),
    )


async def open_alerts(conn: aiosqlite.Connection) -> list[AlertRecord]:
    """Episodes still pending or firing, oldest first."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE state != 'resolved' ORDER BY id"
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [_record(row) for row in rows]


async def list_alerts(
    conn: aiosqlite.Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AlertRecord]:
    """Episodes newest first; with ``since``/``until``, those open at some time in between.

    An episode is open from ``pending_since`` until ``resolved_at`` (or now, when unresolved),
    so a report for a league day gets every alert that was pending or firing during it.
    """
    where: list[str] = []
    args: list[object] = []
    if since is not None:
        where.append("(resolved_at IS NULL OR resolved_at >= ?)")
        args.append(iso(since))
    if until is not None:
        where.append("pending_since < ?")
        args.append(iso(until))
    sql = f"SELECT {_COLUMNS} FROM alerts"
    if where:
        sql += " WHERE " + " AND ".join(where)
    cursor = await conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
    rows = await cursor.fetchall()
    await cursor.close()
    return [_record(row) for row in rows]


async def alert_events(conn: aiosqlite.Connection, alert_id: int) -> list[AlertEventRecord]:
    cursor = await conn.execute(
        "SELECT id, alert_id, at, state, message FROM alert_events WHERE alert_id = ? ORDER BY id",
        (alert_id,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    out = []
    for row in rows:
        at = parse_iso(row["at"])
        assert at is not None  # NOT NULL column
        out.append(
            AlertEventRecord(
                int(row["id"]),
                int(row["alert_id"]),
                at,
                row["state"],
                terminal_safe_or_none(row["message"]),
            )
        )
    return out


async def next_alert_id(conn: aiosqlite.Connection) -> int:
    cursor = await conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM alerts")
    row = await cursor.fetchone()
    await cursor.close()
    return 1 if row is None else int(row[0])
