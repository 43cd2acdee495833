"""A game-day database written through the Store from real fixtures, for the report tests.

2024-07-01 (schedule_2024-07-01_3games): HOU @ TOR (744914) went live at 19:07Z, was polled
every 10 s until 21:40Z, then 29 polls failed (HTTP 503) and the poll at 21:45:00 stored its
real final feed (timeStamp 20240701_214404). NYM @ WSH (744840) and MIL @ COL (746535) are
Final by the schedule but not stored; 744840 had three failed feed requests.
2022-04-07 (schedule_2022-04-07_2postponed): 7 Final (none stored), 2 Postponed.
2024-06-11: TEX @ LAD (746139) left live in the 7th: the real t7 feed and its real diffPatch.
Its schedule row is derived from that feed's gameData (no schedule fixture of that date).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from conftest import load_fixture

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.monitor.alerts import FIRING, RESOLVED
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule, stored_entry
from mlbdash.ingest.store import ScheduleEntry, Store
from mlbdash.ingest.store import alerts as alert_rows
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store.games import game_fields as fields_of_facts
from mlbdash.ingest.store.metrics import RollupRow, save_rollups
from mlbdash.ingest.validator import rules as R
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.patch import apply_diff_blocks

JULY1 = date(2024, 7, 1)
APRIL7 = date(2022, 4, 7)
JUNE11 = date(2024, 6, 11)
API = "https://statsapi.mlb.com/api"
LIVE_AT = datetime(2024, 7, 1, 19, 7, tzinfo=UTC)
LAST_OK_POLL = datetime(2024, 7, 1, 21, 40, tzinfo=UTC)
FINAL_AT = datetime(2024, 7, 1, 21, 45, tzinfo=UTC)
# What the day above must give, worked out by hand from the monitor's definitions:
OK_POLLS = 919 + 1  # 19:07:00..21:40:00 every 10 s, and the final poll
FAILED_POLLS = 29 + 3  # 21:40:10..21:44:50 for 744914, three for 744840
LIVE_S = 9480.0  # 19:07:00 -> 21:45:00
# The last good poll was at 21:40:00; the game went final at 21:45:00 with nothing polled in
# between, so the 300 s open interval is stale beyond two 10 s waits.
STALE_S = 280.0


def game_fields(feed: dict[str, Any]) -> dict[str, object]:
    """The games-row columns the runtime writes with a stored version."""
    return fields_of_facts(version_facts(feed))


async def add_schedule(store: Store, rel: str, day: date) -> list[int]:
    """Store a real schedule answer as the runtime does; returns the date's gamePks."""
    raw = load_fixture(rel)
    schedule = parse_schedule(raw)
    listed = {g.game_pk: g for d, g in schedule.games() if d == day and g.game_pk}
    entries = entries_by_date(schedule).get(day, [])
    url = f"{API}/v1/schedule?sportId=1&date={day.isoformat()}"
    await store.store_schedule_snapshot(url, json.dumps(raw).encode())
    await store.upsert_schedule_games([stored_entry(e, listed[e.game_pk]) for e in entries])
    for e in entries:
        await store.upsert_game(
            e.game_pk,
            {"game_type": e.game_type, "away_name": e.away, "home_name": e.home},
        )
    return [e.game_pk for e in entries]


async def move(clock: ManualClock, when: datetime) -> None:
    """Advance the clock to ``when`` (the day is written in time order)."""
    step = (when - clock.now()).total_seconds()
    assert step >= 0, f"clock would go back from {clock.now()} to {when}"
    await clock.advance(step)


def request(
    at: datetime, kind: str, url: str, status: int | None, *, error: str | None = None, **kw: Any
) -> RequestFinished:
    return RequestFinished(
        at=at,
        kind=kind,
        url=url,
        status=status,
        latency_s=kw.pop("latency_s", 0.12),
        bytes_wire=kw.pop("bytes_wire", 2_000),
        bytes_decoded=kw.pop("bytes_decoded", 9_000),
        error=error,
        **kw,
    )


