"""GameFollower: the one follower of a game's feed, for ``mlbdash ingest`` and ``mlbdash game``.

It fetches the whole feed once and then asks diffPatch from the feed's own
``metaData.timeStamp``. A diffPatch answer comes in one of three shapes (``mlb.patch``): a list
of blocks, one per version the server made since then, applied one at a time so each version
is handed over under its own timecode with its own ops (two runs that poll at different
moments store the same version list); an empty list (nothing new); or the whole feed, when the
follower fell too far behind (after a restart, an outage). Any doubt (a patch that does not
apply, a timeStamp that does not land where the block said, an unusable answer) drops the
merged feed and fetches the whole feed again, with a ``FeedRefetched`` event saying why.

Every path that moves the game forward (diff blocks, a whole-feed answer, the refetch after a
doubt, the first update after a restart) ends in one step, :meth:`GameFollower._bring_up_to_date`,
which takes an answer in hand from the last stored timecode to the new one; filling the
versions in between from the game's ``timestamps`` list happens there and nowhere else: in
order, a diffPatch step from the version in hand or, with none in hand (a refetch after a
doubt), each version's whole feed by its timecode. What it cannot get is named in the
update's ``unfilled`` for the runtime to record and try again.

With no ``store_version`` (``mlbdash game``) nothing is archived: versions are only followed.
A request that fails raises ``ApiError`` to the caller (which polls again later); the follower
stays usable: if the merged feed was dropped, the next update starts with a whole fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError, BadResponse
from mlbdash.ingest.events import EventSink, FeedRefetched, discard
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.patch import PatchError, RetypedValue, apply_diff_blocks, last_block_timecode
from mlbdash.mlb.timecode import feed_timecode

VersionKind = Literal["full", "diff"]
UpdateKind = Literal["full", "diff", "none"]
# Store one version: (timecode, kind, feed after it, ops for diffs) -> whether it was new.
StoreVersion = Callable[[str, VersionKind, dict[str, Any], list[Any] | None], Awaitable[bool]]
# Check a diff-merged version against the server before it is stored: (timecode, merged feed)
# -> the whole feed to store in its place when the merge diverged, else None.
MergeVerifier = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
# Read a whole feed before it is kept: where it differs from what the models read ("marks";
# empty when it reads as expected). A mark not confirmed before is a doubt about the copy.
VersionVet = Callable[[dict[str, Any]], frozenset[str]]
SettleOutcome = Literal["replaced", "confirmed", "unsettled"]


@dataclass(frozen=True, slots=True)
class StoredCopies:
    """How a follower reads back a stored version and puts the server's own content in its
    place: given, each diff block stored is checked against the copy the server serves again
    at the next poll (asked from the version before it), and fixed when the first was bad."""

    load: Callable[[str], Awaitable[dict[str, Any] | None]]
    replace: Callable[[str, dict[str, Any]], Awaitable[None]]
    # Resuming: the newest stored versions made from a block each, not yet served twice
    # (their timecodes and blocks, oldest first), and the stored version before them.
    unchecked: tuple[tuple[str, Any], ...] = ()
    before: str | None = None


# A gap longer than this many versions is not filled step by step (the cost would be out of
# proportion); the whole feed is stored and the gap reported.
MAX_BACKFILL = 2000
# A game met with at most this many versions behind it (scheduled, pre-game, warmup and the
# first pitches) is archived from its first version; one met later, mid-game, from the
# present: stepping through hundreds of past versions of every game live when ingest starts
# would hold up the polls that keep the live ones fresh.
HISTORY_MAX_VERSIONS = 40
# Blocks served once are asked again only this long (clock seconds) after the first of them:
# well inside the server's diff window (about 200-300 s), so asking from the version before
# them never turns a 2-byte "nothing new" into a whole feed (a Final, re-checked half an hour
# later, has its blocks served again by a request of their own as soon as it is stored).
PENDING_MAX_AGE_S = 120.0
# A whole feed that looks drifted is fetched again by its timecode at most this many times.
SETTLE_FETCHES = 3


@dataclass(frozen=True, slots=True)
class Settled:
    """A version whose served copy looked drifted, fetched again by its timecode.

    ``replaced``: the server's copy differed and was kept instead (the served one was a bad
    answer); ``confirmed``: the server serves it that way (real drift is persistent), the
    served copy is kept and its marks no longer count as doubts for this game; ``unsettled``:
    no copy could be confirmed (requests failed or every copy differed), the served one is kept.
    """

    timecode: str
    outcome: SettleOutcome
    marks: tuple[str, ...]  # what looked drifted in the copy served first


# Past versions of a game met mid-game fetched per ``backfill`` call: one whole feed, then a
# diffPatch step each, so one call holds the game's follower (and a poll slot) only briefly.
HISTORY_CHUNK = 25


@dataclass(frozen=True, slots=True)
class FollowUpdate:
    """What one ``update`` did."""

    kind: UpdateKind  # "full" when a whole feed was taken, else "diff" when a block was applied
    timecode: str | None
    new_versions: int
    bytes_wire: int
    refetch_reason: str | None = None
    backfilled: int = 0  # versions fetched to fill a gap
    gap_left: int = 0  # versions of a gap that could not be filled
    full_versions: int = 0  # new versions stored from a whole feed
    diff_versions: int = 0  # new versions stored by applying a diff block
    blocks_applied: int = 0
    operations: int = 0  # operations of the blocks applied
    unfilled: tuple[str, ...] = ()  # timecodes of the gap that could not be got this time
    settled: tuple[Settled, ...] = ()  # versions fetched again because they looked drifted


@dataclass(frozen=True, slots=True)
class _Blocks:
    """A diffPatch answer of diff blocks (none: nothing changed)."""

    blocks: list[Any]
    bytes_wire: int


@dataclass(frozen=True, slots=True)
class _Whole:
    """A whole feed in hand, from feed/live or diffPatch; ``reason`` when it is a refetch."""

    feed: dict[str, Any]
    url: str
    bytes_wire: int
    reason: str | None = None


_Answer = _Blocks | _Whole


@dataclass(slots=True)
class _Tally:
    """What the current ``update`` has done so far."""

    whole: bool = False
    blocks: int = 0
    operations: int = 0
    bytes_wire: int = 0
    reason: str | None = None
    backfilled: int = 0
    gap_left: int = 0
    full: int = 0
    diff: int = 0
    unfilled: list[str] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)
    timecodes: list[str] | None = None  # the server's ``timestamps``, once asked this update

    def result(self, timecode: str | None) -> FollowUpdate:
        kind: UpdateKind = "full" if self.whole else "diff" if self.blocks else "none"
        return FollowUpdate(
            kind,
            timecode,
            self.full + self.diff,
            self.bytes_wire,
            self.reason,
            backfilled=self.backfilled,
            gap_left=self.gap_left,
            full_versions=self.full,
            diff_versions=self.diff,
            blocks_applied=self.blocks,
            operations=self.operations,
            unfilled=tuple(self.unfilled),
            settled=tuple(self.settled),
        )


class GameFollower:
    """Keeps one game's raw feed current through diffPatch, handing over every version."""

    def __init__(
        self,
        client: MlbApiClient,
        game_pk: int,
        store_version: StoreVersion | None = None,
        *,
        sink: EventSink = discard,
        clock: Clock | None = None,
        feed: dict[str, Any] | None = None,
        history: bool = False,
        merge_check: MergeVerifier | None = None,
        vet: VersionVet | None = None,
        stored: StoredCopies | None = None,
    ) -> None:
        """``feed``: the last stored version, to resume from (the next update asks diffPatch).
        ``history``: start a game never seen before from its first version when it has not
        gone far yet (HISTORY_MAX_VERSIONS); only with a ``store_version``.
        ``vet``: read each whole feed before it is kept; one with marks not seen confirmed
        is fetched again by its timecode and the server's copy kept (``FollowUpdate.settled``).
        Diff blocks are applied with ``check_types``: one that turns a number into a string
        (or back) is a doubt, like a patch that does not apply.
        ``stored``: every diff block is seen twice (``_check_again``); only with a store."""
        self.client = client
        self.game_pk = game_pk
        self._store = store_version
        self._sink = sink
        self._clock = clock or client.clock
        self._feed = feed
        self._last_stored = feed_timecode(feed) if feed is not None else None
        self._history = history and feed is None and store_version is not None
        # True once the game is archived from the server's first version: every version the
        # server lists then belongs in the archive (the runtime's audit counts them all).
        self.from_start = False
        # A game met past HISTORY_MAX_VERSIONS is archived from the present first; this is
        # the version it was met at: the ones before it are owed (``backfill``).
        self.history_before: str | None = None
        self._history_owed = False
        # While ``backfill`` works on a past version: the present (feed, last stored), which
        # is what everyone else still sees.
        self._present: tuple[dict[str, Any] | None, str | None] | None = None
        self._past: dict[str, Any] | None = None  # the last past version ``backfill`` stored
        self._merge_check = merge_check
        self._vet = vet
        # Marks the server confirmed by serving the same copy again: persistent drift, kept.
        self._confirmed: frozenset[str] = frozenset()
        self._stored = stored if store_version is not None else None
        # Diff blocks stored but served once, oldest first, and the version before the first:
        # the next diffPatch is asked from there, so the server serves each of them again.
        self._pending: list[tuple[str, Any]] = []
        self._before_pending: str | None = None
        self._pending_since = self._clock.now()
        if self._stored is not None and feed is not None and self._stored.unchecked:
            self._pending = list(self._stored.unchecked)
            self._before_pending = self._stored.before
        self._tally = _Tally()
        self._lock = asyncio.Lock()

    @property
    def feed(self) -> dict[str, Any] | None:
        """The current version; the follower's own dict, patched in place: read, do not keep."""
        return self._feed if self._present is None else self._present[0]

    @property
    def timecode(self) -> str | None:
        feed = self.feed
        return feed_timecode(feed) if feed is not None else None

    @property
    def last_stored(self) -> str | None:
        """The timecode of the last version handed to ``store_version`` (or resumed from)."""
        return self._last_stored if self._present is None else self._present[1]

    async def update(self, *, refresh: bool = False) -> FollowUpdate:
        """Bring the game up to date, handing over each new version. Raises ApiError.

        ``refresh`` (the push socket said ``full_refresh``): the whole feed is fetched instead
        of a diffPatch, and taken through the same step (versions in between still filled).
        """
        async with self._lock:
            self._tally = _Tally()
            if self._history:
                # Cleared once the first version was tried to the end: a request that failed
                # on the way leaves it wanted, and the next poll tries again.
                first = await self._first_version()
                self._history = False
                if first is not None:
                    await self._bring_up_to_date(first)
            if refresh and self._feed is not None:
                self._sink(
                    FeedRefetched(at=self._clock.now(), game_pk=self.game_pk, reason="full_refresh")
                )
                fetched = await self.client.feed(self.game_pk)
                answer: _Answer = _Whole(fetched.data, fetched.url, fetched.bytes_wire)
            else:
                answer = await self._ask()
            await self._bring_up_to_date(answer)
            if self._pending and _final(self._feed):
                # A Final is next asked long after (the late-scoring re-check), past the
                # diff window: its blocks are served again now, not by that poll.
                await self._serve_again()
            if self._history_owed and self._last_stored is not None:
                # Said once; the caller keeps it (and takes it from here).
                self.history_before, self._history_owed = self._last_stored, False
            return self._tally.result(self.timecode)

    async def backfill(
        self,
        owed: list[str],
        store_past: StoreVersion,
        *,
        enough: Callable[[], bool] | None = None,
    ) -> FollowUpdate:
        """Hand the past versions ``owed`` (listed by the server, not stored; oldest first) to
        ``store_past``, the way a gap is filled (:meth:`_fill_versions`): a diffPatch step
        from the past version in hand (kept from the call before), else a whole feed by its
        timecode. As many as HISTORY_CHUNK, and no more once ``enough()`` says so (asked
        before each), so a call never holds the game for long. The version in hand and
        ``last_stored`` stay those of the present. Raises nothing for the server's failures:
        what could not be got is in ``unfilled``."""
        async with self._lock:
            # The merge check and the vetting of whole feeds stay: a past version is checked
            # like any; the present's blocks waiting to be served again stay the present's.
            kept = (self._store, self._tally, self._stored, self._pending, self._before_pending)
            self._present = (self._feed, self._last_stored)
            self._feed, self._store, self._tally = self._past, store_past, _Tally()
            self._stored, self._pending = None, []
            current = feed_timecode(self._past) if self._past is not None else None
            chunk = owed[:HISTORY_CHUNK]
            try:
                await self._fill_versions(current, chunk, enough=enough)
                tally = self._tally
            finally:
                # The last past version stays in hand for the next call, unless that was all.
                done = self._feed is not None and feed_timecode(self._feed) == owed[-1]
                self._past = None if done else self._feed
                (self._feed, self._last_stored), self._present = self._present, None
                (self._store, self._tally, self._stored, self._pending, self._before_pending) = kept
            return tally.result(self.timecode)

    async def _ask(self) -> _Answer:
        """What the server has beyond the current version (the whole feed when there is none)."""
        start = self.timecode
        if self._feed is None or start is None:
            return await self._fetch_whole(None)
        if self._pending and self._before_pending is not None:
            if (self._clock.now() - self._pending_since).total_seconds() <= PENDING_MAX_AGE_S:
                start = self._before_pending
            else:
                self._pending = []  # too old to be served again cheaply: left unchecked
        try:
            fetched = await self.client.diff_patch(self.game_pk, start)
        except BadResponse as exc:
            return await self._fetch_whole(f"diffPatch answer unusable: {exc.reason}")
        answer = fetched.data
        if answer.shape == "full" and answer.feed is not None:
            pk = answer.feed.get("gamePk")
            if pk != self.game_pk:
                return await self._fetch_whole(f"diffPatch sent the whole feed of game {pk}")
            return _Whole(answer.feed, fetched.url, fetched.bytes_wire)
        blocks = answer.blocks
        if self._pending:
            blocks = await self._check_again(blocks)
        return _Blocks(blocks, fetched.bytes_wire)

    async def _check_again(self, blocks: list[Any]) -> list[Any]:
        """Compare the blocks served again with those stored; the new blocks, to apply.

        Two copies of one version's block that differ mean one answer was bad (drift); a
        third copy (diffPatch from the version before to that one) settles which. When it is
        the stored one, that version and those stored after it are rebuilt from the version
        before with the server's blocks and replaced in the store (``Settled`` "replaced").
        A copy not served again stays unchecked: the follower never stops on a doubt.
        """
        current = self._pending[-1][0] if self._pending else self.timecode
        again: dict[str, Any] = {}
        new: list[Any] = []
        for block in blocks:
            timecode = last_block_timecode([block])
            if timecode is not None and current is not None and timecode <= current:
                again[timecode] = block
            else:
                new.append(block)
        pending, self._pending = self._pending, []
        before = self._before_pending
        for index, (timecode, stored) in enumerate(pending):
            served = again.get(timecode)
            if served is not None and served != stored and before is not None:
                later = [(t, again.get(t, b)) for t, b in pending[index + 1 :]]
                await self._settle_block(before, timecode, stored, served, later)
                break
            before = timecode
        return new

    async def _settle_block(
        self,
        before: str,
        timecode: str,
        stored: Any,
        served: Any,
        later: list[tuple[str, Any]],
    ) -> None:
        """Decide between two copies of one version's block (see ``_check_again``)."""
        assert self._stored is not None
        where = _first_difference(stored, served)
        outcome: SettleOutcome = "unsettled"
        third: list[Any] = []
        for _ in range(SETTLE_FETCHES):
            try:
                fetched = await self.client.diff_patch(self.game_pk, before, timecode)
            except ApiError:
                break
            self._tally.bytes_wire += fetched.bytes_wire
            third = fetched.data.blocks
            if third in ([stored], [served]):
                break
        if third == [stored]:
            # The copy served again was the bad one: what is stored stands.
            self._sink(
                FeedRefetched(
                    at=self._clock.now(),
                    game_pk=self.game_pk,
                    reason=f"diff block of {timecode} served unlike before at {where}: "
                    "a third copy equals the stored one (kept)",
                )
            )
            return
        if third == [served]:
            feed = await self._stored.load(before)
            if feed is not None and feed_timecode(feed) == before:
                try:
                    for version, block in [(timecode, served), *later]:
                        feed = apply_diff_blocks(feed, [block], check_types=True)
                        if feed_timecode(feed) != version:
                            raise PatchError(f"landed on {feed_timecode(feed)}, not {version}")
                        await self._stored.replace(version, feed)
                except PatchError:
                    pass  # the stored versions stand; said below as unsettled
                else:
                    self._feed = feed
                    outcome = "replaced"
        self._tally.settled.append(Settled(timecode, outcome, (f"block {where}",)))
        self._sink(
            FeedRefetched(
                at=self._clock.now(),
                game_pk=self.game_pk,
                reason=f"diff block of {timecode} served unlike before at {where}: {outcome}",
            )
        )

    async def _serve_again(self) -> None:
        """Ask the stored blocks seen once again on their own (diffPatch from the version
        before them to the last of them) and compare, when no next diffPatch will serve
        them again in time. A request that fails leaves them pending, as before."""
        if not self._pending or self._before_pending is None:
            return
        with contextlib.suppress(ApiError):
            again = await self.client.diff_patch(
                self.game_pk, self._before_pending, self._pending[-1][0]
            )
            self._tally.bytes_wire += again.bytes_wire
            await self._check_again(again.data.blocks)

    async def _fetch_whole(self, reason: str | None) -> _Whole:
        if reason is not None:
            # The answer that would have served the stored blocks again is not usable: they
            # are asked again on their own, so a bad one is still found (a doubt's cost).
            await self._serve_again()
            self._feed = None
            self._sink(FeedRefetched(at=self._clock.now(), game_pk=self.game_pk, reason=reason))
        fetched = await self.client.feed(self.game_pk)
        return _Whole(fetched.data, fetched.url, fetched.bytes_wire, reason)

    async def _bring_up_to_date(self, answer: _Answer) -> None:
        """The one step from the last stored version to the one ``answer`` leads to.

        Blocks are applied and handed over one version at a time; at the first doubt the
        whole feed is fetched and taken through this same step. A whole feed newer than the
        last stored version has the versions in between filled from ``timestamps`` first
        (when the feed they build on is in hand), then is taken as a version of its own.
        """
        self._tally.bytes_wire += answer.bytes_wire
        if isinstance(answer, _Blocks):
            for block in answer.blocks:
                doubt = await self._apply_block(block)
                if doubt is not None:
                    await self._bring_up_to_date(await self._fetch_whole(doubt))
                    return
            return
        since, newest = self._last_stored, feed_timecode(answer.feed)
        if self._store is not None and since is not None and newest is not None and newest > since:
            await self._fill_gap(since, newest)
        await self._adopt(answer, doubted=answer.reason is not None)

    async def _apply_block(self, block: Any) -> str | None:
        """Apply one block and hand its version over; why it failed, or None."""
        assert self._feed is not None
        before = feed_timecode(self._feed)
        expected = last_block_timecode([block])
        try:
            # In place: a 700 KB feed is never copied per version. On failure it is dropped.
            patched = apply_diff_blocks(self._feed, [block], check_types=self._vet is not None)
        except RetypedValue as exc:
            self._feed = None
            return f"drift in a diff block: {exc}"
        except PatchError as exc:
            self._feed = None
            return f"patch failed: {exc}"
        landed = feed_timecode(patched)
        if expected is None or landed != expected:
            self._feed = None
            return f"timeStamp {landed} after patching, expected {expected}"
        self._feed = patched
        self._tally.blocks += 1
        self._tally.operations += len(block["diff"])
        if self._merge_check is not None:
            full = await self._merge_check(landed, patched)
            if full is not None:
                # The merge went wrong somewhere: the server's whole feed for this version is
                # what is kept (as a full version, so later diffs build on it).
                full = await self._vetted(landed, full)
                self._feed = full
                self._pending = []
                await self._keep(landed, "full", full, None)
                return None
        await self._keep(landed, "diff", patched, [block])
        if self._stored is not None:
            if not self._pending:
                self._before_pending = before
                self._pending_since = self._clock.now()
            self._pending.append((landed, block))
        return None

    async def _adopt(self, whole: _Whole, *, doubted: bool = False) -> None:
        """Take a whole feed as the current version and hand it over."""
        feed = whole.feed
        pk = feed.get("gamePk")
        if pk is not None and pk != self.game_pk:
            raise BadResponse(whole.url, f"feed is for game {pk}, not {self.game_pk}")
        timecode = feed_timecode(feed)
        if timecode is None:
            raise BadResponse(whole.url, "feed has no metaData.timeStamp")
        previous = self._feed
        if "copyright" not in feed and previous is not None and "copyright" in previous:
            # diffPatch's whole-feed answer is the feed minus its constant copyright line;
            # kept, so a stored version is what feed/live serves for that timecode.
            feed = {"copyright": previous["copyright"], **feed}
        feed = await self._vetted(timecode, feed, doubted=doubted)
        self._feed = feed
        self._pending = []
        self._tally.whole = True
        if whole.reason is not None:
            self._tally.reason = whole.reason
        await self._keep(timecode, "full", feed, None)

    async def settle(
        self, timecode: str, served: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[Settled, ...]]:
        """A whole feed fetched by its timecode outside an update (the runtime filling the
        archive late, after the follower could not): the copy to store, compared with a
        second one as after any doubt, and what was found (for the caller to record)."""
        async with self._lock:
            self._tally = _Tally()
            kept = await self._vetted(timecode, served, doubted=True)
            return kept, tuple(self._tally.settled)

    async def _vetted(
        self, timecode: str, served: dict[str, Any], *, doubted: bool = False
    ) -> dict[str, Any]:
        """The copy of a whole feed to keep: ``served`` unless the server's own copy for its
        timecode, fetched again, says otherwise. Asked only on a doubt: the feed reads with
        drift marks not confirmed before, or it was fetched because of a doubt (``doubted``: a
        bad answer came before it, and a drift the models cannot see, a field dropped, would
        otherwise go unnoticed and be carried by every diff after it).

        Copies are compared whole (but the copyright line), SETTLE_FETCHES at most: a copy
        the server gives twice is its own (the served one, three times when it has marks:
        ``confirmed``, real drift is served the same every time, kept and not doubted again);
        a copy with no new marks replaces a marked one at once (``replaced``). Failing both
        the served copy is kept, ``unsettled``. Each outcome is in ``FollowUpdate.settled``.
        """
        marks = self._vet(served) - self._confirmed if self._vet is not None else frozenset()
        if not marks and not (doubted and self._vet is not None):
            return served
        copies, seen = [served], [1]
        kept = served
        outcome: SettleOutcome | None = "unsettled"
        for _ in range(SETTLE_FETCHES):
            try:
                fetched = await self.client.feed(self.game_pk, timecode=timecode)
            except ApiError:
                break
            self._tally.bytes_wire += fetched.bytes_wire
            copy = fetched.data
            if feed_timecode(copy) != timecode:
                break  # the server does not serve past versions: nothing to compare with
            index = next((i for i, c in enumerate(copies) if _same_content(c, copy)), None)
            if index is None:
                copies.append(copy)
                seen.append(1)
                index = len(copies) - 1
                if marks and self._vet is not None and not (self._vet(copy) - self._confirmed):
                    kept, outcome = copy, "replaced"
                    break
            else:
                seen[index] += 1
            if seen[index] >= (3 if index == 0 and marks else 2):
                kept = copies[index]
                outcome = "replaced" if index else "confirmed" if marks else None
                break
        if outcome == "confirmed":
            self._confirmed |= marks
        if outcome is None:
            return kept  # a doubted copy the server gave again: nothing to say
        shown = sorted(marks) or ["served unlike the server's second copy"]
        self._tally.settled.append(Settled(timecode, outcome, tuple(shown)))
        listed = ", ".join(shown[:3]) + (" ..." if len(shown) > 3 else "")
        self._sink(
            FeedRefetched(
                at=self._clock.now(),
                game_pk=self.game_pk,
                reason=f"version {timecode} fetched again ({listed}): {outcome}",
            )
        )
        return kept

    async def _keep(
        self, timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
    ) -> None:
        new = True if self._store is None else await self._store(timecode, kind, feed, ops)
        self._last_stored = timecode
        if new:
            if kind == "full":
                self._tally.full += 1
            else:
                self._tally.diff += 1

    async def _first_version(self) -> _Whole | None:
        """The game's first version (None when there are too many or the server lists none)."""
        timecodes = await self.client.timestamps(self.game_pk)
        self._tally.timecodes = timecodes
        if not timecodes:
            return None
        if len(timecodes) > HISTORY_MAX_VERSIONS and not self.from_start:
            self._history_owed = True  # the present first; the history in the background
            return None
        self.from_start = True
        fetched = await self.client.feed(self.game_pk, timecode=timecodes[0])
        if feed_timecode(fetched.data) != timecodes[0]:
            return None  # the server does not serve past versions: start from the present
        return _Whole(fetched.data, fetched.url, fetched.bytes_wire)

    async def _fill_gap(self, since: str, newest: str) -> None:
        """Hand over the versions strictly between ``since`` and ``newest`` (part of
        :meth:`_bring_up_to_date`), in order: a diffPatch step from the version in hand, or,
        when there is none (a refetch after a doubt) or the step fails, that version's whole
        feed by its timecode. What could not be got is named in ``unfilled`` (and counted in
        ``gap_left``) for the runtime to record and try again; the newest is stored anyway."""
        tally = self._tally
        timecodes = tally.timecodes
        if timecodes is None or newest not in timecodes:
            # The list asked earlier in this update (a game's first version) is used again
            # when it already reaches ``newest``: the list only grows, so it holds the gap.
            try:
                timecodes = await self.client.timestamps(self.game_pk)
            except ApiError:
                tally.gap_left += 1  # a gap of unknown size: the runtime's audit fills it later
                return
        missing = [t for t in timecodes if since < t < newest]
        if len(missing) > MAX_BACKFILL:
            tally.gap_left += len(missing)
            tally.unfilled.extend(missing)
            return
        await self._fill_versions(since, missing)

    async def _fill_versions(
        self, current: str | None, missing: list[str], *, enough: Callable[[], bool] | None = None
    ) -> None:
        """Hand over ``missing`` in order, from the version ``current`` in hand (if any);
        ``enough``: stop once it says so (asked before each version)."""
        tally = self._tally
        for target in missing:
            if enough is not None and enough():
                break
            stored_before = tally.full + tally.diff
            got = (
                self._feed is not None and current is not None and await self._step(current, target)
            )
            if not got:
                got = await self._whole_version(target)
            tally.backfilled += tally.full + tally.diff - stored_before
            if got:
                current = target
            else:
                tally.gap_left += 1
                tally.unfilled.append(target)

    async def _step(self, current: str, target: str) -> bool:
        """One diffPatch step from the version in hand to ``target``; whether it landed."""
        start = current
        if self._pending and self._before_pending is not None:
            start = self._before_pending  # the stored block served again (see _check_again)
        try:
            fetched = await self.client.diff_patch(self.game_pk, start, target)
        except ApiError:
            return False
        self._tally.bytes_wire += fetched.bytes_wire
        answer = fetched.data
        if answer.shape == "full" and answer.feed is not None:
            # Two versions further apart than the server's diff window: it sends the whole
            # feed as of ``target``, which is that version in full.
            if feed_timecode(answer.feed) != target:
                return False
            await self._adopt(_Whole(answer.feed, fetched.url, 0))
            return True
        if answer.shape != "blocks" or not answer.blocks:
            return False
        blocks = await self._check_again(answer.blocks) if self._pending else answer.blocks
        for block in blocks:
            doubt = await self._apply_block(block)
            if doubt is not None:
                self._sink(FeedRefetched(at=self._clock.now(), game_pk=self.game_pk, reason=doubt))
                return False
        return self._feed is not None and feed_timecode(self._feed) == target

    async def _whole_version(self, target: str) -> bool:
        """Fetch one past version whole by its timecode and take it; whether that worked."""
        try:
            fetched = await self.client.feed(self.game_pk, timecode=target)
        except ApiError:
            return False
        if feed_timecode(fetched.data) != target:
            return False  # the server did not give that version
        # Fetched after a doubt: compared with a second copy before it is kept.
        await self._adopt(_Whole(fetched.data, fetched.url, fetched.bytes_wire), doubted=True)
        return True


def _final(feed: dict[str, Any] | None) -> bool:
    """The feed says ``abstractGameState: Final``."""
    game = feed.get("gameData") if feed is not None else None
    status = game.get("status") if isinstance(game, dict) else None
    return isinstance(status, dict) and status.get("abstractGameState") == "Final"


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two copies of one version alike but for the copyright line (diffPatch's whole answer
    has none)."""
    return {k: v for k, v in a.items() if k != "copyright"} == {
        k: v for k, v in b.items() if k != "copyright"
    }


def _first_difference(a: Any, b: Any) -> str:
    """The path of the first op that differs between two copies of a block ("/" if none)."""
    ops_a = a.get("diff", []) if isinstance(a, dict) else []
    ops_b = b.get("diff", []) if isinstance(b, dict) else []
    for op_a, op_b in zip(ops_a, ops_b, strict=False):
        if op_a != op_b:
            path = op_a.get("path") if isinstance(op_a, dict) else None
            return path if isinstance(path, str) else "/"
    return "/"
