"""Auditing a game's archive against the server's ``timestamps`` list, and filling it late.

The follower fills gaps in order as it brings a game up to date (``GameFollower._fill_gap``);
what it could not get then, versions before the first stored one of a game archived from its
start, and anything a stored Final's audit finds missing are fetched here by timecode and
stored whole (logged late: the store keeps rebuilds right). What still cannot be got is named
in the returned audit, which the runtime records as a ``VERSION_GAP`` finding that keeps the
game incomplete until a later try fills it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mlbdash.ingest.audit import GameAudit, compare_versions
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.store import Store
from mlbdash.mlb.timecode import feed_timecode

# Store one version filled in late: (timecode, whole feed) -> whether it was new.
StoreLate = Callable[[str, dict[str, Any]], Awaitable[bool]]

# Versions fetched per try: a game with more missing than this is filled over several polls
# (each version is a whole feed, about 100 KB), so one try never holds a poll slot for long.
MAX_FILL_PER_TRY = 300


class ArchiveKeeper:
    def __init__(self, store: Store, client: MlbApiClient) -> None:
        self.store = store
        self.client = client

    async def fill(
        self,
        game_pk: int,
        store_late: StoreLate,
        *,
        final_stored: bool,
        from_start: bool,
        history_before: str | None = None,
        server: Sequence[str] | None = None,
    ) -> tuple[GameAudit, int]:
        """Fill what the server lists and the archive lacks, then audit: (audit, filled).

        Raises nothing for the server's failures (they are in the audit); a failed write
        raises StoreError like any other.
        """
        if server is None:
            try:
                server = await self.client.timestamps(game_pk)
            except ApiError as exc:
                return GameAudit(game_pk, 0, 0, error=f"timestamps: {exc.reason}"), 0
        log = await self.store.version_log(game_pk)
        audit = compare_versions(
            game_pk,
            server,
            log,
            final_stored=final_stored,
            from_start=from_start,
            up_to_newest=True,
            history_before=history_before,
        )
        filled = 0
        # Only versions older than the newest stored (the audit counts no others): a newer
        # one is the follower's to take, as a diff on the newest.
        for timecode in audit.missing[:MAX_FILL_PER_TRY]:
            try:
                fetched = await self.client.feed(game_pk, timecode=timecode)
            except ApiError:
                continue  # still missing: the audit below names it
            feed = fetched.data
            if feed_timecode(feed) != timecode or feed.get("gamePk") not in (None, game_pk):
                continue  # the server did not give that version
            filled += int(await store_late(timecode, feed))
        if filled:
            log = await self.store.version_log(game_pk)
            audit = compare_versions(
                game_pk,
                server,
                log,
                final_stored=final_stored,
                from_start=from_start,
                history_before=history_before,
            )
        return audit, filled
