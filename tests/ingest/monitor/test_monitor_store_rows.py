"""The alert and roll-up repositories on a temporary database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mlbdash.ingest.store import Store
from mlbdash.ingest.store.alerts import (
    AlertRecord,
    add_alert_event,
    alert_events,
    list_alerts,
    next_alert_id,
    open_alerts,
    save_alert,
)
from mlbdash.ingest.store.metrics import RollupRow, load_rollups, save_rollups
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def episode(id_: int, since: datetime, resolved: datetime | None) -> AlertRecord:
    return AlertRecord(
        id=id_,
        rule="error_rate",
        key="",
        severity="warning",
        state="resolved" if resolved else "firing",
        message=f"episode {id_}",
        pending_since=since,
        fired_at=since,
        resolved_at=resolved,
        acknowledged_at=None,
        silenced_until=None,
    )


async def test_alert_rows_round_trip_and_time_filters(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "a.sqlite3", clock=clock) as store:
        async with store.read() as conn:
            assert await next_alert_id(conn) == 1
        async with store.transaction() as conn:
            await save_alert(conn, episode(1, START - 3 * HOUR, START - 2 * HOUR))
            await save_alert(conn, episode(2, START - HOUR, START + HOUR))
            await save_alert(conn, episode(3, START + 2 * HOUR, None))
            await add_alert_event(conn, 2, at=START - HOUR, state="firing", message="on")
            await add_alert_event(conn, 2, at=START + HOUR, state="resolved", message="off")
            # Saving again updates the row in place.
            await save_alert(conn, episode(3, START + 2 * HOUR, None))
        async with store.read() as conn:
            assert [a.id for a in await list_alerts(conn)] == [3, 2, 1]
            during = await list_alerts(conn, since=START, until=START + 90 * timedelta(minutes=1))
            assert [a.id for a in during] == [2]
            assert [a.id for a in await open_alerts(conn)] == [3]
            assert [(e.state, e.message) for e in await alert_events(conn, 2)] == [
                ("firing", "on"),
                ("resolved", "off"),
            ]
            assert await next_alert_id(conn) == 4
            [third] = await open_alerts(conn)
    assert third == episode(3, START + 2 * HOUR, None)


async def test_rollups_replace_a_minute_and_filter_by_name(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with Store.open(tmp_path / "r.sqlite3", clock=clock) as store:
        async with store.transaction() as conn:
            await save_rollups(
                conn,
                [
                    RollupRow("2024-06-12T04:00Z", "requests", "kind=feed", 10, 10.0),
                    RollupRow("2024-06-12T04:01Z", "requests", "kind=feed", 7, 7.0),
                    RollupRow("2024-06-12T04:01Z", "latency_all_s", "", 3, 0.6, 0.1, 0.3),
                ],
            )
        async with store.transaction() as conn:
            await save_rollups(
                conn, [RollupRow("2024-06-12T04:01Z", "requests", "kind=feed", 8, 8.0)]
            )
        async with store.read() as conn:
            rows = await load_rollups(
                conn,
                first_minute="2024-06-12T04:01Z",
                last_minute="2024-06-12T04:59Z",
                name="requests",
            )
    assert rows == [RollupRow("2024-06-12T04:01Z", "requests", "kind=feed", 8, 8.0)]
