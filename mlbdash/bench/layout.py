"""Where the bench slate sits in virtual time: every bundled game live through the window.

The bundled demo slate (``mlbdash/data/demo``) is laid out so that the recorded games throw
their first pitch shortly after the server starts (``first_pitch_s``, then ``spacing_s``
apart; clones ``clone_stagger`` seconds after one another), so the clients first see every
game in Warmup, as a client that runs all day does, and no client starts mid-game (mlbdash
would then first back-fill the game's whole history, which is not what is measured here).
The window opens one poll interval after the last first pitch; a real game lasts about three
hours, so every game is in progress for the whole window. The date is fixed: the same flags
give the same run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mlbdash.replay.demo import demo_data_path
from mlbdash.replay.faults import parse_fault_spec
from mlbdash.replay.world import ReplayOptions, World

LEAGUE_ZONE = ZoneInfo("America/New_York")
BENCH_DATE = date(2025, 7, 1)
"""The league date the slate is moved onto (a Tuesday in July: a normal game day)."""
VIRTUAL_START = datetime.combine(BENCH_DATE, time(19, 0), tzinfo=LEAGUE_ZONE)
"""The replay server's virtual clock starts here."""
MAX_WINDOW = timedelta(minutes=90)
"""Past this the earliest games may reach Final inside the window."""
WAIT_S = 10.0
"""metaData.wait in every recording: the poll interval both clients follow."""

# The bundled games, in a fixed order for the first-pitch spacing.
SLATE_GAMES = (662751, 718096, 718263, 718322, 718594, 744914, 747175, 777687, 633860, 776567)


@dataclass(frozen=True)
class BenchLayout:
    speed: float
    first_pitch_s: float = 60.0
    """Virtual seconds from the server's start to the first game's first pitch."""
    spacing_s: float = 10.0
    clones: int = 0
    clone_stagger: float = 1.0
    faults: str = ""
    seed: int = 0
    data: Path | None = None
    """Recordings to serve instead of the bundled slate (same layout as mlbdash/data/demo)."""
    games: tuple[int, ...] = SLATE_GAMES
    """The games whose first pitches are placed, in order."""

    @property
    def start(self) -> datetime:
        return VIRTUAL_START

    @property
    def last_first_pitch_s(self) -> float:
        slate = self.first_pitch_s + self.spacing_s * (len(self.games) - 1)
        return slate + round(self.clones * self.clone_stagger)

    @property
    def window_start(self) -> datetime:
        return VIRTUAL_START + timedelta(seconds=self.last_first_pitch_s + WAIT_S)

    def options(self) -> ReplayOptions:
        first_pitches = {
            game_pk: VIRTUAL_START + timedelta(seconds=self.first_pitch_s + index * self.spacing_s)
            for index, game_pk in enumerate(self.games)
        }
        return ReplayOptions(
            data=self.data or demo_data_path(),
            speed=self.speed,
            start=self.start,
            rebase_date=BENCH_DATE,
            first_pitches=first_pitches,
            faults=parse_fault_spec(self.faults),
            seed=self.seed,
            clones=self.clones,
            clone_stagger=self.clone_stagger,
        )

    def argv(self) -> list[str]:
        """The flags of ``python -m mlbdash.bench.server`` that serve this layout."""
        out = ["--speed", repr(self.speed), "--first-pitch", repr(self.first_pitch_s)]
        out += ["--spacing", repr(self.spacing_s)]
        out += ["--clones", str(self.clones), "--clone-stagger", repr(self.clone_stagger)]
        if self.faults:
            out += ["--faults", self.faults, "--seed", str(self.seed)]
        if self.data is not None:
            out += ["--data", str(self.data), "--games", ",".join(str(g) for g in self.games)]
        return out


def live_seconds(world: World, start: datetime, end: datetime) -> dict[int, float]:
    """Virtual seconds each game spends Live (abstractGameState) between start and end."""
    lo, hi = start.timestamp(), end.timestamp()
    out: dict[int, float] = {}
    for game in world.games.values():
        timeline = game.timeline
        if timeline is None:
            continue
        times = timeline.times
        total = 0.0
        for index, begins in enumerate(times):
            # The server serves the first version before its own time too (index_at).
            opens = float("-inf") if index == 0 else float(begins)
            ends = times[index + 1] if index + 1 < len(times) else float("inf")
            if ends <= lo or opens >= hi:
                continue
            if timeline.status(index).get("abstractGameState") == "Live":
                total += min(ends, hi) - max(opens, lo)
        if total > 0:
            out[game.game_pk] = total
    return out


def version_times(world: World, game_pks: Iterable[int]) -> dict[int, list[int]]:
    """Each game's version instants (epoch seconds), as the server publishes them."""
    return {
        pk: list(world.games[pk].timeline.times)  # type: ignore[union-attr]
        for pk in game_pks
        if pk in world.games and world.games[pk].timeline is not None
    }


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
