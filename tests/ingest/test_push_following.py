"""Push-first following: the socket's URL and messages, the scheduler's use of push news, and
the push hub against the replay server's socket over real loopback (virtual time stands still
on a ManualClock until the test moves it)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import load_fixture
from runtime_harness import DAY, drive, replay_harness
from runtime_harness import GAME as HARNESS_GAME

from mlbdash.config import PollSettings
from mlbdash.ingest.events import Event, GameUpdated, PushChanged
from mlbdash.ingest.follower import HISTORY_MAX_VERSIONS
from mlbdash.ingest.push import PushHub, PushNews, push_url, read_message
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.runtime.summary import freshness
from mlbdash.ingest.scheduler import FEED, FeedFacts, Phase, PollPolicy, TrackedDates
from mlbdash.ingest.scheduler.core import Job, Scheduler
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.status import classify_status, status_list
from mlbdash.replay.demo import demo_server_options
from mlbdash.replay.exact import ExactTimeline, StoredVersion
from mlbdash.replay.faults import parse_fault_spec
from mlbdash.replay.server import start_replay_server

POLL = PollSettings()
GAME = 718263
LAST = 60  # versions of the harness game made after the runtime starts
RECEIVE_S = 10.0  # a safety net against a hang, never a measure of anything


def test_socket_url_is_derived_from_the_api_url() -> None:
    assert push_url("https://statsapi.mlb.com/api", 745218) == (
        "wss://ws.statsapi.mlb.com/api/v1/game/push/subscribe/gameday/745218"
    )
    assert push_url("http://127.0.0.1:8123/api", 1) == (
        "ws://127.0.0.1:8123/api/v1/game/push/subscribe/gameday/1"
    )


def test_messages_are_read_for_what_they_ask() -> None:
    base = '{"timeStamp":"20240824_201523","updateId":"u1","gamePk":745218,'
    diff = read_message(base + '"gameEvents":[],"changeEvent":{"type":"diff_patch"}}')
    assert diff == ("u1", PushNews("20240824_201523", refresh=False, finished=False))
    refresh = read_message(base + '"gameEvents":[],"changeEvent":{"type":"full_refresh"}}')
    assert refresh is not None and refresh[1].refresh
    done = read_message(base + '"gameEvents":["game_finished"],"changeEvent":{"type":"x"}}')
    assert done is not None and done[1].finished
    assert read_message("not json") is None and read_message("[1]") is None


def _live_scheduler() -> tuple[Scheduler, int, datetime]:
    by_date = entries_by_date(
        parse_schedule(load_fixture("schedule/schedule_2023-08-29_midday_live.json"))
    )
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 0, 30, tzinfo=UTC)
    sched = Scheduler(PollPolicy(POLL), [day])
    sched.apply_schedule(day, by_date[day], now)
    pk = next(t.game_pk for t in sched.tracks.values() if t.phase is Phase.FOLLOW)
    return sched, pk, now


def _facts() -> FeedFacts:
    row = next(s for s in status_list() if s["statusCode"] == "I")
    status = classify_status(
        row["abstractGameState"], row["codedGameState"], row["statusCode"], row["detailedState"]
    )
    return FeedFacts(
        status=status, wait_s=10, timecode="20230830_003000", update="diff", new_versions=1
    )


def test_healthy_push_backs_polling_off_and_news_makes_the_poll_due_now() -> None:
    sched, pk, now = _live_scheduler()
    track = sched.tracks[pk]
    sched.feed_polled(pk, _facts(), now)
    assert track.next_poll_at == now + timedelta(seconds=10)  # polling: metaData.wait
    sched.push_changed(pk, True, now)
    sched.feed_polled(pk, _facts(), now)
    assert track.next_poll_at == now + timedelta(seconds=POLL.push_backstop_s)  # backstop
    later = now + timedelta(seconds=3)
    assert sched.push_news(pk, later, refresh=True)
    assert track.next_poll_at == later and track.refresh_asked
    # News during the poll that covers it: one more poll right after, not one per message.
    sched.poll_started(Job(FEED, pk, sched.policy.priority(track), later), later)
    assert not track.push_asked
    assert sched.push_news(pk, later) and sched.push_news(pk, later)
    sched.feed_polled(pk, _facts(), later)
    assert track.next_poll_at == later
    sched.poll_started(Job(FEED, pk, sched.policy.priority(track), later), later)
    sched.feed_polled(pk, _facts(), later)
    assert track.next_poll_at == later + timedelta(seconds=POLL.push_backstop_s)
    # The socket fails: polling at the normal interval again, from now at the latest.
    sched.push_changed(pk, False, later)
    assert track.next_poll_at == later + timedelta(seconds=10)


def test_the_backstop_backs_off_while_it_finds_nothing_and_not_while_polling() -> None:
    sched, pk, now = _live_scheduler()
    track = sched.tracks[pk]
    nothing = replace(_facts(), update="none", new_versions=0)
    sched.push_changed(pk, True, now)
    sched.feed_polled(pk, _facts(), now)
    waits = []
    for _ in range(4):
        assert track.next_poll_at is not None
        waits.append((track.next_poll_at - now).total_seconds())
        now = track.next_poll_at
        sched.feed_polled(pk, nothing, now)
    # After the last version the first backstop as set; then doubling, capped.
    backstop = POLL.push_backstop_s
    assert waits == [backstop, 2 * backstop, 4 * backstop, 4 * backstop]
    sched.feed_polled(pk, _facts(), now)  # a new version: back to the first interval
    assert track.next_poll_at == now + timedelta(seconds=backstop)
    # Without a socket, polls that find nothing keep the normal interval.
    sched.push_changed(pk, False, now)
    sched.feed_polled(pk, nothing, now)
    sched.feed_polled(pk, nothing, now)
    assert track.next_poll_at == now + timedelta(seconds=10)


def test_news_of_a_version_the_running_poll_stored_asks_for_no_more_polls() -> None:
    sched, pk, now = _live_scheduler()
    track = sched.tracks[pk]
    sched.push_changed(pk, True, now)
    stored = _facts().timecode
    assert stored is not None

    def poll_with_news(*told: str | None) -> None:
        sched.poll_started(Job(FEED, pk, sched.policy.priority(track), now), now)
        for timecode in told:
            assert sched.push_news(pk, now, timecode=timecode)
        sched.feed_polled(pk, _facts(), now)

    # The poll fetched the version before its message came: the backstop, not one more poll.
    poll_with_news("20230830_002950", stored)
    assert track.next_poll_at == now + timedelta(seconds=POLL.push_backstop_s)
    # News of a newer version, or of whatever was made while no socket listened: poll again.
    poll_with_news(stored, "20230830_003005")
    assert track.next_poll_at == now
    poll_with_news(stored, None, stored)
    assert track.next_poll_at == now


def test_schedule_is_read_as_when_idle_while_every_live_game_has_push() -> None:
    sched, _, now = _live_scheduler()
    day = date(2023, 8, 29)
    live = [t for t in sched.tracks.values() if t.phase is Phase.FOLLOW]

    def next_read() -> datetime:
        entries = [t.entry for t in sched.tracks.values()]
        sched.apply_schedule(day, entries, now)
        return next(j.due_at for j in sched.due(now, horizon_s=1e6) if j.kind != FEED)

    assert next_read() == now + timedelta(seconds=POLL.schedule_live_s)
    for track in live:
        sched.push_changed(track.game_pk, True, now)
    assert next_read() > now + timedelta(seconds=POLL.schedule_live_s)
    # One socket fails: the schedule is read at the live interval again, from now.
    sched.push_changed(live[0].game_pk, False, now)
    assert next(
        j.due_at for j in sched.due(now, horizon_s=1e6) if j.kind != FEED
    ) == now + timedelta(seconds=POLL.schedule_live_s)


async def test_hub_reports_each_new_version_once_and_the_end() -> None:
    options = replace(
        demo_server_options(date(2026, 11, 25)),
        faults=parse_fault_spec("push-dup=0.5,push-reorder=0.3"),
        seed=3,
    )
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    news: list[PushNews] = []
    states: list[tuple[bool, str]] = []
    async with start_replay_server(options=options, clock=make_clock) as server:
        clock = clocks[0]
        timeline = server.world.games[GAME].timeline
        assert timeline is not None
        stored: list[str | None] = [None]

        def on_news(game_pk: int, item: PushNews) -> None:
            news.append(item)
            if item.timecode is not None:
                stored[0] = max(stored[0] or "", item.timecode)

        ended, connected = asyncio.Event(), asyncio.Event()

        def on_state(game_pk: int, by_push: bool, why: str) -> None:
            states.append((by_push, why))
            (connected if by_push else ended).set()

        hub = PushHub(
            server.base_url,
            clock,
            on_news=on_news,
            on_state=on_state,
            last_stored=lambda pk: stored[0],
            max_sockets=1,
            silence_s=10_000,
        )
        # Close to the end, so the whole rest of the game is a few dozen messages.
        await clock.advance(timeline.times[-40] - clock.now().timestamp())
        assert hub.follow(GAME) and not hub.follow(GAME + 1)  # bounded: one socket
        # The upgrade is real I/O: waited for while virtual time stands still.
        await asyncio.wait_for(connected.wait(), RECEIVE_S)
        await clock.advance(timeline.times[-1] - clock.now().timestamp())
        await asyncio.wait_for(ended.wait(), RECEIVE_S)
        await hub.close()
    expected = [timeline.timecode(i) for i in range(len(timeline.times) - 39, len(timeline.times))]
    told = [n.timecode for n in news if n.timecode is not None]
    assert news[0].timecode is None  # the catch-up poll on connecting
    # Reordered stragglers older than what was already told are dropped as covered.
    assert set(told) <= set(expected)
    assert len(told) == len(set(told))  # no duplicate reached the runtime
    assert news[-1].finished and news[-1].timecode == expected[-1]
    assert states[0] == (True, "push socket connected")
    assert states[-1] == (False, "game finished")


def test_freshness_is_read_from_stored_versions_made_during_the_run() -> None:
    start = datetime(2024, 7, 1, 19, 0, tzinfo=UTC)
    rows = [
        # History met when the run began: not counted.
        {"timecode": "20240701_185900", "stored_at": "2024-07-01T19:00:01+00:00"},
        *(
            {
                "timecode": f"20240701_19{m:02d}00",
                "stored_at": f"2024-07-01T19:{m:02d}:0{lag}+00:00",
            }
            for m, lag in zip(range(1, 11), (1, 1, 1, 1, 2, 2, 2, 3, 3, 9), strict=True)
        ),
    ]
    got = freshness(rows, start)
    assert got == {"versions": 10, "p50_s": 2.0, "p95_s": 9.0, "p99_s": 9.0}
    assert freshness([], start) == {"versions": 0, "p50_s": None, "p95_s": None, "p99_s": None}


async def test_runtime_with_push_stores_every_version_and_gives_the_socket_back(
    tmp_path: Path,
) -> None:
    """One recorded game met live past HISTORY_MAX_VERSIONS, its last innings followed by push
    (``auto``) while its history is fetched in the background: every version the server made,
    the history and the rest, is stored as the server serves it; the game was told of by its
    socket, and the socket is closed once the game is done."""
    events: list[Event] = []
    async with replay_harness(tmp_path) as harness:
        settings = harness.settings.model_copy(update={"push": "auto"})
        timeline = harness.server.world.games[HARNESS_GAME].timeline
        assert timeline is not None
        # Met live, the last innings to go: lean, and still a game going Final on its socket.
        met = len(timeline.times) - LAST
        assert met > HISTORY_MAX_VERSIONS
        await harness.clock.advance(timeline.times[met] - harness.clock.now().timestamp())
        async with Runtime(
            settings, clock=harness.clock, tracked=TrackedDates.single(DAY), db_path=harness.db
        ) as rt:
            rt.subscribe(events.append)
            run = asyncio.create_task(rt.run(until_done=True))
            await drive(rt, harness.clock, run)
            summary = run.result()
            stored = [v.timecode for v in await rt.store.list_versions(HARNESS_GAME)]
            # Read as the archive holds them and rebuilt in one pass, each on the one before
            # (as an archive replay does): every version's content against the server's.
            payloads = await rt.store.version_payloads(HARNESS_GAME)
    archive = ExactTimeline(
        HARNESS_GAME, [StoredVersion(p.timecode, p.feed, p.blocks) for p in payloads]
    )
    differing = [
        timeline.timecode(index)
        for index in range(len(payloads))
        if _content(archive.build(index)) != _content(timeline.build(index))
    ]
    assert summary.stop_reason == "done" and summary.complete
    # Every version from the first, the history met mid-game included, each as served.
    assert stored == [timeline.timecode(i) for i in range(len(timeline.times))]
    assert [p.timecode for p in payloads] == stored
    assert differing == []
    pushed = [e for e in events if isinstance(e, PushChanged) and e.game_pk == HARNESS_GAME]
    assert pushed[0].by_push and not pushed[-1].by_push
    # The game's row (dashboard, ingest --json) said so while it was told of by push, and
    # named the history still owed while the socket was open.
    rows = [e.row for e in events if isinstance(e, GameUpdated) and e.game_pk == HARNESS_GAME]
    assert any(row.by_push for row in rows) and not rows[-1].by_push
    assert any(row.by_push and (row.archive_gaps or "").startswith("history: ") for row in rows)
    assert rows[-1].archive_gaps is None


def _content(feed: dict[str, Any] | None) -> dict[str, Any] | None:
    # A whole feed from diffPatch has no copyright line (as on the real API): the rest is the
    # version's content.
    return None if feed is None else {k: v for k, v in feed.items() if k != "copyright"}
