"""FeedTracker: one game's feed kept current with the fewest bytes.

The first update fetches the whole feed; later ones ask diffPatch from the feed's own
``metaData.timeStamp`` and apply the blocks in place. Any doubt (a patch that does not apply, a
timeStamp that does not land where the last block said, an unusable diffPatch answer) drops the
merged feed and fetches the whole feed again, with a ``FeedRefetched`` event saying why.

A request that fails raises to the caller (the scheduler polls again later); the tracker stays
usable: if the merged feed was already dropped, the next update starts with a full fetch.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import BadResponse
from mlbdash.ingest.events import EventSink, FeedRefetched, discard
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.patch import PatchError, apply_diff_blocks, last_block_timecode

UpdateKind = Literal["full", "diff", "none"]


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What one ``update`` did. ``feed`` is the tracker's own dict: read it, do not keep it."""

    kind: UpdateKind
    feed: dict[str, Any]
    timecode: str | None
    blocks_applied: int = 0
    refetch_reason: str | None = None
    bytes_wire: int = 0


def feed_timecode(feed: dict[str, Any]) -> str | None:
    meta = feed.get("metaData")
    stamp = meta.get("timeStamp") if isinstance(meta, dict) else None
    return stamp if isinstance(stamp, str) else None


class FeedTracker:
    """Keeps one game's raw feed current through diffPatch."""

    def __init__(
        self,
        client: MlbApiClient,
        game_pk: int,
        sink: EventSink = discard,
        clock: Clock | None = None,
        *,
        feed: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.game_pk = game_pk
        self._sink = sink
        self._clock = clock or client.clock
        self._feed = feed
        self._lock = asyncio.Lock()

    @classmethod
    def resume(
        cls,
        client: MlbApiClient,
        game_pk: int,
        feed: dict[str, Any],
        sink: EventSink = discard,
        clock: Clock | None = None,
    ) -> FeedTracker:
        """Continue from a stored version (after a restart): the next update asks diffPatch."""
        return cls(client, game_pk, sink, clock, feed=feed)

    @property
    def feed(self) -> dict[str, Any] | None:
        return self._feed

    @property
    def timecode(self) -> str | None:
        return feed_timecode(self._feed) if self._feed is not None else None

    async def update(self) -> FeedUpdate:
        """Bring the feed up to date. Raises ``ApiError`` when the API cannot be reached."""
        async with self._lock:
            start = self.timecode
            if self._feed is None or start is None:
                return await self._full(None)
            try:
                fetched = await self.client.diff_patch(self.game_pk, start)
            except BadResponse as exc:
                return await self._full(f"diffPatch answer unusable: {exc.reason}")
            answer = fetched.data
            if answer.shape == "empty":
                return FeedUpdate("none", self._feed, start, bytes_wire=fetched.bytes_wire)
            if answer.shape == "full" and answer.feed is not None:
                pk = answer.feed.get("gamePk")
                if pk != self.game_pk:
                    return await self._full(f"diffPatch sent the whole feed of game {pk}")
                return self._adopt(answer.feed, None, fetched.bytes_wire)
            return await self._apply(answer.blocks, fetched.bytes_wire)

    async def _apply(self, blocks: list[Any], bytes_wire: int) -> FeedUpdate:
        if self._feed is None:  # pragma: no cover - update() checked it under the lock
            return await self._full(None)
        expected = last_block_timecode(blocks)
        try:
            # In place: a 700 KB feed is never copied per update. On failure it is dropped.
            patched = apply_diff_blocks(self._feed, blocks)
        except PatchError as exc:
            self._feed = None
            return await self._full(f"patch failed: {exc}")
        landed = feed_timecode(patched)
        if expected is None or landed != expected:
            self._feed = None
            return await self._full(f"timeStamp {landed} after patching, expected {expected}")
        self._feed = patched
        return FeedUpdate("diff", patched, landed, len(blocks), bytes_wire=bytes_wire)

    async def _full(self, reason: str | None) -> FeedUpdate:
        if reason is not None:
            self._feed = None
            self._sink(FeedRefetched(at=self._clock.now(), game_pk=self.game_pk, reason=reason))
        fetched = await self.client.feed(self.game_pk)
        pk = fetched.data.get("gamePk")
        if pk is not None and pk != self.game_pk:
            raise BadResponse(fetched.url, f"feed is for game {pk}, not {self.game_pk}")
        return self._adopt(fetched.data, reason, fetched.bytes_wire)

    def _adopt(self, feed: dict[str, Any], reason: str | None, bytes_wire: int) -> FeedUpdate:
        self._feed = feed
        return FeedUpdate(
            "full", feed, feed_timecode(feed), refetch_reason=reason, bytes_wire=bytes_wire
        )
