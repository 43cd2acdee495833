"""How values are written to the database.

Instants are UTC ISO text (sortable), documents gzip of compact JSON.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from typing import Any

from mlbdash.mlb import dates
from mlbdash.mlb.text import terminal_safe


def iso(at: datetime) -> str:
    """An aware instant as sortable UTC text, e.g. ``2024-06-12T04:12:48.000+00:00``."""
    if at.tzinfo is None:
        raise ValueError(
            "naive datetime given to the store; mlbdash stores aware UTC instants only"
        )
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str | None) -> datetime | None:
    """A stored instant (None stays None); the parsing rule is ``mlb.dates.parse_iso``."""
    return None if text is None else dates.parse_iso(text)


def safe_texts(values: dict[str, Any]) -> dict[str, Any]:
    """A row's text columns made terminal-safe: an archive written before mlbdash escaped API
    strings at parse time (or by another program) may hold raw escape sequences."""
    return {k: terminal_safe(v) if isinstance(v, str) else v for k, v in values.items()}


def to_sql(value: object) -> object:
    """Python value -> SQLite value (bool as 0/1, instants as UTC text, dates as YYYY-MM-DD)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def compact_json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def gzip_bytes(data: bytes, level: int) -> bytes:
    # mtime=0 keeps equal input -> equal output, which makes blobs comparable.
    return gzip.compress(data, compresslevel=level, mtime=0)


def gunzip_json(blob: bytes) -> Any:
    return json.loads(gzip.decompress(blob))
