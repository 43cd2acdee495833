"""GameRecorder: keeps one game's feed current and hands every server version to be stored.

Like ``FeedTracker`` it fetches the whole feed once and then asks diffPatch from the feed's
own ``metaData.timeStamp``. The difference is what an archive needs: a diffPatch answer holds
one block per version the server made since then, and the recorder applies them one at a time
so each version is stored under its own timecode with its own ops. Two runs that poll at
different moments therefore store the same version list.

When the server answers with the whole feed because the recorder fell too far behind (after a
restart, an outage), the versions in between are fetched from the game's ``timestamps`` list
one diffPatch step at a time, so a restart loses no version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError, BadResponse
from mlbdash.ingest.events import EventSink, FeedRefetched, discard
from mlbdash.ingest.tracker import feed_timecode
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.patch import PatchError, apply_diff_blocks, last_block_timecode

VersionKind = Literal["full", "diff"]
# Store one version: (timecode, kind, feed after it, ops for diffs) -> whether it was new.
StoreVersion = Callable[[str, VersionKind, dict[str, Any], list[Any] | None], Awaitable[bool]]
# Check a diff-merged version against the server before it is stored: (timecode, merged feed)
# -> the whole feed to store in its place when the merge diverged, else None.
MergeVerifier = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]

# A gap longer than this many versions is not filled step by step (the cost would be out of
# proportion); the whole feed is stored and the gap reported.
MAX_BACKFILL = 2000
# A game met with at most this many versions behind it (scheduled, pre-game, warmup and the
# first pitches) is archived from its first version; one met later, mid-game, from the
# present: stepping through hundreds of past versions of every game live when ingest starts
# would hold up the polls that keep the live ones fresh.
HISTORY_MAX_VERSIONS = 40


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one ``update`` did."""

    kind: Literal["full", "diff", "none"]
    timecode: str | None
    new_versions: int
    bytes_wire: int
    refetch_reason: str | None = None
    backfilled: int = 0  # versions fetched to fill a gap
    gap_left: int = 0  # versions of a gap that could not be filled
    full_versions: int = 0  # new versions stored from a whole feed
    diff_versions: int = 0  # new versions stored by applying a diff block


