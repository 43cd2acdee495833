"""Feeds: polling a game, storing each version, validating it, the sampled merge check.

Every version the follower hands over is stored and validated; a sampled diff-merged version
(and always a Final one) is first compared with the server's copy of its main parts for its
timecode (``fields=``), and with the whole feed when they differ.
"""

from __future__ import annotations

from typing import Any

from mlbdash.ingest.audit import AUDIT_RULE, GameAudit
from mlbdash.ingest.errors import ApiError
from mlbdash.ingest.events import FeedRefetched
from mlbdash.ingest.findings import Finding
from mlbdash.ingest.follower import (
    PENDING_MAX_AGE_S,
    FollowUpdate,
    GameFollower,
    Settled,
    StoredCopies,
    VersionKind,
)
from mlbdash.ingest.runtime.archive import ArchiveKeeper
from mlbdash.ingest.runtime.monitoring import Monitoring
from mlbdash.ingest.runtime.pushing import PushLink
from mlbdash.ingest.runtime.recording import (
    announce_findings,
    game_updated,
    record_findings,
    record_transitions,
    write_failed,
)
from mlbdash.ingest.runtime.state import Derived, RuntimeState
from mlbdash.ingest.scheduler import FeedFacts, Phase
from mlbdash.ingest.store import StoreError
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store.feeds import abstract_final
from mlbdash.ingest.store.games import game_fields
from mlbdash.ingest.validator.consistency import PartsCache
from mlbdash.ingest.validator.corrections import CORRECTED_BY_RECHECK, CORRECTED_BY_REFETCH
from mlbdash.ingest.validator.crossref import (
    check_schedule_vs_feed,
    compare_merged_vs_full,
    sample_for_merge_check,
)
from mlbdash.ingest.validator.drift import ModelCheck, settled_finding
from mlbdash.ingest.validator.review import validate_and_record
from mlbdash.ingest.validator.rules import (
    SCHEDULE_FEED_DATE,
    SCHEDULE_FEED_SCORE,
    SCHEDULE_FEED_STATUS,
    SCHEDULE_FEED_TEAMS,
    VERSION_GAP,
)
from mlbdash.ingest.validator.service import (
    FeedContext,
    check_version,
    feed_model_check,
    validate_feed,
)
from mlbdash.mlb.facts import UNKNOWN_TEAM, VersionFacts, version_facts
from mlbdash.mlb.fields import names_for, select_fields
from mlbdash.mlb.timecode import feed_timecode
from mlbdash.mlb.touched import Touched

# Resuming a game: how many of its newest stored diff versions are checked against the
# server's copy of their blocks at the next poll (see GameFollower, StoredCopies).
UNCHECKED_TAIL = 3

# What the sampled merge check compares: the version's own metadata, the status, the line
# score and the play under way.
MERGE_CHECK_PARTS = (
    ("metaData",),
    ("gameData", "status"),
    ("liveData", "linescore"),
    ("liveData", "plays", "currentPlay"),
)
# A Final version is always checked, on those parts and the ones a final result adds: the
# decisions and each team's totals (about 4 KB asked, where the whole feed is 120-140 KB
# gzipped; its blocks' drift is caught by serving them again, see GameFollower).
FINAL_CHECK_PARTS = (
    *MERGE_CHECK_PARTS,
    ("liveData", "decisions"),
    ("liveData", "boxscore", "teams", "away", "teamStats"),
    ("liveData", "boxscore", "teams", "home", "teamStats"),
)
# Share of diff-merged versions checked against a fresh full fetch of the same timecode (a
# Final version always is): one extra request per 50 versions keeps the budget nearly intact.
MERGE_CHECK_RATE = 1 / 50
CROSSREF_RULES = (
    SCHEDULE_FEED_TEAMS.id,
    SCHEDULE_FEED_DATE.id,
    SCHEDULE_FEED_STATUS.id,
    SCHEDULE_FEED_SCORE.id,
)


