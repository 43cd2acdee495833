"""How values from the pipeline read on screen.

Every helper returns ``rich.text.Text`` built with ``Text(...)`` (never ``from_markup``): strings
from the API can contain brackets, and they are shown as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text

from mlbdash.ingest.events import PushChanged
from mlbdash.ingest.views import AlertRow, CheckRow, GameRow
from mlbdash.mlb.dates import LEAGUE_TIMEZONE
from mlbdash.mlb.ordinals import ordinal
from mlbdash.mlb.status import Lifecycle, is_live

DASH = "—"

STATUS_STYLE = {"ok": "green", "degraded": "yellow", "failing": "bold red"}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
ALERT_STYLE = {"firing": "bold red", "pending": "yellow", "resolved": "green"}
_STATE_STYLE = {
    "live": "bold green",
    "delayed": "yellow",
    "suspended": "yellow",
    "postponed": "yellow",
    "cancelled": "dim",
    "final": "dim",
    "unknown": "magenta",
}
_HALF = {"top": "▲", "bottom": "▼", "middle": "mid ", "end": "end "}
_STATUS_RANK = {"ok": 0, "degraded": 1, "failing": 2}
_ALERT_STATUS = {"warning": "degraded", "critical": "failing"}


def plain(value: object, style: str = "") -> Text:
    """Any value as literal text (no markup), or a dash when there is none."""
    if value is None or value == "":
        return Text(DASH, style="dim")
    return Text(str(value), style=style)


# Full team names (before a game's feed gives abbreviations) would push the other columns off
# an 80-column screen; the detail screen shows the matchup whole.
MATCHUP_WIDTH = 24


def matchup(row: GameRow, width: int | None = MATCHUP_WIDTH) -> Text:
    text = Text(f"{row.away} @ {row.home}")
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    if row.double_header in {"Y", "S"} and row.game_number:
        text.append(f" G{row.game_number}", style="dim")
    return text


def state(row: GameRow, width: int | None = None) -> Text:
    """The MLB's detailedState, with the reason when the state does not already say it."""
    label = row.detailed_state or row.state
    if row.reason and row.reason not in label:
        label = f"{label}: {row.reason}"
    text = Text(label, style=_STATE_STYLE.get(row.state, ""))
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


def score(row: GameRow) -> Text:
    if row.away_score is None or row.home_score is None:
        return Text(DASH, style="dim")
    return Text(f"{row.away_score}-{row.home_score}")


def inning(row: GameRow) -> Text:
    """``▲7 2 out`` while live; the last inning played otherwise."""
    if row.inning is None:
        return Text(DASH, style="dim")
    if row.state != "live":
        return Text(ordinal(row.inning), style="dim")
    half = _HALF.get((row.inning_half or "").lower(), "")
    text = Text(f"{half}{row.inning}")
    if row.outs is not None and half in {"▲", "▼"}:
        text.append(f" {row.outs} out", style="dim")
    return text


def age(now: datetime, then: datetime | None) -> Text:
    """How long ago, in the largest unit that fits: 12s, 4m, 3h, 2d."""
    if then is None:
        return Text(DASH, style="dim")
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        label = f"{seconds}s"
    elif seconds < 3600:
        label = f"{seconds // 60}m"
    elif seconds < 86400:
        label = f"{seconds // 3600}h"
    else:
        label = f"{seconds // 86400}d"
    return Text(label, style="yellow" if seconds >= 120 else "")


def count(value: int, style_if_nonzero: str = "") -> Text:
    return Text(str(value), style=style_if_nonzero if value else "dim")


PUSH_MARK = " P"
"""After a game's poll count: it is told of new versions by its push socket (the polls are
then only the backstop); without it, the game is followed by polling alone."""


def polls(row: GameRow) -> Text:
    text = count(row.polls)
    if row.by_push:
        text.append(PUSH_MARK, style="bold cyan")
    return text


@dataclass(frozen=True, slots=True)
class Following:
    """What the dashboard has heard of how a game is followed: whether the run uses push at
    all (None: not known yet) and the game's last push change (None: none yet)."""

    push_on: bool | None = None
    change: PushChanged | None = None


