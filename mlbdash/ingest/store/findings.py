"""The findings table: validation findings, deduplicated by fingerprint, and the review queue.

A finding seen again on a later version updates its row (last_seen, occurrences, timecode,
values) rather than adding one. Findings of the rules a validation run evaluated that it did
not raise again are resolved, with the correction saying how. Statuses: open, acknowledged,
resolved, ignored; an ignored or acknowledged finding keeps its status when seen again, a
resolved one that comes back is reopened.

Functions take a connection from ``Store.transaction()`` (writes) or ``Store.read()``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import aiosqlite

from mlbdash.ingest.findings import SEVERITIES, Finding
from mlbdash.ingest.store.codec import iso, parse_iso, safe_texts

STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved", "ignored")


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """One row of ``findings``, with the game's matchup (``AWY @ HOM``) when the game is known."""

    id: int
    fingerprint: str
    game_pk: int | None
    official_date: str | None
    rule: str
    severity: str
    category: str
    timecode: str | None
    path: str | None
    expected: str | None
    actual: str | None
    message: str
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    status: str
    correction: str | None
    recheck_at: datetime | None
    matchup: str | None


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What one validation run changed: fingerprints added, seen again, and resolved.

    ``occurrences`` is each recorded fingerprint's count after this run.
    """

    new: tuple[str, ...]
    seen_again: tuple[str, ...]
    resolved: tuple[str, ...]
    occurrences: dict[str, int] = field(default_factory=dict)


_UPSERT = """
INSERT INTO findings (
    fingerprint, game_pk, official_date, rule, severity, category, timecode, path,
    expected, actual, message, first_seen, last_seen, occurrences, status, recheck_at,
    first_timecode
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'open', ?, ?)
ON CONFLICT (fingerprint) DO UPDATE SET
    occurrences = CASE
        WHEN excluded.timecode IS NULL OR excluded.timecode IS NOT findings.timecode
        THEN findings.occurrences + 1 ELSE findings.occurrences END,
    official_date = COALESCE(excluded.official_date, findings.official_date),
    severity = excluded.severity,
    category = excluded.category,
    timecode = excluded.timecode,
    expected = excluded.expected,
    actual = excluded.actual,
    message = excluded.message,
    last_seen = excluded.last_seen,
    correction = CASE WHEN findings.status = 'resolved' THEN NULL ELSE findings.correction END,
    status = CASE WHEN findings.status = 'resolved' THEN 'open' ELSE findings.status END,
    recheck_at = COALESCE(excluded.recheck_at, findings.recheck_at)
