"""Helpers shared by the store tests (imported as ``from store_helpers import ...``)."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlbdash.ingest.store.codec import compact_json

START = datetime(2024, 6, 12, 4, 12, 48, tzinfo=UTC)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def feed_digest(feed: dict[str, Any]) -> str:
    return hashlib.sha256(compact_json(feed)).hexdigest()


def game_fields_of(feed: dict[str, Any]) -> dict[str, object]:
    """The games-row columns a caller would take from a raw feed."""
    status = feed["gameData"]["status"]
    teams = feed["gameData"]["teams"]
    line = feed["liveData"]["linescore"]
    return {
        "abstract_game_state": status.get("abstractGameState"),
        "detailed_state": status.get("detailedState"),
        "coded_game_state": status.get("codedGameState"),
        "status_code": status.get("statusCode"),
        "away_abbrev": teams["away"].get("abbreviation"),
        "home_abbrev": teams["home"].get("abbreviation"),
        "away_score": line.get("teams", {}).get("away", {}).get("runs"),
        "home_score": line.get("teams", {}).get("home", {}).get("runs"),
        "inning": line.get("currentInning"),
        "inning_half": line.get("inningHalf"),
        "outs": line.get("outs"),
    }


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read with the plain sqlite3 module, independent of the Store under test."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()
