"""The late re-check of a Final game is timed from the game's end (its final version's
``metaData.timeStamp``), not from when mlbdash stored it: a past date finishes at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conftest import load_fixture

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import FEED, FeedFacts, Phase, PollPolicy
from mlbdash.ingest.scheduler.core import Scheduler
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule
from mlbdash.mlb.status import classify_status, status_list
from mlbdash.mlb.timecode import format_timecode

DAY = date(2022, 4, 7)
POLL = PollSettings()  # re-check 1800 s after the end


def _final_facts(ended: datetime) -> FeedFacts:
    row = next(s for s in status_list() if s["statusCode"] == "F")
    status = classify_status(
        row["abstractGameState"], row["codedGameState"], row["statusCode"], row["detailedState"]
    )
    return FeedFacts(
        status=status, wait_s=10.0, timecode=format_timecode(ended), update="full", new_versions=1
    )


def _scheduler(now: datetime) -> tuple[Scheduler, list[int]]:
    entries = entries_by_date(
        parse_schedule(load_fixture("schedule/schedule_2022-04-07_2postponed.json"))
    )
    sched = Scheduler(PollPolicy(POLL), [DAY])
    sched.apply_schedule(DAY, entries[DAY], now)
    finals = [pk for pk, t in sched.tracks.items() if t.phase is Phase.FINISHING]
    return sched, finals


def test_a_game_long_over_is_done_as_soon_as_its_final_is_stored() -> None:
    ended = datetime(2022, 4, 8, 2, 30, tzinfo=UTC)
    now = ended + timedelta(hours=2)
    sched, finals = _scheduler(now)
    for pk in finals:
        sched.feed_polled(pk, _final_facts(ended), now)
    assert {sched.tracks[pk].phase for pk in finals} == {Phase.DONE}
    assert sched.finished() and sched.all_stored()
    assert [j for j in sched.due(now + timedelta(days=1)) if j.kind == FEED] == []


def test_a_game_that_just_ended_is_rechecked_the_set_time_after_its_end() -> None:
    ended = datetime(2022, 4, 8, 2, 30, tzinfo=UTC)
    stored_at = ended + timedelta(minutes=10)  # fetched 10 min after the last out
    sched, finals = _scheduler(stored_at)
    pk = finals[0]
    sched.feed_polled(pk, _final_facts(ended), stored_at)
    track = sched.tracks[pk]
    assert track.phase is Phase.RECHECK
    assert track.next_poll_at == ended + timedelta(seconds=POLL.final_recheck_after_s)


def test_a_stored_final_taken_over_after_a_restart_is_done_when_its_window_has_passed() -> None:
    ended = datetime(2022, 4, 8, 2, 30, tzinfo=UTC)
    now = ended + timedelta(hours=5)
    sched, finals = _scheduler(now)
    pk = finals[0]
    sched.restore(
        pk, versions=1, timecode=format_timecode(ended), final_stored=True, done=False, now=now
    )
    assert sched.tracks[pk].phase is Phase.DONE
