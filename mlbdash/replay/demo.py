"""The bundled demo slate (``mlbdash/data/demo/``) and the layout that makes it a game day.

:func:`demo_server_options` moves every recorded game onto ``today``'s league date and sets
first pitches around a 7 pm Eastern virtual start, so that at launch two games are final,
five are live (three replaying their recorded pitches, two recorded live snapshots) and three
are still pre-game; two postponed games from a real Opening Day schedule are listed too.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from mlbdash.replay.world import ReplayOptions

LEAGUE_ZONE = ZoneInfo("America/New_York")
DEMO_START = time(19, 0)
"""Virtual start of the demo, league (Eastern) time."""

# First pitch relative to the virtual start, per bundled game. Full games last about three
# hours, so a game that began five hours earlier is final and one that began an hour ago is live.
DEMO_FIRST_PITCH = {
    744914: timedelta(hours=-5),
    777687: timedelta(hours=-4, minutes=-15),
    662751: timedelta(hours=-2),
    718096: timedelta(hours=-1),
    718263: timedelta(minutes=-20),
    718322: timedelta(minutes=20),
    718594: timedelta(minutes=45),
    747175: timedelta(hours=1, minutes=30),
    # Recorded live snapshots: shown as recorded, mid-game, from launch on.
    633860: timedelta(hours=-3),
    776567: timedelta(minutes=-30),
}


def demo_today() -> date:
    """Today's league date (Eastern), the day the demo is laid out on by default."""
    return datetime.now(LEAGUE_ZONE).date()


def demo_data_path() -> Path:
    """The bundled slate, laid out like tests/fixtures/ (feed/, schedule/, timestamps/, other/)."""
    return Path(str(resources.files("mlbdash").joinpath("data", "demo")))


def demo_start(today: date) -> datetime:
    return datetime.combine(today, DEMO_START, tzinfo=LEAGUE_ZONE)


def demo_server_options(today: date, *, speed: float = 1.0) -> ReplayOptions:
    """Replay options that lay the demo slate out on ``today``; the same date, the same layout."""
    start = demo_start(today)
    return ReplayOptions(
        data=demo_data_path(),
        speed=speed,
        start=start,
        rebase_date=today,
        first_pitches={game_pk: start + offset for game_pk, offset in DEMO_FIRST_PITCH.items()},
    )