def _wants_socket(row: GameRow) -> bool:
    """A game the runtime follows through its feed (and so gives a socket, with push on)."""
    try:
        lifecycle = Lifecycle(row.state)
    except ValueError:
        return True
    return is_live(lifecycle) or lifecycle in (Lifecycle.suspended, Lifecycle.unknown)


def following(row: GameRow, heard: Following, clock: DisplayClock) -> Text:
    """``followed by push since 19:00:03 ET (...)`` or ``followed by polling: <why>``."""
    change = heard.change
    by_push = change.by_push if change is not None else row.by_push
    text = Text("followed by ", style="dim")
    text.append("push" if by_push else "polling", style="bold cyan" if by_push else "bold")
    if change is not None:
        text.append(f" since {clock.time(change.at)} {clock.label(change.at)}", style="dim")
    if by_push:
        text.append(", polled as a backstop", style="dim")
        return text
    if heard.push_on is False:
        why = "push is off"
    elif change is not None:
        why = change.reason
    elif heard.push_on is None:
        return text
    elif not _wants_socket(row):
        why = "push sockets are for games under way"
    else:
        why = "no push socket yet"
    text.append(": ", style="dim")
    # A game under way that push cannot follow is worth a look; one that is over is not.
    trouble = change is not None and bool(heard.push_on) and _wants_socket(row)
    text.append(why, style="yellow" if trouble else "")
    return text


def status(value: str) -> Text:
    return Text(value, style=STATUS_STYLE.get(value, ""))


def severity(value: str) -> Text:
    return Text(value, style=SEVERITY_STYLE.get(value, ""))


def overall_health(checks: Iterable[CheckRow], alerts: Iterable[AlertRow] = ()) -> str:
    """The worst check status, raised by a firing alert (a warning to ``degraded``, a critical
    one to ``failing``): the header never says ``ok`` while an alert fires. ``ok`` when
    nothing has reported yet."""
    statuses = [check.status for check in checks]
    statuses += [_ALERT_STATUS.get(a.severity, "degraded") for a in alerts if a.state == "firing"]
    return max(statuses, key=lambda status: _STATUS_RANK.get(status, 0), default="ok")


@dataclass(frozen=True)
class DisplayClock:
    """The one zone every time on screen and in file names is shown in.

    The league's by default (the league date beside it is Eastern too, so a 7 pm first pitch
    reads 19:00, not a next-day UTC hour), or this computer's (``zone`` None: the system's
    zone at each instant, so a change to or from daylight time is followed).
    """

    zone: tzinfo | None = LEAGUE_TIMEZONE
    league: bool = True

    @classmethod
    def named(cls, setting: str) -> DisplayClock:
        """``league`` or ``local`` (the ``[display] clock`` setting)."""
        return cls(None, False) if setting == "local" else cls()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def label(self, moment: datetime) -> str:
        """``ET`` for the league; the zone's own abbreviation (``CEST``, ``PDT``) otherwise."""
        return "ET" if self.league else self.local(moment).strftime("%Z")

    def time(self, moment: datetime) -> str:
        """``19:04:05``"""
        return self.local(moment).strftime("%H:%M:%S")

    def stamp(self, moment: datetime) -> str:
        """``2026-05-01 19:04:05``"""
        return self.local(moment).strftime("%Y-%m-%d %H:%M:%S")

    def file_stamp(self, moment: datetime) -> str:
        """``20260501-190405-ET``: sorts by time, and names its zone."""
        stamp = self.local(moment).strftime("%Y%m%d-%H%M%S")
        return f"{stamp}-{self.label(moment)}"


LEAGUE_CLOCK = DisplayClock()


def clock_time(now: datetime, speed: float, clock: DisplayClock = LEAGUE_CLOCK) -> str:
    """The (virtual) time with its zone, and the replay speed when it is not real time."""
    label = f"{clock.time(now)} {clock.label(now)}"
    if speed != 1:
        label += f" ×{speed:g}"
    return label


def league_dates(dates: Iterable[object]) -> str:
    items = sorted({str(d) for d in dates})
    if not items:
        return "no league date"
    if len(items) <= 2:
        return ", ".join(items)
    return f"{items[0]} … {items[-1]} ({len(items)} dates)"