"""


async def record_findings(
    conn: aiosqlite.Connection,
    findings: Sequence[Finding],
    *,
    now: datetime,
    official_date: date | str | None = None,
    game_pk: int | None = None,
    checked_rules: Collection[str] = (),
    cleared_by: str | None = None,
    recheck_at: datetime | None = None,
) -> RecordResult:
    """Upsert these findings; resolve this game's active findings of ``checked_rules`` not seen.

    ``game_pk`` with ``checked_rules`` names the run's scope: only findings of that game and
    those rules can be resolved, so a schema-only pass never clears a consistency finding.
    ``cleared_by`` is recorded as the correction of what was resolved (default "cleared on
    version <timecode>"). ``recheck_at`` is set on the recorded findings (a Final game to look
    at again once MLB's scorers are done).
    """
    stamp = iso(now)
    day = official_date.isoformat() if isinstance(official_date, date) else official_date
    recheck = iso(recheck_at) if recheck_at is not None else None
    new: list[str] = []
    again: list[str] = []
    timecode: str | None = None
    existing = await _existing(conn, [f.fingerprint for f in findings])
    for f in findings:
        fp = f.fingerprint
        timecode = timecode or f.timecode
        await conn.execute(
            _UPSERT,
            (
                fp,
                f.game_pk,
                day,
                f.rule,
                f.severity,
                f.category,
                f.timecode,
                f.path,
                f.expected,
                f.actual,
                f.message,
                stamp,
                stamp,
                recheck,
                f.timecode,
            ),
        )
        (again if fp in existing else new).append(fp)
        existing.add(fp)
    resolved: list[str] = []
    if game_pk is not None and checked_rules:
        seen = {f.fingerprint for f in findings}
        rules = sorted(set(checked_rules))
        cursor = await conn.execute(
            f"SELECT fingerprint, timecode FROM findings WHERE game_pk = ? "
            f"AND status IN ('open', 'acknowledged') AND rule IN ({', '.join('?' * len(rules))})",
            (game_pk, *rules),
        )
        gone = [r[0] for r in await cursor.fetchall() if r[0] not in seen]
        await cursor.close()
        note = cleared_by or (f"cleared on version {timecode}" if timecode else "cleared")
        for fp in gone:
            await conn.execute(
                "UPDATE findings SET status = 'resolved', correction = ?, recheck_at = NULL "
                "WHERE fingerprint = ?",
                (note, fp),
            )
        resolved = gone
    counts = await _occurrences(conn, new + again) if again else dict.fromkeys(new, 1)
    return RecordResult(tuple(new), tuple(again), tuple(resolved), counts)


async def _existing(conn: aiosqlite.Connection, fingerprints: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(fingerprints), 500):  # under SQLite's bound-parameter limit
        chunk = fingerprints[i : i + 500]
        cursor = await conn.execute(
            "SELECT fingerprint FROM findings "
            f"WHERE fingerprint IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update(r[0] for r in await cursor.fetchall())
        await cursor.close()
    return found


async def _occurrences(conn: aiosqlite.Connection, fingerprints: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(0, len(fingerprints), 500):
        chunk = fingerprints[i : i + 500]
        cursor = await conn.execute(
            "SELECT fingerprint, occurrences FROM findings "
            f"WHERE fingerprint IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        counts.update((r[0], int(r[1])) for r in await cursor.fetchall())
        await cursor.close()
    return counts


async def set_status(
    conn: aiosqlite.Connection,
    finding_id: int,
    status: str,
    *,
    correction: str | None = None,
) -> bool:
    """Move one finding through the review queue; False when there is no such finding.

    ``correction`` (for example how it was fixed, or why it is ignored) replaces the stored one
    when given.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown finding status {status!r}; one of {', '.join(STATUSES)}")
    cursor = await conn.execute(
        "UPDATE findings SET status = ?, correction = COALESCE(?, correction) WHERE id = ?",
        (status, correction, finding_id),
    )
    changed = cursor.rowcount
    await cursor.close()
    return changed > 0


async def set_recheck(conn: aiosqlite.Connection, game_pk: int, recheck_at: datetime | None) -> int:
    """Set (or clear) recheck_at on a game's active findings; returns rows changed."""
    cursor = await conn.execute(
        "UPDATE findings SET recheck_at = ? "
        "WHERE game_pk = ? AND status IN ('open', 'acknowledged')",
        (iso(recheck_at) if recheck_at is not None else None, game_pk),
    )
    changed = cursor.rowcount
    await cursor.close()
    return changed


async def due_rechecks(conn: aiosqlite.Connection, now: datetime) -> list[int]:
    """Games with an active finding whose recheck time has come, oldest first."""
    cursor = await conn.execute(
        "SELECT game_pk, MIN(recheck_at) AS due FROM findings WHERE recheck_at IS NOT NULL "
        "AND recheck_at <= ? AND game_pk IS NOT NULL AND status IN ('open', 'acknowledged') "
        "GROUP BY game_pk ORDER BY due, game_pk",
        (iso(now),),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [int(r[0]) for r in rows]


async def open_counts(conn: aiosqlite.Connection) -> dict[int, int]:
    """Open findings per game (what GameUpdated.findings and the games panel show)."""
    cursor = await conn.execute(
        "SELECT game_pk, COUNT(*) FROM findings WHERE status = 'open' AND game_pk IS NOT NULL "
        "GROUP BY game_pk"
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return {int(r[0]): int(r[1]) for r in rows}


async def first_seen_on(
    conn: aiosqlite.Connection, game_pk: int, timecode: str
) -> list[FindingRecord]:
    """The game's findings first seen on the version stored under ``timecode``."""
    cursor = await conn.execute(
        "SELECT f.*, g.away_abbrev, g.home_abbrev, g.away_name, g.home_name "
        "FROM findings f LEFT JOIN games g ON g.game_pk = f.game_pk "
        "WHERE f.game_pk = ? AND f.first_timecode = ? "
        "ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
        "f.rule, f.path",
        (game_pk, timecode),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [_record(r) for r in rows]


async def list_findings(
    conn: aiosqlite.Connection,
    *,
    game_pk: int | None = None,
    start: date | None = None,
    end: date | None = None,
    severity: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[FindingRecord]:
    """Findings, worst first then by game, rule and path.

    ``severity`` keeps that level and worse ("warning" keeps errors and warnings); ``start``
    and ``end`` bound official_date, both inclusive; ``status`` is one exact status.
    """
    where: list[str] = []
    args: list[Any] = []
    if game_pk is not None:
        where.append("f.game_pk = ?")
        args.append(game_pk)
    if start is not None:
        where.append("f.official_date >= ?")
        args.append(start.isoformat())
    if end is not None:
        where.append("f.official_date <= ?")
        args.append(end.isoformat())
    if severity is not None:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
        levels = SEVERITIES[: SEVERITIES.index(severity) + 1]
        where.append(f"f.severity IN ({', '.join('?' * len(levels))})")
        args.extend(levels)
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"unknown finding status {status!r}; one of {', '.join(STATUSES)}")
        where.append("f.status = ?")
        args.append(status)
    sql = (
        "SELECT f.*, g.away_abbrev, g.home_abbrev, g.away_name, g.home_name "
        "FROM findings f LEFT JOIN games g ON g.game_pk = f.game_pk"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
        " f.official_date, f.game_pk, f.rule, f.path"
    )
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    cursor = await conn.execute(sql, args)
    rows = await cursor.fetchall()
    await cursor.close()
    return [_record(r) for r in rows]


def _record(row: Any) -> FindingRecord:
    row = safe_texts(dict(row))
    away = row["away_abbrev"] or row["away_name"]
    home = row["home_abbrev"] or row["home_name"]
    first_seen = parse_iso(row["first_seen"])
    last_seen = parse_iso(row["last_seen"])
    assert first_seen is not None and last_seen is not None  # NOT NULL columns
    return FindingRecord(
        id=row["id"],
        fingerprint=row["fingerprint"],
        game_pk=row["game_pk"],
        official_date=row["official_date"],
        rule=row["rule"],
        severity=row["severity"],
        category=row["category"],
        timecode=row["timecode"],
        path=row["path"],
        expected=row["expected"],
        actual=row["actual"],
        message=row["message"],
        first_seen=first_seen,
        last_seen=last_seen,
        occurrences=row["occurrences"],
        status=row["status"],
        correction=row["correction"],
        recheck_at=parse_iso(row["recheck_at"]),
        matchup=f"{away} @ {home}" if away and home else None,
    )
