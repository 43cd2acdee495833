"""The bundled demo slate (``mlbdash/data/demo/``), laid out as a game day with a plan of trouble.

:func:`demo_server_options` moves the demo's games onto ``today``'s league date with first
pitches around a 7 pm Eastern virtual start: one game is final at launch, three are live, one
starts three minutes in, and one is a recorded live snapshot that never moves (a frozen feed).
No team plays twice. On top, a seeded, scripted plan (``DEMO_PLAN``, described in the README)
makes the pipeline's safeguards show within the first two minutes at speed 1:

- WSH @ AZ's feed sends ``gameData.weather`` renamed (schema drift: info findings at once);
- from 0:30 to 0:55, MIN @ LAA's home runs read one more than its innings add up to (a scoring
  inconsistency flagged at error level, on the versions of 0:37 and 0:48; the version of 1:11
  corrects it);
- TEX @ COL's recorded snapshot never advances: after 60 s of play the frozen_feed alert fires;
- from 1:00 to 1:45, every request answers 429 with ``Retry-After: 15`` (the budget backs off,
  alerts fire, and resolve once the API answers again).

The dashboard runs the demo with shorter alert settings (``DEMO_ALERTS``) so that the alerts
fire and resolve in minutes, not in the quarter hours a real night needs.

The edited versions are derived from the real recordings at serve time, and say so in
``mlbdash/data/demo/SOURCES.md``; ``plan=False`` serves every bundled recording with no trouble
(the server's own tests and the benchmark use that).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mlbdash.replay.edits import FeedEdit
from mlbdash.replay.faults import parse_fault_spec
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


# The demo's own slate: each team once (the recordings hold MIN in three games, TOR and HOU in
# two), offsets from the virtual start as above.
DEMO_PLAN_FIRST_PITCH = {
    744914: timedelta(hours=-5),  # HOU @ TOR: final at launch
    718096: timedelta(hours=-2, minutes=-30),  # MIN @ LAA: the scoring inconsistency
    777687: timedelta(hours=-1, minutes=-10),  # CIN @ CHC
    718263: timedelta(minutes=-20),  # WSH @ AZ: the schema drift
    718594: timedelta(minutes=3),  # BOS @ TB: pre-game, first pitch three minutes in
    633860: timedelta(hours=-3),  # TEX @ COL: recorded snapshot, the frozen feed
}
DRIFT_GAME = 718263
SCORING_GAME = 718096
FROZEN_GAME = 633860
SCORING_WINDOW = (timedelta(seconds=30), timedelta(seconds=55))
THROTTLE = "429=0:retry-after=10,throttle=@00:01:20+30s"
DEMO_ALERTS = {"frozen_feed_s": 60.0, "rate_window_s": 30.0, "resolve_hold_s": 15.0}
"""The ``[alerts]`` settings ``mlbdash --demo`` runs with, so each alert of the plan fires and
resolves within the first minutes (the defaults, for a real night: 900, 300 and 300 s)."""
DEMO_SEED = 14


def renamed_weather(feed: dict[str, Any]) -> dict[str, Any]:
    """``gameData.weather`` sent as ``gameData.weatherReport``: a field renamed upstream."""
    game_data = dict(feed.get("gameData", {}))
    if "weather" in game_data:
        game_data["weatherReport"] = game_data.pop("weather")
    return {**feed, "gameData": game_data}


def home_run_miscounted(feed: dict[str, Any]) -> dict[str, Any]:
    """The home team's linescore runs one more than its innings add up to."""
    live = dict(feed.get("liveData", {}))
    linescore = dict(live.get("linescore", {}))
    teams = dict(linescore.get("teams", {}))
    home = dict(teams.get("home", {}))
    if isinstance(home.get("runs"), int):
        home["runs"] += 1
    teams["home"] = home
    linescore["teams"] = teams
    live["linescore"] = linescore
    return {**feed, "liveData": live}


def demo_plan(start: datetime) -> dict[int, tuple[FeedEdit, ...]]:
    """The derived versions of the plan, by game."""
    scoring_from, scoring_to = SCORING_WINDOW
    return {
        DRIFT_GAME: (FeedEdit(None, None, renamed_weather, "gameData.weather renamed"),),
        SCORING_GAME: (
            FeedEdit(
                start + scoring_from,
                start + scoring_to,
                home_run_miscounted,
                "home runs one more than the innings add up to",
            ),
        ),
    }


def demo_today() -> date:
    """Today's league date (Eastern), the day the demo is laid out on by default."""
    return datetime.now(LEAGUE_ZONE).date()


def demo_data_path() -> Path:
    """The bundled slate, laid out like tests/fixtures/ (feed/, schedule/, timestamps/, other/)."""
    return Path(str(resources.files("mlbdash").joinpath("data", "demo")))


def demo_start(today: date) -> datetime:
    return datetime.combine(today, DEMO_START, tzinfo=LEAGUE_ZONE)


def demo_server_options(today: date, *, speed: float = 1.0, plan: bool = True) -> ReplayOptions:
    """Replay options that lay the demo out on ``today``; the same date, the same layout.

    ``plan``: the demo's slate and plan of trouble; False serves every bundled recording
    (``DEMO_FIRST_PITCH``) with no faults or derived versions.
    """
    start = demo_start(today)
    if not plan:
        return ReplayOptions(
            data=demo_data_path(),
            speed=speed,
            start=start,
            rebase_date=today,
            first_pitches={pk: start + offset for pk, offset in DEMO_FIRST_PITCH.items()},
        )
    return ReplayOptions(
        data=demo_data_path(),
        speed=speed,
        start=start,
        rebase_date=today,
        first_pitches={pk: start + offset for pk, offset in DEMO_PLAN_FIRST_PITCH.items()},
        games=frozenset(DEMO_PLAN_FIRST_PITCH),
        edits=demo_plan(start),
        faults=parse_fault_spec(THROTTLE),
        seed=DEMO_SEED,
    )
