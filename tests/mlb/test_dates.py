from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from mlbdash.mlb.dates import (
    format_api_date,
    format_api_date_us,
    league_today,
    parse_api_date,
    parse_game_date,
    parse_official_date,
    parse_utc_offset,
)


def test_game_date_in_utc() -> None:
    assert parse_game_date("2024-07-01T19:07:00Z") == datetime(2024, 7, 1, 19, 7, tzinfo=UTC)


def test_game_date_with_requested_offset_becomes_utc() -> None:
    parsed = parse_game_date("2022-10-11T21:37:00-04:00")
    assert parsed == datetime(2022, 10, 12, 1, 37, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_game_date_with_fraction() -> None:
    assert parse_game_date("2024-07-01T23:08:27.613Z").microsecond == 613_000


@pytest.mark.parametrize("bad", ["2024-07-01T19:07:00", "yesterday", ""])
def test_game_date_without_zone_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="date-time"):
        parse_game_date(bad)


def test_official_date() -> None:
    assert parse_official_date("2022-10-11") == date(2022, 10, 11)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("-05:00", -5), ("-04:00", -4), ("+09:00", 9), ("-0700", -7), ("Z", 0), ("+00:00", 0)],
)
def test_utc_offsets(text: str, hours: int) -> None:
    assert parse_utc_offset(text).utcoffset(None) == timedelta(hours=hours)


@pytest.mark.parametrize("bad", ["-5", "EST", "-25:00", "+05:75", ""])
def test_bad_utc_offsets(bad: str) -> None:
    with pytest.raises(ValueError, match="offset"):
        parse_utc_offset(bad)


def test_both_api_date_forms() -> None:
    d = date(2024, 7, 1)
    assert format_api_date(d) == "2024-07-01"
    assert format_api_date_us(d) == "07/01/2024"
    assert parse_api_date("2024-07-01") == d
    assert parse_api_date("07/01/2024") == d


@pytest.mark.parametrize("bad", ["2024-02-30", "13/01/2024", "2024/07/01", "7/1/2024", ""])
def test_bad_api_dates(bad: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_api_date(bad)


def test_late_game_stays_on_its_league_day_after_midnight() -> None:
    # NLDS Game 1 2022 (schedule_2022-10-11_to_2022-10-13_postseason): first pitch
    # 2022-10-12T01:37Z, officialDate 2022-10-11. Three hours in it is 00:37 ET the next day.
    first_pitch = parse_game_date("2022-10-12T01:37:00Z")
    assert league_today(first_pitch) == date(2022, 10, 11)
    assert league_today(first_pitch + timedelta(hours=3)) == date(2022, 10, 11)


def test_league_day_turns_over_in_the_morning_eastern() -> None:
    edt = timezone(timedelta(hours=-4))
    assert league_today(datetime(2024, 7, 2, 5, 59, tzinfo=edt)) == date(2024, 7, 1)
    assert league_today(datetime(2024, 7, 2, 6, 0, tzinfo=edt)) == date(2024, 7, 2)
    # Winter: 06:00 EST is 11:00 UTC.
    assert league_today(datetime(2024, 1, 10, 10, 59, tzinfo=UTC)) == date(2024, 1, 9)
    assert league_today(datetime(2024, 1, 10, 11, 0, tzinfo=UTC)) == date(2024, 1, 10)


def test_league_today_refuses_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        league_today(datetime(2024, 7, 1, 12, 0))
