"""Poll intervals and priorities by game state (pure, no clock needed beyond a fixed now)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mlbdash.config import PollSettings
from mlbdash.ingest.scheduler import GameTrack, Phase, PollPolicy, Priority, ScheduleEntry
from mlbdash.mlb.status import classify_status

NOW = datetime(2024, 7, 1, 17, 0, tzinfo=UTC)
POLICY = PollPolicy(PollSettings())


def _entry(first_pitch: datetime | None, *, tbd: bool = False) -> ScheduleEntry:
    return ScheduleEntry(
        game_pk=1,
        schedule_date=date(2024, 7, 1),
        official_date=date(2024, 7, 1),
        game_time=first_pitch,
        status=classify_status("Preview", "S", "S", "Scheduled"),
        away="HOU",
        home="TOR",
        start_time_tbd=tbd,
    )


def _track(
    status_code: str, *, wait: float | None = None, phase: Phase = Phase.FOLLOW
) -> GameTrack:
    from mlbdash.mlb.status import status_list

    row = next(s for s in status_list() if s["statusCode"] == status_code)
    status = classify_status(
        row["abstractGameState"], row["codedGameState"], row["statusCode"], row["detailedState"]
    )
    track = GameTrack(game_pk=1, entry=_entry(NOW), status=status, phase=phase)
    track.wait_s = wait
    return track


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        (timedelta(hours=5), 1800.0),
        (timedelta(hours=1), 300.0),
        (timedelta(minutes=10), 60.0),
        (timedelta(minutes=-20), 60.0),  # past first pitch and still not started
    ],
)
def test_preview_interval_tightens_towards_first_pitch(until: timedelta, expected: float) -> None:
    track = GameTrack(game_pk=1, entry=_entry(NOW + until), status=_entry(NOW).status)
    assert POLICY.preview_interval(track, NOW, waiting_on=False) == expected


def test_start_time_tbd_and_doubleheader_game_two_use_the_near_interval() -> None:
    tbd = GameTrack(
        game_pk=1, entry=_entry(NOW + timedelta(minutes=5), tbd=True), status=_entry(NOW).status
    )
    assert POLICY.preview_interval(tbd, NOW, waiting_on=False) == 300.0
    soon = GameTrack(game_pk=2, entry=_entry(NOW + timedelta(minutes=5)), status=_entry(NOW).status)
    assert POLICY.preview_interval(soon, NOW, waiting_on=True) == 300.0


def test_live_interval_is_the_servers_wait_with_a_floor() -> None:
    assert POLICY.live_interval(10) == 10
    assert POLICY.live_interval(1) == 5.0  # live_min_s
    assert POLICY.live_interval(None) == 10.0  # live_default_s


@pytest.mark.parametrize(
    ("code", "wait", "expected"),
    [
        ("I", 10.0, 10.0),  # In Progress: metaData.wait
        ("PW", 10.0, 10.0),  # Warmup
        ("IR", 10.0, 60.0),  # Delayed: Rain
        ("MA", 10.0, 10.0),  # Manager challenge: a review, still live
        ("TR", 10.0, 600.0),  # Suspended: Rain
    ],
)
def test_follow_interval_by_state(code: str, wait: float, expected: float) -> None:
    assert POLICY.follow_interval(_track(code, wait=wait)) == expected


def test_unknown_status_is_polled_conservatively() -> None:
    status = classify_status("Live", "Z", "ZZ", "Something New")
    assert not status.known
    track = GameTrack(game_pk=1, entry=_entry(NOW), status=status, phase=Phase.FOLLOW)
    track.wait_s = 10
    assert POLICY.follow_interval(track) == 60.0


def test_failure_backoff_is_capped() -> None:
    assert POLICY.failure_interval(10.0, 1) == 10.0
    assert POLICY.failure_interval(10.0, 2) == 20.0
    assert POLICY.failure_interval(10.0, 10) == 60.0
    # A slow interval is never shortened by the cap.
    assert POLICY.failure_interval(600.0, 3) == 600.0


def test_priorities_order_first_live_warmup_final_preview_recheck() -> None:
    first = _track("PW")  # followed, nothing stored yet
    live = _track("I")
    warmup = _track("PW")
    for stored in (live, warmup):
        stored.timecode = "20240701_170000"
    final = _track("F", phase=Phase.FINISHING)
    recheck = _track("F", phase=Phase.RECHECK)
    preview = _track("S", phase=Phase.WATCH)
    ranked = sorted([recheck, preview, final, warmup, live, first], key=POLICY.priority)
    assert ranked == [first, live, warmup, final, preview, recheck]
    assert POLICY.priority(preview) is Priority.PREVIEW