class GameRecorder:
    def __init__(
        self,
        client: MlbApiClient,
        game_pk: int,
        store_version: StoreVersion,
        *,
        sink: EventSink = discard,
        clock: Clock | None = None,
        feed: dict[str, Any] | None = None,
        history: bool = True,
        merge_check: MergeVerifier | None = None,
    ) -> None:
        self.client = client
        self.game_pk = game_pk
        self._store = store_version
        self._sink = sink
        self._clock = clock or client.clock
        self._feed = feed
        # Start a game never seen before from its first version (then step through every
        # version since) when it has not gone far yet (HISTORY_MAX_VERSIONS).
        self._history = history and feed is None
        self._tally = {"full": 0, "diff": 0}
        self._merge_check = merge_check

    @property
    def feed(self) -> dict[str, Any] | None:
        """The current (stored) version; the recorder's own dict: read, do not keep."""
        return self._feed

    @property
    def timecode(self) -> str | None:
        return feed_timecode(self._feed) if self._feed is not None else None

    async def update(self) -> Recorded:
        """Bring the game up to date, storing each new version. Raises ApiError on failure."""
        self._tally = {"full": 0, "diff": 0}
        result = await self._update()
        return replace(result, full_versions=self._tally["full"], diff_versions=self._tally["diff"])

    async def _keep(
        self, timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
    ) -> bool:
        new = await self._store(timecode, kind, feed, ops)
        if new:
            self._tally[kind] += 1
        return new

    async def _update(self) -> Recorded:
        if self._history:
            self._history = False
            first = await self._first_version()
            if first is not None:
                rest = await self._update()
                return Recorded(
                    "full",
                    rest.timecode,
                    first.new_versions + rest.new_versions,
                    first.bytes_wire + rest.bytes_wire,
                    rest.refetch_reason,
                    backfilled=rest.backfilled,
                    gap_left=rest.gap_left,
                )
        start = self.timecode
        if self._feed is None or start is None:
            return await self._full(None)
        try:
            fetched = await self.client.diff_patch(self.game_pk, start)
        except BadResponse as exc:
            return await self._full(f"diffPatch answer unusable: {exc.reason}")
        answer = fetched.data
        if answer.shape == "empty":
            return Recorded("none", start, 0, fetched.bytes_wire)
        if answer.shape == "blocks":
            return await self._blocks(answer.blocks, fetched.bytes_wire)
        assert answer.feed is not None
        return await self._caught_up(start, answer.feed, fetched.bytes_wire)

    async def _blocks(self, blocks: list[Any], bytes_wire: int) -> Recorded:
        stored = 0
        for block in blocks:
            outcome = await self._apply_one(block)
            if isinstance(outcome, str):
                result = await self._full(outcome)
                return Recorded(
                    "full",
                    result.timecode,
                    stored + result.new_versions,
                    bytes_wire + result.bytes_wire,
                    outcome,
                )
            stored += outcome
        return Recorded("diff", self.timecode, stored, bytes_wire)

    async def _apply_one(self, block: Any) -> int | str:
        """Apply and store one block: versions stored (0 or 1), or why it failed."""
        assert self._feed is not None
        expected = last_block_timecode([block])
        try:
            # In place: a 700 KB feed is never copied per version. On failure it is dropped.
            patched = apply_diff_blocks(self._feed, [block])
        except PatchError as exc:
            self._feed = None
            return f"patch failed: {exc}"
        landed = feed_timecode(patched)
        if expected is None or landed != expected:
            self._feed = None
            return f"timeStamp {landed} after patching, expected {expected}"
        self._feed = patched
        if self._merge_check is not None:
            full = await self._merge_check(landed, patched)
            if full is not None:
                # The merge went wrong somewhere: the server's whole feed for this version is
                # what is kept (as a full version, so later diffs build on it).
                self._feed = full
                return int(await self._keep(landed, "full", full, None))
        return int(await self._keep(landed, "diff", patched, [block]))

    async def _full(self, reason: str | None) -> Recorded:
        if reason is not None:
            self._feed = None
            self._sink(FeedRefetched(at=self._clock.now(), game_pk=self.game_pk, reason=reason))
        fetched = await self.client.feed(self.game_pk)
        return await self._adopt(fetched.data, fetched.url, fetched.bytes_wire, reason)

    async def _adopt(
        self, feed: dict[str, Any], url: str, bytes_wire: int, reason: str | None
    ) -> Recorded:
        pk = feed.get("gamePk")
        if pk is not None and pk != self.game_pk:
            raise BadResponse(url, f"feed is for game {pk}, not {self.game_pk}")
        timecode = feed_timecode(feed)
        if timecode is None:
            raise BadResponse(url, "feed has no metaData.timeStamp")
        previous = self._feed
        if "copyright" not in feed and previous is not None and "copyright" in previous:
            # diffPatch's whole-feed answer is the feed minus its constant copyright line;
            # kept, so a stored version is what feed/live serves for that timecode.
            feed = {"copyright": previous["copyright"], **feed}
        self._feed = feed
        new = int(await self._keep(timecode, "full", feed, None))
        return Recorded("full", timecode, new, bytes_wire, reason)

    async def _first_version(self) -> Recorded | None:
        """Store the game's first version (None when the server lists no versions)."""
        timecodes = await self.client.timestamps(self.game_pk)
        if not timecodes or len(timecodes) > HISTORY_MAX_VERSIONS:
            return None
        fetched = await self.client.feed(self.game_pk, timecode=timecodes[0])
        if feed_timecode(fetched.data) != timecodes[0]:
            return None  # the server does not serve past versions: start from the present
        return await self._adopt(fetched.data, fetched.url, fetched.bytes_wire, None)

    async def _caught_up(self, start: str, feed: dict[str, Any], bytes_wire: int) -> Recorded:
        """diffPatch sent the whole feed: fill the versions between ``start`` and it first."""
        newest = feed_timecode(feed)
        backfilled = gap_left = 0
        if newest is not None and newest > start:
            backfilled, gap_left, spent = await self._backfill(start, newest)
            bytes_wire += spent
        url = self.client.url_for(f"v1.1/game/{self.game_pk}/feed/live/diffPatch")
        result = await self._adopt(feed, url, 0, None)
        return Recorded(
            "full",
            result.timecode,
            result.new_versions + backfilled,
            bytes_wire,
            None,
            backfilled=backfilled,
            gap_left=gap_left,
        )

    async def _backfill(self, start: str, newest: str) -> tuple[int, int, int]:
        """Store the versions strictly between ``start`` and ``newest``: (stored, left, bytes)."""
        try:
            timecodes = await self.client.timestamps(self.game_pk)
        except ApiError:
            return 0, 0, 0  # unknown gap; the whole feed is still stored
        missing = [t for t in timecodes if start < t < newest]
        if len(missing) > MAX_BACKFILL:
            return 0, len(missing), 0
        stored = spent = 0
        current = start
        for index, target in enumerate(missing):
            if self._feed is None:
                return stored, len(missing) - index, spent
            fetched = await self.client.diff_patch(self.game_pk, current, target)
            spent += fetched.bytes_wire
            answer = fetched.data
            if answer.shape == "full" and answer.feed is not None:
                # Two versions further apart than the server's diff window: it sends the
                # whole feed as of ``target``, which is that version in full.
                if feed_timecode(answer.feed) != target:
                    return stored, len(missing) - index, spent
                result = await self._adopt(answer.feed, fetched.url, 0, None)
                stored += result.new_versions
            elif answer.shape == "blocks":
                for block in answer.blocks:
                    outcome = await self._apply_one(block)
                    if isinstance(outcome, str):
                        self._sink(
                            FeedRefetched(
                                at=self._clock.now(), game_pk=self.game_pk, reason=outcome
                            )
                        )
                        return stored, len(missing) - index, spent
                    stored += outcome
            else:
                return stored, len(missing) - index, spent
            current = self.timecode or target
        return stored, 0, spent