class VersionKeeper:
    """Feed polls and the versions they store: one follower per game, each version stored,
    its facts derived and validated once, its archive audited and filled."""

    def __init__(self, state: RuntimeState, monitoring: Monitoring, push: PushLink) -> None:
        self.state = state
        self.monitoring = monitoring
        self.push = push

    async def _follower(self, game_pk: int) -> GameFollower:
        state = self.state
        follower = state.followers.get(game_pk)
        if follower is None:
            stored = await state.store.load_latest_feed(game_pk)
            feed = stored[1] if stored else None
            if stored is not None:
                # A restart resumes the backfill of a game met mid-game.
                record = await state.store.get_game(game_pk)
                if record is not None and record.history_before is not None:
                    state.history_owed[game_pk] = record.history_before

            # The model parse of the whole feed last vetted, handed on to its validation so a
            # whole feed is parsed once (a full parse costs tens of milliseconds).
            vetted: dict[int, ModelCheck] = {}

            def vet(feed: dict[str, Any]) -> frozenset[str]:
                check = feed_model_check(feed)
                vetted.clear()
                vetted[id(feed)] = check
                return check.marks

            async def store_version(
                timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
            ) -> bool:
                model = vetted.pop(id(feed), None) if kind == "full" else None
                return await self._store_version(game_pk, timecode, kind, feed, ops, model)

            async def merge_check(timecode: str, merged: dict[str, Any]) -> dict[str, Any] | None:
                return await self._check_merge(game_pk, timecode, merged)

            async def load(timecode: str) -> dict[str, Any] | None:
                return await state.store.load_version(game_pk, timecode)

            async def replace(timecode: str, feed: dict[str, Any]) -> None:
                state = self.state
                facts = version_facts(feed)
                await state.store.replace_version(game_pk, timecode, feed, game_fields(facts))
                held = state.facts.get(game_pk)
                if held is not None and held.timecode == timecode:
                    state.facts[game_pk] = facts

            # A game met while it is being played is archived from its first version; one met
            # already over gets its final feed only (a past date's history costs hundreds of
            # requests per game and nobody was watching it live).
            track = state.scheduler.tracks[game_pk]
            history = state.history and track.phase is Phase.FOLLOW
            if history and feed is None and self._polls_held_back():
                # Met while polls are held back (a 1000-game start): archived from the
                # present first, one request, and its history fetched after, as for a game
                # met past HISTORY_MAX_VERSIONS; its first history steps would hold every
                # game still waiting for its first version.
                history = False
                state.history_deferred.add(game_pk)
            follower = GameFollower(
                state.client,
                game_pk,
                store_version,
                sink=state.emit,
                clock=state.clock,
                feed=feed,
                history=history,
                merge_check=merge_check,
                vet=vet,
                stored=StoredCopies(load, replace, *await self._unchecked(game_pk, feed)),
            )
            state.followers[game_pk] = follower
        return follower

    async def _unchecked(
        self, game_pk: int, feed: dict[str, Any] | None
    ) -> tuple[tuple[tuple[str, Any], ...], str | None]:
        """Resuming from a stored feed: its newest versions stored from one diff block each
        (UNCHECKED_TAIL at most, the ones a poll may not have seen served again before the
        follower was dropped or the process stopped) and the version before them."""
        if feed is None:
            return (), None
        tail = (await self.state.store.list_versions(game_pk))[-(UNCHECKED_TAIL + 1) :]
        newest = feed_timecode(feed)
        if not tail or tail[-1].timecode != newest:
            return (), None
        if (self.state.clock.now() - tail[-1].stored_at).total_seconds() > PENDING_MAX_AGE_S:
            return (), None  # stored too long ago to be served again cheaply (see follower)
        unchecked: list[tuple[str, Any]] = []
        before: str | None = None
        for info in reversed(tail):
            blocks = await self.state.store.version_blocks(game_pk, info.timecode)
            if (
                info.kind != "diff"
                or blocks is None
                or len(blocks) != 1
                or len(unchecked) == UNCHECKED_TAIL
                or (unchecked and info.timecode >= unchecked[0][0])
            ):
                before = info.timecode
                break
            unchecked.insert(0, (info.timecode, blocks[0]))
        return (tuple(unchecked), before) if before is not None else ((), None)

    async def _check_merge(
        self, game_pk: int, timecode: str, merged: dict[str, Any]
    ) -> dict[str, Any] | None:
        """For a sampled (or Final) diff-merged version: the server's whole feed for the same
        timecode when the merge diverged from it (the finding recorded), else None. A sampled
        version is compared on MERGE_CHECK_PARTS, a Final one on FINAL_CHECK_PARTS, asked
        with ``fields=``."""
        state = self.state
        final = abstract_final(merged)
        if not final and not sample_for_merge_check(game_pk, timecode, state.merge_check_rate):
            return None
        # Only the parts compared are asked for (fields=), a few KB instead of the whole feed;
        # the whole feed only when they differ, to say where and to store instead.
        names = names_for(merged, FINAL_CHECK_PARTS if final else MERGE_CHECK_PARTS)
        try:
            parts = await state.client.feed(game_pk, timecode=timecode, fields=names)
        except ApiError:
            return None  # unverified, not wrong: the merged version is kept
        if select_fields(parts.data, names) == select_fields(merged, names):
            return None
        try:
            fetched = await state.client.feed(game_pk, timecode=timecode)
        except ApiError:
            return None  # unverified, not wrong: the merged version is kept
        check = compare_merged_vs_full(merged, fetched.data)
        if check.correction is None:
            return None
        # Two answers for one version disagree: one of them is wrong. A second copy from the
        # server settles which (a bad answer is not served twice alike).
        try:
            again = await state.client.feed(game_pk, timecode=timecode)
        except ApiError:
            return None  # unsettled: the merged version is kept, as when a fetch fails
        check = compare_merged_vs_full(merged, again.data)
        if check.correction is None:
            state.emit(
                FeedRefetched(
                    at=state.clock.now(),
                    game_pk=game_pk,
                    reason=f"merge check at {timecode}: the server's first copy differed, "
                    "its second equals the merged version (kept)",
                )
            )
            return None
        # Both copies differ from the merge: the second is kept (the first may be a bad one).
        fetched = again
        track = state.scheduler.tracks.get(game_pk)
        await record_findings(
            self.state, list(check.findings), official_date=track.official_date if track else None
        )
        # The server's feed replaces the broken version below: the finding stays on record,
        # resolved, saying how it was corrected.
        diverged = {f.fingerprint for f in check.findings}
        async with state.store.transaction() as conn:
            for row in await finding_rows.list_findings(conn, game_pk=game_pk):
                if row.fingerprint in diverged:
                    await finding_rows.set_status(
                        conn, row.id, "resolved", correction=CORRECTED_BY_REFETCH
                    )
        state.emit(
            FeedRefetched(at=state.clock.now(), game_pk=game_pk, reason=check.correction.reason)
        )
        return fetched.data

    async def poll_game(self, game_pk: int) -> None:
        state = self.state
        scheduler = state.scheduler
        track = scheduler.tracks[game_pk]
        rechecking = track.phase is Phase.RECHECK
        if rechecking:
            state.rechecking.add(game_pk)
        refresh, track.refresh_asked = track.refresh_asked, False
        follower: GameFollower | None = None
        try:
            follower = await self._follower(game_pk)
            result = await follower.update(refresh=refresh)
            await self._record_settled(game_pk, result.settled)
        except (ApiError, StoreError) as exc:
            if isinstance(exc, StoreError):
                # The follower moved on to a version the store did not take: start again from
                # what is stored, so the next poll fetches that version again.
                state.followers.pop(game_pk, None)
                write_failed(state, "versions", exc.message)
            scheduler.feed_failed(game_pk, exc.message, state.clock.now())
            # No GameUpdated: that says a poll confirmed the stored version, and this one did
            # not (the failed request is in the request log and the monitor's counts).
            self.monitoring.note_poll(game_pk, success=False)
            return
        except BaseException:
            # Cut off mid-update (a deadline, a stop, a bug): same as a failed write.
            state.followers.pop(game_pk, None)
            raise
        finally:
            state.rechecking.discard(game_pk)
            if follower is not None and follower.from_start:
                # Sticky: a follower made again after a failure starts from the present, but
                # the game is still archived from its first version (the audit fills it).
                state.from_start.add(game_pk)
        feed = follower.feed
        assert feed is not None
        if game_pk in state.history_deferred:
            state.history_deferred.discard(game_pk)
            stored = await state.store.list_versions(game_pk)
            if stored:
                follower.history_before = min(v.timecode for v in stored)
        if follower.history_before is not None:
            # Met mid-game: archived from this version; the history before it is owed.
            met, follower.history_before = follower.history_before, None
            await state.store.upsert_game(game_pk, {"history_before": met})
            state.history_owed[game_pk] = met
        summary = state.facts.get(game_pk)
        if summary is None or summary.timecode != follower.timecode:
            # Nothing new stored (the first poll after a restart, or a version stored before):
            # the facts of the version in hand, derived here once.
            summary = version_facts(feed)
            state.facts[game_pk] = summary
        facts = FeedFacts(
            status=summary.status,
            wait_s=summary.wait_s,
            timecode=follower.timecode,
            update=result.kind if result.new_versions else "none",
            new_versions=result.new_versions,
            full_versions=result.full_versions,
            diff_versions=result.diff_versions,
            away_score=summary.away_score,
            home_score=summary.home_score,
            inning=summary.inning,
            inning_half=summary.inning_half,
            outs=summary.outs,
        )
        if summary.away != UNKNOWN_TEAM and summary.home != UNKNOWN_TEAM:
            state.labels[game_pk] = (summary.away, summary.home)
        was = track.phase
        async with state.state_lock:
            changes = scheduler.feed_polled(game_pk, facts, state.clock.now())
            await record_transitions(state, changes)
        self.monitoring.note_poll(game_pk, success=True)
        await self.push.follow(game_pk)
        if self._wants_audit(game_pk, result):
            await self._keep_archive(game_pk)
        if track.phase is not was and track.phase in (Phase.RECHECK, Phase.DONE):
            await state.store.upsert_game(
                game_pk,
                {"done": track.phase is Phase.DONE, "recheck_at": track.next_poll_at},
            )
        game_updated(state, game_pk, facts.update, operations=result.operations)
        if track.terminal:
            state.release_finished()

    def _wants_audit(self, game_pk: int, result: FollowUpdate) -> bool:
        """After a poll: audit (and fill) the game's archive when it may have a gap.

        The follower fills gaps as it brings the game up to date; what it could not get
        (``gap_left``) is tried again here, as are open gaps, and a stored Final is audited
        once (and again whenever a poll brings something new).
        """
        state = self.state
        track = state.scheduler.tracks[game_pk]
        if result.gap_left > 0:
            return True
        if game_pk in state.history_owed:
            # The history of a game met mid-game is fetched at low priority: one game's at a
            # time and, while the game is live, only when no other poll is held back.
            if state.backfilling not in (None, game_pk):
                # Another game's history goes first; a stored Final is audited all the same,
                # so what it owes is a gap (never counted complete) until it is fetched.
                return track.final_stored
            return track.final_stored or not self._polls_held_back()
        if track.archive_gaps:
            return True
        if track.final_stored:
            return bool(result.new_versions) or game_pk not in self.state.audited
        return False

    async def _keep_archive(self, game_pk: int) -> None:
        """Fill what the archive lacks of this game, audit it, record the verdict."""
        state = self.state
        track = state.scheduler.tracks[game_pk]
        keeper = ArchiveKeeper(state.store, state.client)

        # Made again from what is stored when a failure dropped it: every copy stored late is
        # compared with a second one, whatever happened to the follower.
        follower = await self._follower(game_pk)

        async def store_late(timecode: str, feed: dict[str, Any]) -> bool:
            # Fetched because the follower could not get it: a doubt, so compared with a
            # second copy before it is stored, like the follower's own.
            feed, settled = await follower.settle(timecode, feed)
            await self._record_settled(game_pk, settled)
            return await self._store_late_version(game_pk, timecode, feed)

        met = state.history_owed.get(game_pk)
        server: list[str] | None = None
        backfilled = 0
        # Waiting for another game's history to be fetched first is not a failed try.
        waiting = met is not None and state.backfilling not in (None, game_pk)
        if met is not None and not waiting:
            outcome = await self._backfill_history(game_pk, met)
            if outcome is None:
                return  # no time for it this poll: nothing changed since the last audit
            server, backfilled = outcome
        if met is not None and server is not None and backfilled:
            # The history goes on: what is left of it is counted from the stored list (the
            # whole audit rebuilds every version; it runs once the history is all stored).
            stored = {v.timecode for v in await state.store.list_versions(game_pk)}
            left = tuple(t for t in server if t < met and t not in stored)
            audit, filled = GameAudit(game_pk, len(server), len(stored), history=left), 0
        if met is None or server is None or not backfilled or not audit.history:
            audit, filled = await keeper.fill(
                game_pk,
                store_late,
                final_stored=track.final_stored,
                from_start=game_pk in state.from_start,
                history_before=met,
                server=server,
            )
        if met is not None and audit.error is None and not audit.history:
            del state.history_owed[game_pk]  # all of it stored
        gaps = () if audit.clean else (audit.describe(),)
        # A history still being fetched (this try stored some) is named in the gaps, not a
        # finding; a try that got none of it is one, like any other gap, until it is filled.
        fetching = backfilled > 0 and audit.gaps == len(audit.history)
        finding = [] if audit.clean or fetching else [_gap_finding(audit)]
        await record_findings(
            state,
            finding,
            official_date=track.official_date,
            game_pk=game_pk,
            checked=() if fetching else (AUDIT_RULE,),
        )
        if audit.clean and track.final_stored:
            state.audited.add(game_pk)
        else:
            state.audited.discard(game_pk)
        async with state.state_lock:
            state.scheduler.archive_audited(
                game_pk,
                gaps,
                state.clock.now(),
                not_archived=audit.not_archived,
                progressed=filled + backfilled > 0 or waiting,
            )
        if state.backfilling == game_pk and (game_pk not in state.history_owed or track.terminal):
            state.backfilling = None  # done, or given up on: another game's history may go
        if filled:
            track.versions += filled
            track.full_updates += filled

    def _polls_held_back(self) -> bool:
        driver = self.state.driver
        return driver is not None and driver.waiting > 0

    async def _backfill_history(
        self, game_pk: int, met: str
    ) -> tuple[list[str] | None, int] | None:
        """One chunk of the history of a game met mid-game at ``met``, through its follower:
        (the server's list, versions stored), or None when a live game's poll leaves no time
        for it. A failure is left to the audit that follows, which names what is still owed
        (a VERSION_GAP finding) for the next try."""
        state = self.state
        follower = state.followers.get(game_pk)
        track = state.scheduler.tracks[game_pk]
        now = state.clock.now()
        # While the game is live the history takes at most half the time to its next poll.
        stop_at = None
        if not track.final_stored and track.next_poll_at is not None:
            stop_at = now + (track.next_poll_at - now) / 2

        def enough() -> bool:
            # While the game is live: half the time to its next poll is used up, or other
            # polls are held back; and whenever the run is stopping.
            if state.client.aborted:
                return True
            if track.final_stored:
                return False  # its polls only fill the archive now
            return self._polls_held_back() or (stop_at is not None and state.clock.now() >= stop_at)

        if enough():
            return None
        try:
            server = await state.client.timestamps(game_pk)
        except ApiError:
            return None, 0
        if follower is None:
            return server, 0
        stored = {v.timecode for v in await state.store.list_versions(game_pk)}
        owed = [t for t in server if t < met and t not in stored]
        if not owed:
            return server, 0

        async def store_past(
            timecode: str, kind: VersionKind, feed: dict[str, Any], ops: list[Any] | None
        ) -> bool:
            return await self._store_late_version(game_pk, timecode, feed, kind, ops)

        state.backfilling = game_pk
        result = await follower.backfill(owed, store_past, enough=enough)
        await self._record_settled(game_pk, result.settled)
        if not result.new_versions and not result.unfilled:
            return None  # it yielded before the first version: nothing tried, nothing changed
        track.full_updates += result.full_versions
        track.diff_updates += result.diff_versions
        track.versions += result.new_versions
        return server, result.new_versions

    async def _record_settled(self, game_pk: int, settled: tuple[Settled, ...]) -> None:
        """What became of the whole feeds that looked drifted: a finding each (a replaced
        copy's is resolved at once: the archive holds the server's own copy)."""
        if not settled:
            return
        found = [settled_finding(game_pk, s.timecode, s.outcome, s.marks) for s in settled]
        track = self.state.scheduler.tracks.get(game_pk)
        await record_findings(
            self.state, found, official_date=track.official_date if track else None
        )
        replaced = {
            f.fingerprint for f, s in zip(found, settled, strict=True) if s.outcome == "replaced"
        }
        if not replaced:
            return
        async with self.state.store.transaction() as conn:
            for row in await finding_rows.list_findings(conn, game_pk=game_pk):
                if row.fingerprint in replaced and row.status != "resolved":
                    await finding_rows.set_status(
                        conn, row.id, "resolved", correction=CORRECTED_BY_REFETCH
                    )

    async def _store_late_version(
        self,
        game_pk: int,
        timecode: str,
        feed: dict[str, Any],
        kind: VersionKind = "full",
        ops: list[Any] | None = None,
    ) -> bool:
        """Store a version older than the newest (filled in late, or a game's history) and
        validate it alone: it is no one's "previous", and it resolves nothing the newer
        versions still raise."""
        result = await self.state.store.store_version(
            game_pk, timecode, kind, feed, ops, game_fields(version_facts(feed))
        )
        if result.version_id is None:
            return False
        track = self.state.scheduler.tracks.get(game_pk)
        found = validate_feed(feed, context=FeedContext(full=True))
        await record_findings(
            self.state, found, official_date=track.official_date if track else None, game_pk=game_pk
        )
        return True

    async def _store_version(
        self,
        game_pk: int,
        timecode: str,
        kind: VersionKind,
        feed: dict[str, Any],
        ops: list[Any] | None,
        model: ModelCheck | None = None,
    ) -> bool:
        """Store one version and validate it; False when it was already stored.

        The version's facts are derived once here (kept for the poll that brought it) and it
        is validated once; the findings are written only when there is something to record.
        """
        state = self.state
        # Taken out until this version is stored and derived: when it is not, the follower's
        # feed has moved on without it, and what was derived before no longer applies.
        derived = state.derived.pop(game_pk, None)
        touched = derived.touched(feed, ops) if derived is not None else None
        before = derived.facts if derived is not None and touched is not None else None
        facts = version_facts(feed, before=before, touched=touched)
        result = await state.store.store_version(
            game_pk, timecode, kind, feed, ops, game_fields(facts)
        )
        if result.version_id is None:
            return False
        state.facts[game_pk] = facts
        state.write_error = None
        parts = derived.parts if derived is not None else PartsCache()
        state.derived[game_pk] = Derived(feed, facts, parts)
        try:
            await self._validate_stored(game_pk, feed, kind, facts, model, parts, touched)
        except StoreError as exc:
            # The version is stored; what the validator found about it is not.
            write_failed(state, "findings", exc.message, lost=1)
            raise
        return True

    async def _validate_stored(
        self,
        game_pk: int,
        feed: dict[str, Any],
        kind: VersionKind,
        facts: VersionFacts,
        model: ModelCheck | None = None,
        parts: PartsCache | None = None,
        touched: Touched | None = None,
    ) -> None:
        state = self.state
        final = facts.is_final
        track = state.scheduler.tracks.get(game_pk)
        official = track.official_date if track else None
        context = FeedContext(
            previous=state.previous.get(game_pk),
            full=kind == "full",
            model=model,
            parts=parts,
            touched=touched,
        )
        check = check_version(feed, context=context)
        if not check.findings and game_pk in state.clean:
            # Sound, and nothing of this game's is open that it could resolve: no write.
            state.previous[game_pk] = check.summary
        else:
            outcome = await validate_and_record(
                state.store,
                feed,
                context=context,
                official_date=official,
                recheck_delay_s=state.settings.poll.final_recheck_after_s,
                cleared_by=CORRECTED_BY_RECHECK if game_pk in state.rechecking else None,
                check=check,
            )
            state.previous[game_pk] = outcome.summary
            announce_findings(state, outcome.findings, outcome.recorded)
            if outcome.findings:
                state.clean.discard(game_pk)
            else:
                state.clean.add(game_pk)
        if final and track is not None:
            state.crossref_pending.add(game_pk)
            await self.cross_reference(game_pk, feed)

    async def cross_reference(self, game_pk: int, feed: dict[str, Any]) -> None:
        """Schedule versus feed (teams, date, status, final score) once both say Final.

        Done when the later of the two gets there: before that the schedule, read once a
        minute, lags the feed, which is not a finding worth anyone's time.
        """
        state = self.state
        track = state.scheduler.tracks.get(game_pk)
        raw = state.raw_games.get(track.entry.key) if track else None
        if track is None or raw is None:
            return
        status = raw.get("status")
        if not isinstance(status, dict) or status.get("abstractGameState") != "Final":
            return
        state.crossref_pending.discard(game_pk)
        await record_findings(
            state,
            check_schedule_vs_feed(raw, feed),
            official_date=track.official_date,
            game_pk=game_pk,
            checked=CROSSREF_RULES,
        )


def _gap_finding(audit: GameAudit) -> Finding:
    return Finding(
        rule=VERSION_GAP.id,
        severity=VERSION_GAP.severity,
        category=VERSION_GAP.category,
        game_pk=audit.game_pk,
        timecode=None,
        path="/timestamps",
        expected=f"{audit.server - audit.not_archived} versions",
        actual=f"{audit.stored} stored",
        message=f"archive audit: {audit.describe(limit=20)}",
    )
