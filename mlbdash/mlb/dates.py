"""League dates versus UTC instants.

The API gives a game two clocks: ``gameDate``, the first-pitch instant (UTC with ``Z``, or with an
offset such as ``-05:00`` when the request asked for ``timeZone=``), and ``officialDate``, the
league's calendar date of the game, which is local to the ballpark. A 7:10 pm Pacific game has
a ``gameDate`` on the next UTC day and an ``officialDate`` on the day it is played. mlbdash
keeps instants as aware UTC datetimes and league dates as plain ``date``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# The league runs its calendar on Eastern time (schedules, standings, "today's games").
LEAGUE_TIMEZONE = ZoneInfo("America/New_York")


def clock_time(moment: datetime, clock: str = "league") -> str:
    """``19:04:05 ET`` on the league's clock, or ``19:04:05 CEST`` on this computer's
    (``[display] clock = "local"``): messages tell time as the screen does."""
    if clock == "local":
        local = moment.astimezone()
        return f"{local:%H:%M:%S} {local:%Z}"
    return f"{moment.astimezone(LEAGUE_TIMEZONE):%H:%M:%S} ET"


# The league's "today" turns over at 06:00 Eastern, not at midnight: a West Coast game that
# starts at 22:10 ET, or any game held up by rain, is still being played well after midnight
# ET and must stay on today's slate until it ends (users complain when games vanish at
# midnight). 06:00 ET is after the latest real finishes (rain-delayed games have run to about
# 04:00 ET) and before the day's first regular start (about 11:00 ET). The rare overseas game
# (Tokyo, Seoul) starts earlier in ET than this; callers that must see it look at tomorrow too.
LEAGUE_DAY_ROLLOVER = time(6, 0)


def league_time(at: datetime) -> str:
    """An instant as the league's clock shows it: ``20:18:44 ET``."""
    return f"{at.astimezone(LEAGUE_TIMEZONE):%H:%M:%S} ET"


_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def parse_game_date(s: str) -> datetime:
    """The aware UTC instant of a ``gameDate``-style timestamp.

    Accepts ``2024-07-01T19:07:00Z``, fractional seconds (``...27.613Z``) and explicit offsets
    (``2024-07-01T15:07:00-04:00``, what ``timeZone=`` requests return). The result is always
    converted to UTC. Raises ValueError for text without a zone (a naive time would be a guess).
    """
    try:
        dt = datetime.fromisoformat(s)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO-8601 date-time: {s!r}") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"date-time has no UTC offset or Z: {s!r}")
    return dt.astimezone(UTC)


def parse_official_date(s: str) -> date:
    """The league date of an ``officialDate`` (``YYYY-MM-DD``)."""
    return parse_api_date(s)


def parse_utc_offset(s: str) -> timezone:
    """A fixed-offset timezone from ``-05:00``, ``+09:00``, ``-0500``, ``Z`` or ``UTC``."""
    text = s.strip()
    if text in ("Z", "UTC"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise ValueError(f"not a UTC offset (want e.g. -05:00): {s!r}")
    sign, hours, minutes = match.groups()
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"UTC offset out of range: {s!r}")
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def league_today(now: datetime, *, rollover: time = LEAGUE_DAY_ROLLOVER) -> date:
    """The league date that ``now`` belongs to (see LEAGUE_DAY_ROLLOVER for why not midnight)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("league_today needs a timezone-aware datetime")
    local = now.astimezone(LEAGUE_TIMEZONE)
    shifted = local - timedelta(hours=rollover.hour, minutes=rollover.minute)
    return shifted.date()


def format_api_date(d: date) -> str:
    """``YYYY-MM-DD``, the form the API returns and accepts for ``date=``."""
    return d.isoformat()


def format_api_date_us(d: date) -> str:
    """``MM/DD/YYYY``, the other form ``date=``/``startDate=`` accept."""
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def parse_api_date(s: str) -> date:
    """A date in either API form: ``2024-07-01`` or ``07/01/2024``."""
    if isinstance(s, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
                return date.fromisoformat(s)
            if re.fullmatch(r"\d{2}/\d{2}/\d{4}", s):
                return datetime.strptime(s, "%m/%d/%Y").replace(tzinfo=UTC).date()
        except ValueError:
            raise ValueError(f"not a real calendar date: {s!r}") from None
    raise ValueError(f"not a date (want YYYY-MM-DD or MM/DD/YYYY): {s!r}")


def parse_iso(text: str) -> datetime:
    """An ISO-8601 instant (``Z`` or an offset) as aware UTC; naive text is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
