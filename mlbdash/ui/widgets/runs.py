"""Runs by inning as a picture: one bar per team per inning, as tall as the runs scored."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlbdash.ingest.views import Linescore

BARS = "▁▂▃▄▅▆▇█"
NO_RUNS = "·"
CELL = 3  # columns per inning, as wide as "10 " in the header


def bar(runs: int | None, most: int) -> str:
    """A block as tall as ``runs`` against the biggest inning ``most``; a dot for none."""
    if runs is None:
        return " "
    if runs <= 0:
        return NO_RUNS
    step = max(1, round(runs / max(most, 1) * len(BARS)))
    return BARS[min(step, len(BARS)) - 1]


def runs_chart(linescore: Linescore | None, away: str, home: str) -> Text:
    """Three lines: inning numbers, then the away and home bars (a blank for innings to come)."""
    if linescore is None or not linescore.innings:
        return Text("no runs by inning yet", style="dim")
    innings = max(9, max(line.num for line in linescore.innings))
    by_num = {line.num: line for line in linescore.innings}
    most = max(
        [r for line in linescore.innings for r in (line.away_runs, line.home_runs) if r] or [1]
    )
    label_width = max(len(away), len(home), 4)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("runs".ljust(label_width + 1), style="dim")
    text.append("".join(str(n).ljust(CELL) for n in range(1, innings + 1)).rstrip(), style="dim")
    for side, team, style in (("away", away, "cyan"), ("home", home, "magenta")):
        text.append("\n")
        text.append(team.ljust(label_width + 1), style="bold")
        for n in range(1, innings + 1):
            line = by_num.get(n)
            runs = None if line is None else getattr(line, f"{side}_runs")
            text.append(bar(runs, most).ljust(CELL), style=style if runs else "dim")
    return text


class RunsByInning(Static):
    def show(self, linescore: Linescore | None, away: str, home: str) -> None:
        self.update(runs_chart(linescore, away, home))
