"""The scheduler's game state machine over real schedules (tests/fixtures/schedule/).

Entries come from real schedule answers through the same adapter the runtime uses; where a
case has no real recording (a traditional doubleheader, a suspension, an unknown code) the
entry is a real one with only the fields under test changed, and the test says so.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from conftest import load_fixture

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import FEED, SCHEDULE, FeedFacts, Phase, PollPolicy, Priority
from mlbdash.ingest.scheduler.core import Scheduler
from mlbdash.ingest.scheduler.coverage import overall_coverage
from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule
from mlbdash.ingest.scheduler.states import ScheduleEntry
from mlbdash.mlb.status import StatusInfo, classify_status, status_list

POLL = PollSettings()


def _schedule(name: str) -> dict[date, list[ScheduleEntry]]:
    return entries_by_date(parse_schedule(load_fixture(f"schedule/{name}")))


def _status(code: str) -> StatusInfo:
    row = next(s for s in status_list() if s["statusCode"] == code)
    return classify_status(
        row["abstractGameState"], row["codedGameState"], row["statusCode"], row["detailedState"]
    )


def _facts(code: str, *, timecode: str = "20240101_000000", wait: float = 10.0) -> FeedFacts:
    return FeedFacts(
        status=_status(code), wait_s=wait, timecode=timecode, update="diff", new_versions=1
    )


def _scheduler(*dates: date) -> Scheduler:
    return Scheduler(PollPolicy(POLL), dates)


def test_postponed_games_are_terminal_and_do_not_count_against_coverage() -> None:
    by_date = _schedule("schedule_2022-04-07_2postponed.json")
    day = date(2022, 4, 7)
    now = datetime(2022, 4, 8, 12, 0, tzinfo=UTC)
    sched = _scheduler(day)
    changes = sched.apply_schedule(day, by_date[day], now)

    assert len(changes) == 9  # every game's first state is recorded, from the schedule
    assert {c.source for c in changes} == {"schedule"}
    phases = {pk: t.phase for pk, t in sched.tracks.items()}
    assert phases[661333] is Phase.GONE and phases[661750] is Phase.GONE
    finals = [pk for pk, p in phases.items() if p is Phase.FINISHING]
    assert len(finals) == 7

    cov = sched.coverage_by_date()[0]
    assert (cov.scheduled, cov.excluded, cov.should_finish, cov.final_stored) == (9, 2, 7, 0)
    assert {g.game_pk for g in cov.gaps} == set(finals)

    # Each Final game gets one full fetch now (priority FINAL), the postponed ones nothing.
    due = [j for j in sched.due(now) if j.kind == FEED]
    assert sorted(j.key for j in due) == sorted(finals)
    assert {j.priority for j in due} == {Priority.FINAL}

    for done, pk in enumerate(finals, start=1):
        sched.feed_polled(pk, _facts("F"), now)
        # The progress line's count, without naming gaps, follows the dates' own rule.
        assert sched.coverage() == overall_coverage(sched.coverage_by_date()) == done / 7
    assert sched.coverage() == 1.0
    assert all(sched.tracks[pk].phase is Phase.RECHECK for pk in finals)
    assert not sched.finished()  # the one re-check is still owed

    later = now + timedelta(seconds=POLL.final_recheck_after_s)
    assert [j for j in sched.due(later - timedelta(seconds=1)) if j.kind == FEED] == []
    rechecks = [j for j in sched.due(later) if j.kind == FEED]
    assert {j.priority for j in rechecks} == {Priority.RECHECK}
    for job in rechecks:
        sched.feed_polled(int(job.key), _facts("F"), later)
    assert sched.finished() and sched.all_stored()
    assert [j for j in sched.due(later + timedelta(days=1)) if j.kind == FEED] == []


def test_rescheduled_game_is_followed_on_its_makeup_date() -> None:
    """gamePk 777464: Postponed on 2025-06-18, played 2025-06-19 as game 2 (rescheduledFrom)."""
    by_date = _schedule("schedule_team_pirates_2025_season.json.gz")
    old, new = date(2025, 6, 18), date(2025, 6, 19)
    now = datetime(2025, 6, 19, 23, 0, tzinfo=UTC)
    sched = _scheduler(old, new)

    first = sched.apply_schedule(old, by_date[old], now)
    assert [(c.game_pk, c.new) for c in first] == [(777464, "postponed")]
    assert sched.tracks[777464].phase is Phase.GONE

    second = sched.apply_schedule(new, by_date[new], now)
    moved = [c for c in second if c.game_pk == 777464]
    assert [(c.old, c.new, c.source) for c in moved] == [("postponed", "final", "schedule")]
    track = sched.tracks[777464]
    assert track.entry.schedule_date == new and track.entry.rescheduled_from == old
    assert track.phase is Phase.FINISHING
    assert track.dates == {old, new}

    sched.feed_polled(777464, _facts("F"), now)
    sched.feed_polled(777451, _facts("F"), now)
    covs = {c.schedule_date: c for c in sched.coverage_by_date()}
    assert (covs[old].should_finish, covs[old].excluded, covs[old].coverage) == (0, 1, 1.0)
    assert (covs[new].should_finish, covs[new].final_stored) == (2, 2)


def test_makeup_date_read_first_is_not_undone_by_the_old_date() -> None:
    by_date = _schedule("schedule_team_pirates_2025_season.json.gz")
    old, new = date(2025, 6, 18), date(2025, 6, 19)
    now = datetime(2025, 6, 19, 23, 0, tzinfo=UTC)
    sched = _scheduler(old, new)
    sched.apply_schedule(new, by_date[new], now)
    changes = sched.apply_schedule(old, by_date[old], now)
    assert changes == []
    assert sched.tracks[777464].entry.schedule_date == new
    assert sched.tracks[777464].phase is Phase.FINISHING


def test_midday_slate_follows_live_games_and_watches_the_rest_through_the_schedule() -> None:
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 0, 30, tzinfo=UTC)
    sched = _scheduler(day)
    sched.apply_schedule(day, by_date[day], now)

    live = [t for t in sched.tracks.values() if t.phase is Phase.FOLLOW]
    watch = [t for t in sched.tracks.values() if t.phase is Phase.WATCH]
    assert (len(live), len(watch)) == (12, 3)
    due = sched.due(now)
    assert [j.kind for j in due].count(FEED) == 12  # no feed polls for Pre-Game games
    # Nothing stored of them yet: each first poll goes before any re-poll.
    assert all(j.priority is Priority.FIRST for j in due if j.kind == FEED)
    first = live[0]
    sched.feed_polled(first.game_pk, _facts("I"), now)
    later = now + timedelta(seconds=10)
    priorities = {j.key: j.priority for j in sched.due(later) if j.kind == FEED}
    assert priorities[first.game_pk] is Priority.LIVE
    assert sorted(priorities.values())[-1] is Priority.LIVE
    assert [j.key for j in sched.due(later)][-1] == first.game_pk
    # With games live, the schedule is read again after schedule_live_s.
    assert sched.next_due_at(now, busy={(FEED, t.game_pk) for t in live}) == now + timedelta(
        seconds=POLL.schedule_live_s
    )

    # A live poll: the next one comes after metaData.wait.
    pk = live[0].game_pk
    sched.feed_polled(pk, _facts("I", wait=10), now)
    assert sched.tracks[pk].next_poll_at == now + timedelta(seconds=10)
    assert [j.key for j in sched.due(now + timedelta(seconds=9)) if j.key == pk] == []


def test_schedule_lagging_behind_the_feed_does_not_move_a_game_backwards() -> None:
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 0, 30, tzinfo=UTC)
    sched = _scheduler(day)
    sched.apply_schedule(day, by_date[day], now)
    pk = 716790  # Pre-Game in this schedule
    assert sched.tracks[pk].phase is Phase.WATCH
    # The schedule says Pre-Game; once the feed is followed and says Final, a stale schedule
    # listing must not undo that.
    sched.tracks[pk].phase = Phase.FOLLOW
    changes = sched.feed_polled(pk, _facts("F"), now)
    assert [(c.old, c.new, c.source) for c in changes] == [("pregame", "final", "feed")]
    again = sched.apply_schedule(day, by_date[day], now + timedelta(seconds=60))
    assert [c for c in again if c.game_pk == pk] == []
    assert sched.tracks[pk].status.lifecycle.value == "final"


def test_preview_cadence_tightens_at_the_edges_before_first_pitch() -> None:
    by_date = _schedule("schedule_2026-03-14_spring_wbc_scheduled.json")
    (day,) = by_date
    first_pitch = min(e.game_time for e in by_date[day] if e.game_time)
    sched = _scheduler(day)
    start = first_pitch - timedelta(hours=5)
    sched.apply_schedule(day, by_date[day], start)
    # Far from every first pitch: the idle cadence.
    assert sched.next_due_at(start) == start + timedelta(seconds=POLL.schedule_idle_s)
    # The next look lands right when the first game comes within 2 hours.
    before = first_pitch - timedelta(hours=2, minutes=10)
    sched.apply_schedule(day, by_date[day], before)
    assert sched.next_due_at(before) == first_pitch - timedelta(hours=2)
    near = first_pitch - timedelta(minutes=18)
    sched.apply_schedule(day, by_date[day], near)
    assert sched.next_due_at(near) == first_pitch - timedelta(minutes=15)
    imminent = first_pitch - timedelta(minutes=10)
    sched.apply_schedule(day, by_date[day], imminent)
    assert sched.next_due_at(imminent) == imminent + timedelta(seconds=POLL.imminent_preview_s)


def _traditional_doubleheader() -> tuple[date, list[ScheduleEntry]]:
    """Derived: the real split doubleheader of 2025-06-19, marked traditional (Y)."""
    by_date = _schedule("schedule_team_pirates_2025_season.json.gz")
    day = date(2025, 6, 19)
    pregame = _status("P")
    entries = [dataclasses.replace(e, double_header="Y", status=pregame) for e in by_date[day]]
    return day, entries


def test_doubleheader_game_two_waits_for_game_one() -> None:
    day, entries = _traditional_doubleheader()
    game1 = next(e for e in entries if e.game_number == 1)
    game2 = next(e for e in entries if e.game_number == 2)
    sched = _scheduler(day)
    # Game 1 under way; game 2's listed time is 10 minutes away, but it waits on game 1.
    now = (game2.game_time or datetime.now(UTC)) - timedelta(minutes=10)
    live1 = dataclasses.replace(game1, status=_status("I"))
    sched.apply_schedule(day, [live1, game2], now)
    assert sched.tracks[game2.game_pk].phase is Phase.WATCH
    feed_jobs = [j.key for j in sched.due(now) if j.kind == FEED]
    assert feed_jobs == [game1.game_pk]
    assert sched._waiting_on_game_one(sched.tracks[game2.game_pk])

    # Game 1 ends: game 2 is no longer held back (imminent cadence from its own time).
    sched.feed_polled(game1.game_pk, _facts("F"), now)
    assert not sched._waiting_on_game_one(sched.tracks[game2.game_pk])
    # Game 2 goes live in the schedule: its feed is followed at once.
    sched.apply_schedule(day, [dataclasses.replace(game2, status=_status("PW"))], now)
    assert sched.tracks[game2.game_pk].phase is Phase.FOLLOW
    # Its first poll, nothing stored yet; then a warmup game's.
    assert [j.priority for j in sched.due(now) if j.key == game2.game_pk] == [Priority.FIRST]
    sched.feed_polled(game2.game_pk, _facts("PW"), now)
    later = now + timedelta(minutes=1)
    assert [j.priority for j in sched.due(later) if j.key == game2.game_pk] == [Priority.WARMUP]


def test_suspended_game_is_polled_slowly_and_parked_when_it_resumes_another_day() -> None:
    """Derived: a real live entry given the real 'Suspended: Rain' status and a resume date."""
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 1, 0, tzinfo=UTC)
    entry = by_date[day][0]
    suspended = dataclasses.replace(entry, status=_status("TR"), resume_date=date(2023, 8, 30))
    sched = _scheduler(day)
    sched.apply_schedule(day, [suspended], now)
    track = sched.tracks[entry.game_pk]
    assert track.phase is Phase.FOLLOW
    sched.feed_polled(entry.game_pk, _facts("TR"), now)
    assert track.next_poll_at == now + timedelta(seconds=POLL.suspended_s)
    # Nothing more will happen today: the run may end, but the game is a coverage gap.
    assert sched.finished()
    assert not sched.all_stored()
    assert sched.coverage() == 0.0
    assert sched.coverage_by_date()[0].gaps[0].state == "suspended"


def test_delay_and_review_and_unknown_status() -> None:
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 1, 0, tzinfo=UTC)
    sched = _scheduler(day)
    sched.apply_schedule(day, by_date[day], now)
    pk = by_date[day][0].game_pk
    track = sched.tracks[pk]

    changes = sched.feed_polled(pk, _facts("IR"), now)
    assert [(c.old, c.new) for c in changes] == [("live", "delayed")]
    assert track.next_poll_at == now + timedelta(seconds=POLL.delayed_s)

    changes = sched.feed_polled(pk, _facts("MA"), now)
    assert [c.new for c in changes] == ["review"]
    assert track.next_poll_at == now + timedelta(seconds=10)

    # Derived: a status code MLB's list does not have. Tracked, reported, polled slowly.
    odd = classify_status("Live", "Z", "ZQ", "Something New")
    unknown = FeedFacts(status=odd, wait_s=10, timecode="20230830_010000", update="none")
    changes = sched.feed_polled(pk, unknown, now)
    assert [c.new for c in changes] == ["unknown"]
    assert track.phase is Phase.FOLLOW
    assert track.next_poll_at == now + timedelta(seconds=POLL.delayed_s)


def test_a_failing_game_keeps_being_polled_with_capped_backoff() -> None:
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 1, 0, tzinfo=UTC)
    sched = _scheduler(day)
    sched.apply_schedule(day, by_date[day], now)
    pk = by_date[day][0].game_pk
    sched.feed_polled(pk, _facts("I", wait=10), now)
    waits = []
    at = now
    for _ in range(8):
        sched.feed_failed(pk, "HTTP 503", at)
        nxt = sched.tracks[pk].next_poll_at
        assert nxt is not None
        waits.append((nxt - at).total_seconds())
        at = nxt
    assert waits == [10, 20, 40, 60, 60, 60, 60, 60]
    gap = sched.coverage_by_date()[0].gaps[0]
    assert "HTTP 503" in gap.reason
    # Recovery: back to the normal interval at once.
    sched.feed_polled(pk, _facts("I", wait=10), at)
    assert sched.tracks[pk].next_poll_at == at + timedelta(seconds=10)


def test_due_jobs_come_most_urgent_first() -> None:
    by_date = _schedule("schedule_2023-08-29_midday_live.json")
    day = date(2023, 8, 29)
    now = datetime(2023, 8, 30, 1, 0, tzinfo=UTC)
    sched = _scheduler(day)
    sched.apply_schedule(day, by_date[day], now)
    finished = by_date[day][1].game_pk
    sched.feed_polled(finished, _facts("F"), now)  # now waiting on its re-check
    late = now + timedelta(hours=1)
    kinds = [(j.kind, j.priority) for j in sched.due(late)]
    priorities = [p for _, p in kinds]
    assert priorities == sorted(priorities)
    assert priorities[0] is Priority.FIRST  # live games with nothing stored yet
    assert (SCHEDULE, Priority.SCHEDULE) in kinds
    assert kinds[-1] == (FEED, Priority.RECHECK)


def test_lateness_is_measured_as_degradation() -> None:
    sched = _scheduler(date(2023, 8, 29))
    now = datetime(2023, 8, 30, 1, 0, tzinfo=UTC)
    job = sched.due(now)[0]
    sched.poll_started(job, now)
    assert sched.lateness.degraded == 0.0
    sched.poll_started(job, now + timedelta(seconds=12))
    assert sched.lateness.degraded == 0.5
    assert sched.lateness.late_s_max == 12.0