async def july_first(store: Store, clock: ManualClock) -> None:
    await move(clock, datetime(2024, 7, 1, 16, 0, tzinfo=UTC))
    await add_schedule(store, "schedule/schedule_2024-07-01_3games.json", JULY1)
    await store.log_requests(
        [request(clock.now(), "schedule", f"{API}/v1/schedule?sportId=1&date=2024-07-01", 200)]
    )
    await move(clock, datetime(2024, 7, 1, 18, 37, tzinfo=UTC))
    await store.record_state(
        744914, state="pregame", detailed_state="Pre-Game", status_code="P", source="schedule"
    )
    await move(clock, LIVE_AT)
    await store.record_state(
        744914, state="live", detailed_state="In Progress", status_code="I", source="feed"
    )
    diff_url = f"{API}/v1.1/game/744914/feed/live/diffPatch"
    # An empty diffPatch answer is "[]": 2 bytes decoded, 22 gzipped.
    while clock.now() <= LAST_OK_POLL:
        await store.log_requests(
            [request(clock.now(), "diff_patch", diff_url, 200, bytes_wire=22, bytes_decoded=2)]
        )
        await store.record_poll(744914, success=True)
        await clock.advance(10)
    while clock.now() < FINAL_AT:
        await store.log_requests(
            [request(clock.now(), "diff_patch", diff_url, 503, error="HTTP 503", retries=2)]
        )
        await store.record_poll(744914, success=False)
        await clock.advance(10)
    feed = load_fixture("feed/feed_744914_final.json.gz")
    await store.log_requests(
        [
            request(
                FINAL_AT,
                "feed",
                f"{API}/v1.1/game/744914/feed/live",
                200,
                bytes_wire=107_000,
                bytes_decoded=661_000,
            )
        ]
    )
    await store.store_version(
        744914, feed["metaData"]["timeStamp"], "full", feed, None, game_fields(feed)
    )
    await store.record_poll(744914, success=True)
    await store.record_state(
        744914, state="final", detailed_state="Final", status_code="F", source="feed"
    )
    feed_url = f"{API}/v1.1/game/744840/feed/live"
    failed = [
        request(datetime(2024, 7, 1, 22, 45, s, tzinfo=UTC), "feed", feed_url, 500, error="500")
        for s in (0, 10, 20)
    ]
    await store.log_requests(failed)
    async with store.transaction() as conn:
        await finding_rows.record_findings(
            conn,
            [
                R.LINESCORE_RUNS_SUM.finding(
                    game_pk=744914,
                    timecode="20240701_214404",
                    path="/liveData/linescore/teams/home/runs",
                    expected=1,
                    actual=2,
                    message="home runs 2, innings add up to 1",
                ),
                R.LINESCORE_ERRORS_SUM.finding(
                    game_pk=744914,
                    timecode="20240701_214404",
                    path="/liveData/linescore/teams/away/errors",
                    expected=0,
                    actual=1,
                    message="away errors 1, innings add up to 0",
                ),
                R.LINESCORE_ERRORS_SUM.finding(
                    game_pk=744914,
                    timecode="20240701_214404",
                    path="/liveData/linescore/teams/home/errors",
                    expected=1,
                    actual=0,
                    message="home errors 0, innings add up to 1",
                ),
            ],
            now=FINAL_AT,
            official_date=JULY1,
        )
        found = await finding_rows.list_findings(conn, start=JULY1, end=JULY1)
        by_path = {f.path: f.id for f in found}
        await finding_rows.set_status(
            conn, by_path["/liveData/linescore/teams/home/errors"], "acknowledged"
        )
        await finding_rows.set_status(
            conn, by_path["/liveData/linescore/teams/away/errors"], "ignored"
        )
        fired = datetime(2024, 7, 1, 21, 41, tzinfo=UTC)
        await alert_rows.save_alert(
            conn,
            alert_rows.AlertRecord(
                id=1,
                rule="error_rate",
                key="",
                severity="critical",
                state=RESOLVED,
                message="poll errors 100% over 1 min",
                pending_since=datetime(2024, 7, 1, 21, 40, 30, tzinfo=UTC),
                fired_at=fired,
                resolved_at=FINAL_AT,
                acknowledged_at=datetime(2024, 7, 1, 21, 42, tzinfo=UTC),
                silenced_until=None,
            ),
        )
        await alert_rows.add_alert_event(conn, 1, at=fired, state=FIRING, message="errors")
        await alert_rows.save_alert(
            conn,
            alert_rows.AlertRecord(
                id=2,
                rule="coverage_gap",
                key="744840",
                severity="warning",
                state=FIRING,
                message="744840 final not stored",
                pending_since=datetime(2024, 7, 1, 23, 0, tzinfo=UTC),
                fired_at=datetime(2024, 7, 1, 23, 5, tzinfo=UTC),
                resolved_at=None,
                acknowledged_at=None,
                silenced_until=None,
            ),
        )
        await save_rollups(
            conn,
            [
                RollupRow("2024-07-01T21:41Z", "throttled", "kind=diff_patch", 4, sum=4.0),
                RollupRow("2024-07-01T21:41Z", "requests", "kind=diff_patch", 6, sum=6.0),
            ],
        )
    # The last thing recorded: the report's figures are measured up to here.
    await move(clock, datetime(2024, 7, 1, 23, 30, tzinfo=UTC))
    await store.log_requests(
        [request(clock.now(), "schedule", f"{API}/v1/schedule?sportId=1&date=2024-07-01", 304)]
    )


