"""Reading a database file another process is writing (the bench reads a running ingest's).

Plain ``sqlite3`` opened read-only, synchronous: these readers run outside an event loop,
beside the writer, and must never take its write lock. The async ``Store`` is for the
process that owns the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def read_only(db: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        yield conn


def request_rows(db: Path) -> list[tuple[Any, ...]]:
    """Every logged request: at, status, bytes_wire, bytes_decoded, cache_hit, coalesced, error."""
    with read_only(db) as conn:
        return conn.execute(
            "SELECT at, status, bytes_wire, bytes_decoded, cache_hit, coalesced, error "
            "FROM requests"
        ).fetchall()


def request_urls(db: Path) -> list[tuple[Any, ...]]:
    """Every request that went over the wire: url, bytes_wire, bytes_decoded."""
    with read_only(db) as conn:
        return conn.execute(
            "SELECT url, bytes_wire, bytes_decoded FROM requests "
            "WHERE cache_hit = 0 AND coalesced = 0"
        ).fetchall()


def version_stamps(db: Path) -> list[tuple[Any, ...]]:
    """Every stored version: game_pk, timecode, stored_at."""
    with read_only(db) as conn:
        return conn.execute("SELECT game_pk, timecode, stored_at FROM feed_versions").fetchall()


def games_with_versions(db: Path) -> int:
    """How many games have at least one stored version (0 while the database is not there)."""
    if not db.exists():
        return 0
    try:
        with read_only(db) as conn:
            row = conn.execute("SELECT COUNT(DISTINCT game_pk) FROM feed_versions").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def stored_game_pks(conn: sqlite3.Connection) -> list[int]:
    return [int(r[0]) for r in conn.execute("SELECT DISTINCT game_pk FROM feed_versions")]


def version_chain(conn: sqlite3.Connection, game_pk: int) -> Iterator[tuple[Any, ...]]:
    """A game's versions in storing order: timecode, kind, gzip ops, gzip checkpoint or None."""
    yield from conn.execute(
        "SELECT v.timecode, v.kind, v.ops, c.feed FROM feed_versions v "
        "LEFT JOIN feed_checkpoints c ON c.version_id = v.id "
        "WHERE v.game_pk = ? ORDER BY v.id",
        (game_pk,),
    )
