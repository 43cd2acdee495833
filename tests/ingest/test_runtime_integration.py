"""Runtime integration: the sampled merge check, worker heartbeats, poll accounting.

Driven against the replay server on a real recorded game (662751) with a ManualClock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from runtime_harness import DAY, GAME, Harness, drive, replay_harness

from mlbdash.errors import MlbdashError
from mlbdash.ingest import follower as follower_module
from mlbdash.ingest.events import (
    Event,
    FeedRefetched,
    GameUpdated,
    RequestFinished,
    ScheduleGameUpdated,
    WorkerHeartbeat,
    WorkerStopped,
)
from mlbdash.ingest.monitor.health import CheckResult, Workers
from mlbdash.ingest.retry import RetryPolicy
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.validator.crossref import sample_for_merge_check
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.timecode import feed_timecode


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with replay_harness(tmp_path) as built:
        yield built


# --- the sampled merge check ------------------------------------------------------------------

RATE = 0.1


async def test_a_diverged_merge_is_replaced_by_the_full_feed_and_recorded(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One diff block is applied wrongly (as a buggy patcher or a bad block would); the
    sampled check against feed/live?timecode= catches it, records MERGE_DIVERGED, emits
    FeedRefetched and stores the server's feed for that version instead of the broken one."""
    tampered: list[str] = []
    original = follower_module.apply_diff_blocks

    def apply_wrongly(feed: dict[str, Any], blocks: list[Any], **kw: bool) -> dict[str, Any]:
        patched = original(feed, blocks, **kw)
        timecode = feed_timecode(patched)
        if not tampered and timecode and sample_for_merge_check(GAME, timecode, RATE):
            patched["liveData"]["linescore"]["teams"]["home"]["hits"] = 99
            tampered.append(timecode)
        return patched

    monkeypatch.setattr(follower_module, "apply_diff_blocks", apply_wrongly)
    clock = harness.clock
    await clock.advance(75 * 60)
    events: list[Event] = []
    async with Runtime(
        harness.settings,
        clock=clock,
        tracked=TrackedDates.single(DAY),
        db_path=harness.db,
        merge_check_rate=RATE,
    ) as rt:
        rt.subscribe(events.append)
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        summary = await run
        assert summary.complete
        (timecode,) = tampered

        refetched = [e for e in events if isinstance(e, FeedRefetched)]
        assert [e.game_pk for e in refetched] == [GAME]
        assert "/liveData/linescore/teams/home/hits" in refetched[0].reason
        async with rt.store.read() as conn:
            rows = await finding_rows.list_findings(conn, game_pk=GAME)
        diverged = [r for r in rows if r.rule == "MERGE_DIVERGED"]
        assert len(diverged) == 1
        assert diverged[0].timecode == timecode
        assert diverged[0].path == "/liveData/linescore/teams/home/hits"
        # Corrected by the refetch, and saying so.
        assert (diverged[0].status, diverged[0].correction) == ("resolved", "refetch")

        # The archive holds the server's version, as a full one; later diffs built on it.
        server = (await rt.client.feed(GAME, timecode=timecode)).data
        stored = await rt.store.load_version(GAME, timecode)
        assert stored == server
        kinds = {v.timecode: v.kind for v in await rt.store.list_versions(GAME)}
        assert kinds[timecode] == "full"
        latest = await rt.store.load_latest_feed(GAME)
        assert latest is not None
        final = (await rt.client.feed(GAME)).data
        assert latest[1]["liveData"]["linescore"] == final["liveData"]["linescore"]
        # Only merged versions that diverged were replaced: the rest are still diffs.
        assert list(kinds.values()).count("diff") > 10