async def april_seventh(store: Store, clock: ManualClock) -> None:
    await move(clock, datetime(2022, 4, 7, 15, 0, tzinfo=UTC))
    await add_schedule(store, "schedule/schedule_2022-04-07_2postponed.json", APRIL7)


async def june_eleventh(store: Store, clock: ManualClock) -> None:
    """746139 live in the 7th; its schedule row is derived from the feed's own gameData."""
    first = load_fixture("feed/feed_746139_live_t7_20240612_041248.json.gz")
    blocks = load_fixture("diffpatch/diffpatch_746139_20240612_041248_to_041302.json")
    data = first["gameData"]
    await store.upsert_schedule_games(
        [
            ScheduleEntry(
                game_pk=746139,
                official_date=JUNE11,
                game_date=datetime.fromisoformat(data["datetime"]["dateTime"]),
                game_official_date=JUNE11,
                game_type=data["game"]["type"],
                status_code=data["status"]["statusCode"],
                coded_game_state=data["status"]["codedGameState"],
                detailed_state=data["status"]["detailedState"],
                abstract_game_state=data["status"]["abstractGameState"],
            )
        ]
    )
    url = f"{API}/v1.1/game/746139/feed/live"
    await move(clock, datetime(2024, 6, 12, 4, 12, 50, tzinfo=UTC))
    await store.record_state(
        746139, state="live", detailed_state="In Progress", status_code="I", source="feed"
    )
    await store.log_requests([request(clock.now(), "feed", url, 200)])
    await store.store_version(746139, "20240612_041248", "full", first, None, game_fields(first))
    await move(clock, datetime(2024, 6, 12, 4, 13, 5, tzinfo=UTC))
    # Applied in place: the first version is already stored.
    second = apply_diff_blocks(first, blocks)
    await store.log_requests([request(clock.now(), "diff_patch", url + "/diffPatch", 200)])
    await store.store_version(
        746139, "20240612_041302", "diff", second, blocks, game_fields(second)
    )


async def game_day_db(path: Path) -> ManualClock:
    """The database above; returns its clock (left at the last recorded instant)."""
    clock = ManualClock(datetime(2022, 4, 7, 15, 0, tzinfo=UTC))
    async with Store.open(path, clock=clock) as store:
        await april_seventh(store, clock)
        await june_eleventh(store, clock)
        await july_first(store, clock)
    return clock
