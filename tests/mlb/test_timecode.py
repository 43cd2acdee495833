from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import load_fixture

from mlbdash.mlb.timecode import format_timecode, is_timecode, parse_timecode


def test_parse_is_utc_aware() -> None:
    assert parse_timecode("20240701_214404") == datetime(2024, 7, 1, 21, 44, 4, tzinfo=UTC)


def test_format_converts_to_utc_and_drops_microseconds() -> None:
    eastern = timezone(timedelta(hours=-4))
    dt = datetime(2024, 7, 1, 17, 44, 4, 999_000, tzinfo=eastern)
    assert format_timecode(dt) == "20240701_214404"


def test_format_refuses_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timecode(datetime(2024, 7, 1, 21, 44, 4))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "20240701-214404",
        "2024071_214404",
        "20240701_2144",
        "20241301_000000",
        "20240701_246000",
        " 20240701_214404",
        "20240701_214404Z",
    ],
)
def test_bad_timecodes_are_refused_with_the_text(bad: str) -> None:
    with pytest.raises(ValueError, match="timecode"):
        parse_timecode(bad)
    assert not is_timecode(bad)


def test_is_timecode_rejects_non_strings() -> None:
    assert not is_timecode(20240701214404)
    assert not is_timecode(None)


def test_every_recorded_timestamp_round_trips() -> None:
    timecodes = load_fixture("timestamps/timestamps_776567_live_20250827.json")
    assert len(timecodes) == 21
    parsed = [parse_timecode(t) for t in timecodes]
    assert [format_timecode(p) for p in parsed] == timecodes
    assert parsed == sorted(parsed)
    assert parsed[0] == datetime(2025, 8, 27, 18, 37, 53, tzinfo=UTC)