async def test_sound_merges_are_checked_without_findings(harness: Harness) -> None:
    clock = harness.clock
    await clock.advance(75 * 60)
    events: list[Event] = []
    async with Runtime(
        harness.settings,
        clock=clock,
        tracked=TrackedDates.single(DAY),
        db_path=harness.db,
        merge_check_rate=RATE,
    ) as rt:
        rt.subscribe(events.append)
        run = asyncio.create_task(rt.run(until_done=True))
        await drive(rt, clock, run)
        summary = await run
        versions = await rt.store.list_versions(GAME)
    assert summary.complete and summary.findings["error"] == 0
    assert not [e for e in events if isinstance(e, FeedRefetched)]
    diffs = [v.timecode for v in versions if v.kind == "diff"]
    sampled = [t for t in diffs if sample_for_merge_check(GAME, t, RATE)]
    assert sampled
    # One request per sampled merged version, with its timecode, and one for the Final
    # version (always checked) when that came as a diff; the game was met mid-game, so each
    # piece of its history fetched after starts with a whole version by its timecode.
    checked = {
        parse_qs(urlsplit(e.url).query)["timecode"][0]
        for e in events
        if isinstance(e, RequestFinished) and e.kind == "feed" and "timecode=" in e.url
    }
    history = {v.timecode for v in versions if v.kind == "full"}
    assert set(sampled) <= checked
    assert checked - set(sampled) <= {diffs[-1], *history}
    # A check asks only for the parts it compares (fields=), the Final's too: no version is
    # fetched whole but the history's. The parts are a small share of the whole feed's bytes.
    asked = [
        e
        for e in events
        if isinstance(e, RequestFinished) and e.kind == "feed" and "timecode=" in e.url
    ]
    partial = [e for e in asked if "fields=" in e.url]
    whole = [e for e in asked if "fields=" not in e.url]
    final = versions[-1].timecode
    assert diffs[-1] == final  # the Final came as a diff, so it was checked
    assert {parse_qs(urlsplit(e.url).query)["timecode"][0] for e in partial} == {
        *sampled,
        final,
    }
    assert {parse_qs(urlsplit(e.url).query)["timecode"][0] for e in whole} <= history
    feeds = [e for e in events if isinstance(e, RequestFinished) and e.kind == "feed"]
    largest = max(e.bytes_decoded for e in feeds)
    assert all(e.bytes_decoded < largest / 5 for e in partial)


# --- worker heartbeats ------------------------------------------------------------------------

LOOPS = {"scheduler", "monitor", "request-log", "findings-view"}


async def test_long_lived_loops_beat_and_a_crashed_one_fails_the_workers_check(
    harness: Harness,
) -> None:
    clock = harness.clock
    beating: set[str] = set()
    all_beating = asyncio.Event()
    crashed = asyncio.Event()
    stopped: list[WorkerStopped] = []

    def watch(event: Event) -> None:
        if isinstance(event, WorkerHeartbeat):
            beating.add(event.worker)
            if beating >= LOOPS:
                all_beating.set()
        elif isinstance(event, WorkerStopped):
            stopped.append(event)
            if event.error:
                crashed.set()

    async with Runtime(
        harness.settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=harness.db
    ) as rt:
        assert _workers(rt).reason == "no workers registered"
        rt.subscribe(watch)
        run = asyncio.create_task(rt.run())
        await asyncio.wait_for(all_beating.wait(), 10)
        check = _workers(rt)
        assert check.status == "ok" and check.reason == f"{len(LOOPS)} alive", check

        async def broken() -> None:
            raise RuntimeError("findings view broke")

        # The findings view loop re-reads every couple of seconds: its next pass crashes.
        rt.refresh_findings = broken  # type: ignore[method-assign]
        await asyncio.wait_for(crashed.wait(), 10)
        (stop,) = [s for s in stopped if s.error]
        assert stop.worker == "findings-view"
        assert stop.error == "RuntimeError: findings view broke"
        check = _workers(rt)
        assert check.status == "failing"
        assert "findings-view (RuntimeError: findings view broke)" in check.reason
        await rt.monitor.tick()
        firing = [(a.rule, a.key) for a in rt.monitor.alerts.firing()]
        assert ("worker_crashed", "findings-view") in firing
        rt.stop()
        await run
        # A clean end is no crash: the loops that stopped with the run are forgotten.
        assert {s.worker for s in stopped if s.error is None} >= LOOPS - {"findings-view"}


