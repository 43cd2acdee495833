"""A schedule that cannot be read: asked again on a short backoff, never the idle interval,
with the cause and since when kept for the health check, and coverage unknown meanwhile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conftest import load_fixture

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import SCHEDULE, PollPolicy
from mlbdash.ingest.scheduler.core import Scheduler
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule

DAY = date(2024, 7, 1)
NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def _due_schedule(sched: Scheduler, now: datetime) -> bool:
    return any(job.kind == SCHEDULE for job in sched.due(now))


def test_failed_reads_back_off_from_seconds_to_two_minutes_not_the_idle_interval() -> None:
    sched = Scheduler(PollPolicy(PollSettings()), [DAY])  # idle interval: 900 s
    now = NOW
    waits = []
    for _ in range(8):
        assert _due_schedule(sched, now)
        sched.schedule_failed(DAY, now, "DNS lookup failed for statsapi.mlb.com")
        (status,) = sched.schedule_status()
        assert status.next_read_at is not None
        wait = (status.next_read_at - now).total_seconds()
        assert not _due_schedule(sched, now + timedelta(seconds=wait - 1))
        waits.append(wait)
        now = status.next_read_at
    assert waits == [5, 10, 20, 40, 80, 120, 120, 120]


def test_status_keeps_the_cause_and_since_when_until_a_read_succeeds() -> None:
    sched = Scheduler(PollPolicy(PollSettings()), [DAY])
    began = NOW - timedelta(seconds=8)  # the failed read's own retries took 8 s
    sched.schedule_failed(DAY, NOW, "connection refused by 127.0.0.1:9", began=began)
    sched.schedule_failed(DAY, NOW + timedelta(seconds=20), "HTTP 503")
    (status,) = sched.schedule_status()
    assert status.last_read_at is None
    assert status.failing_since == began
    assert status.last_error == "HTTP 503"
    assert status.failures == 2
    assert sched.coverage() is None  # nothing is known of the date's games
    assert sched.coverage_by_date()[0].coverage is None
    assert not sched.finished()

    entries = entries_by_date(
        parse_schedule(load_fixture("schedule/schedule_2024-07-01_3games.json"))
    )
    read_at = NOW + timedelta(seconds=40)
    sched.apply_schedule(DAY, entries[DAY], read_at)
    (status,) = sched.schedule_status()
    assert (status.last_read_at, status.failing_since, status.last_error, status.failures) == (
        read_at,
        None,
        None,
        0,
    )
    assert sched.coverage() is not None


def test_a_short_normal_interval_is_not_lengthened_by_the_backoff() -> None:
    sched = Scheduler(PollPolicy(PollSettings(schedule_idle_s=3.0)), [DAY])
    sched.schedule_failed(DAY, NOW, "HTTP 500")
    (status,) = sched.schedule_status()
    assert status.next_read_at == NOW + timedelta(seconds=3)
