"""Under --follow, finished league dates before today leave the scheduler (and memory); a
date with a game still owed, or a game another tracked date lists, stays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conftest import load_fixture

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import FeedFacts, Phase, PollPolicy
from mlbdash.ingest.scheduler.core import Scheduler
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule
from mlbdash.mlb.status import classify_status, status_list
from mlbdash.mlb.timecode import format_timecode

SEASON = "schedule/schedule_team_pirates_2025_season.json.gz"
JUNE_17, JUNE_18, JUNE_19 = date(2025, 6, 17), date(2025, 6, 18), date(2025, 6, 19)


def _final(ended: datetime) -> FeedFacts:
    row = next(s for s in status_list() if s["statusCode"] == "F")
    status = classify_status(
        row["abstractGameState"], row["codedGameState"], row["statusCode"], row["detailedState"]
    )
    return FeedFacts(status, 10.0, format_timecode(ended), "full", new_versions=1)


def _finish(sched: Scheduler, day: date, now: datetime) -> None:
    for track in list(sched.tracks.values()):
        if day in track.dates and track.phase is Phase.FINISHING:
            sched.feed_polled(track.game_pk, _final(now - timedelta(hours=3)), now)


def test_finished_dates_before_today_are_retired() -> None:
    by_date = entries_by_date(parse_schedule(load_fixture(SEASON)))
    now = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
    sched = Scheduler(PollPolicy(PollSettings()), [JUNE_17, JUNE_18, JUNE_19])
    for day in (JUNE_17, JUNE_18, JUNE_19):
        sched.apply_schedule(day, by_date[day], now)
    _finish(sched, JUNE_17, now)
    on_17 = {t.game_pk for t in sched.tracks.values() if JUNE_17 in t.dates}
    assert on_17 and all(sched.tracks[pk].terminal for pk in on_17)
    # 777464 was postponed on the 18th and made up on the 19th: listed on both.
    assert sched.tracks[777464].dates == {JUNE_18, JUNE_19}

    forgotten = sched.retire_dates(before=JUNE_19)
    assert sched.dates == [JUNE_19]  # the 18th's games are over too (postponed: terminal there)
    assert set(forgotten) >= on_17
    assert 777464 in sched.tracks and sched.tracks[777464].dates == {JUNE_19}
    assert all(d == JUNE_19 for d, _ in sched.entries)
    assert sched.retire_dates(before=JUNE_19) == []


def test_a_date_with_a_game_still_owed_or_never_read_stays() -> None:
    by_date = entries_by_date(parse_schedule(load_fixture(SEASON)))
    now = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
    sched = Scheduler(PollPolicy(PollSettings()), [JUNE_17, JUNE_18])
    sched.apply_schedule(JUNE_17, by_date[JUNE_17], now)  # read, final not yet stored
    assert sched.retire_dates(before=JUNE_19) == []
    assert sched.dates == [JUNE_17, JUNE_18]  # the 18th was never read
