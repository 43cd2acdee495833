"""The request log: one row per logical request, written in batches and pruned by age."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.store.codec import iso


async def insert_requests(conn: aiosqlite.Connection, events: Sequence[RequestFinished]) -> int:
    if not events:
        return 0
    await conn.executemany(
        "INSERT INTO requests (at, kind, url, status, latency_ms, bytes_wire, bytes_decoded, "
        "cache_hit, coalesced, not_modified, retries, error) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                iso(e.at),
                e.kind,
                e.url,
                e.status,
                round(e.latency_s * 1000.0, 3),
                e.bytes_wire,
                e.bytes_decoded,
                int(e.cache_hit),
                int(e.coalesced),
                int(e.not_modified),
                e.retries,
                e.error,
            )
            for e in events
        ],
    )
    return len(events)


async def prune_requests(conn: aiosqlite.Connection, before: datetime) -> int:
    cursor = await conn.execute("DELETE FROM requests WHERE at < ?", (iso(before),))
    removed = cursor.rowcount
    await cursor.close()
    return removed


class RequestBuffer:
    """Collects RequestFinished events from a synchronous sink until the next flush.

    Bounded: past ``max_pending`` the oldest are dropped and counted in ``dropped``, so a
    stalled disk cannot grow memory without limit.
    """

    def __init__(self, max_pending: int = 50_000) -> None:
        self._pending: deque[RequestFinished] = deque(maxlen=max_pending)
        self.dropped = 0

    def add(self, event: RequestFinished) -> None:
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
        self._pending.append(event)

    def __len__(self) -> int:
        return len(self._pending)

    def take(self) -> list[RequestFinished]:
        batch = list(self._pending)
        self._pending.clear()
        return batch