def _workers(rt: Runtime) -> CheckResult:
    (check,) = [c for c in rt.monitor.checks() if c.name == "workers"]
    return check


async def test_silence_is_judged_in_real_seconds_on_a_fast_clock() -> None:
    """At speed 600 a worker beating every real second is 600 clock seconds apart: alive."""
    clock = ManualClock(datetime(2026, 5, 1, 23, 0, tzinfo=UTC))
    workers = Workers(speed=600.0)
    workers.beat("scheduler", clock.now())
    await clock.advance(600)
    assert workers.silent_for(clock.now()) == {"scheduler": 1.0}
    await clock.advance(20 * 600)
    assert workers.silent_for(clock.now()) == {"scheduler": 21.0}


# --- poll accounting --------------------------------------------------------------------------


class FlakyFeeds(httpx.AsyncBaseTransport):
    """Forwards to the replay server; while ``failing``, the game's feed requests get a 503."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failing = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.failing and f"/game/{GAME}/feed/live" in request.url.path:
            return httpx.Response(503, json={"message": "unavailable"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_failed_polls_and_schedule_reads_do_not_count_as_successful_polls(
    harness: Harness,
) -> None:
    clock = harness.clock
    await clock.advance(75 * 60)
    transport = FlakyFeeds()
    events: list[Event] = []
    async with Runtime(
        harness.settings,
        clock=clock,
        tracked=TrackedDates.single(DAY),
        db_path=harness.db,
        transport=transport,
        retry=RetryPolicy(attempts=1),
    ) as rt:
        rt.subscribe(events.append)
        run = asyncio.create_task(rt.run())
        polls = rt.monitor.metrics.games

        def plain_updates() -> list[GameUpdated]:
            return [e for e in events if type(e) is GameUpdated and e.game_pk == GAME]

        def failed_requests() -> int:
            return sum(
                1
                for e in events
                if isinstance(e, RequestFinished) and e.kind in ("feed", "diff_patch") and e.error
            )

        for _ in range(50):  # a few good polls
            await rt.wait_idle()
            if len(plain_updates()) >= 3:
                break
            await clock.advance(10)
        # The first schedule read listed the game: a row for displays, not a poll.
        listed = [e for e in events if isinstance(e, ScheduleGameUpdated)]
        assert listed and listed[0].game_pk == GAME and listed[0].update == "none"
        good = len(plain_updates())
        assert good >= 3 and polls.book(GAME).polls_ok == good

        schedule_reads = rt.ledger.by_kind["schedule"]
        transport.failing = True
        for _ in range(50):  # polls fail; the schedule is read again meanwhile
            with contextlib.suppress(MlbdashError):  # the refresh says the polls failed
                await rt.refresh_now()
            await rt.wait_idle()
            if failed_requests() >= 3:
                break
            await clock.advance(10)
        failed = failed_requests()
        assert failed >= 3
        assert len(plain_updates()) == good  # no "nothing new" after a failed poll
        book = polls.book(GAME)
        assert (book.polls_ok, book.polls_failed) == (good, failed)
        assert rt.ledger.by_kind["schedule"] > schedule_reads

        transport.failing = False
        for _ in range(50):  # past the back-off, a poll succeeds again
            await clock.advance(10)
            await rt.wait_idle()
            if len(plain_updates()) > good:
                break
        assert len(plain_updates()) > good
        assert polls.book(GAME).polls_ok == len(plain_updates())
        track = rt.scheduler.tracks[GAME]
        assert track.polls == len(plain_updates()) + failed
        rt.stop()
        await run
