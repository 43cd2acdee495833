"""Response cache: per-kind freshness, conditional revalidation and request coalescing.

Only small, slow-changing answers are kept (schedule for seconds, reference data for a day);
feeds and diffPatch answers are never cached, because the game follower holds the one copy that
matters and a 700 KB body per game would crowd everything else out. The cache is an LRU bounded
by entries and decoded bytes. Cached data is shared between callers: treat it as read-only.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mlbdash.mlb.clock import Clock, SystemClock

T = TypeVar("T")

DEFAULT_TTLS_S: Mapping[str, float] = {
    "schedule": 10.0,
    "teams": 86_400.0,
    "game_status": 86_400.0,
}


@dataclass(slots=True)
class CachedResponse:
    data: Any
    status: int
    bytes_decoded: int
    stored_at: float  # clock.monotonic() when stored or last revalidated
    etag: str | None = None
    last_modified: str | None = None


class ResponseCache:
    """An LRU of decoded JSON answers keyed by full URL, plus the table of requests in flight."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ttls_s: Mapping[str, float] | None = None,
        max_entries: int = 512,
        max_bytes: int = 64_000_000,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._ttls = dict(DEFAULT_TTLS_S if ttls_s is None else ttls_s)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def ttl_s(self, kind: str) -> float:
        return self._ttls.get(kind, 0.0)

    def cacheable(self, kind: str) -> bool:
        return self.ttl_s(kind) > 0

    def fresh(self, kind: str, key: str) -> CachedResponse | None:
        """The stored answer if it is younger than the kind's TTL."""
        entry = self._entries.get(key)
        if entry is None or self._clock.monotonic() - entry.stored_at >= self.ttl_s(kind):
            return None
        self._entries.move_to_end(key)
        return entry

    def stale(self, key: str) -> CachedResponse | None:
        """The stored answer whatever its age (for revalidation with a 304)."""
        return self._entries.get(key)

    def conditional_headers(self, key: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a stored answer the server gave validators."""
        entry = self._entries.get(key)
        headers: dict[str, str] = {}
        if entry is None:
            return headers
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return headers

    def store(self, kind: str, key: str, entry: CachedResponse) -> None:
        if not self.cacheable(kind) or entry.bytes_decoded > self.max_bytes:
            return
        self._drop(key)
        self._entries[key] = entry
        self._bytes += entry.bytes_decoded
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def revalidated(self, key: str) -> CachedResponse | None:
        """A 304 came back: the stored answer is fresh again."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.stored_at = self._clock.monotonic()
            self._entries.move_to_end(key)
        return entry

    def _drop(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.bytes_decoded

    async def coalesce(self, key: str, fetch: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """Run ``fetch`` unless the same key is already in flight; then share its outcome.

        Returns (result, coalesced). Followers see the leader's result or exception; if the
        leader is cancelled, followers get CancelledError too.
        """
        running = self._inflight.get(key)
        if running is not None:
            result: T = await asyncio.shield(running)
            return result, True
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await fetch()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a leader with no followers logs nothing
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            self._inflight.pop(key, None)
