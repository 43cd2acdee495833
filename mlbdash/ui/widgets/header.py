"""The one-line header: league dates, API target, overall health, virtual clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from mlbdash.ingest.views import AlertRow, CheckRow, api_trouble
from mlbdash.ui import format as fmt
from mlbdash.ui.widgets.lines import TextLines


def store_trouble(checks: Iterable[CheckRow]) -> str | None:
    """A write to the archive that failed (``database_writable`` failing, with its error); None
    while the archive takes every write."""
    for check in checks:
        if check.name == "database_writable" and check.status == "failing":
            return f"DATABASE {check.reason}"
    return None


class StatusHeader(TextLines):
    def show(
        self,
        *,
        league_dates: Iterable[object],
        api_url: str,
        checks: Iterable[CheckRow],
        alerts: Iterable[AlertRow] = (),
        now: datetime,
        speed: float,
        stopped: str | None = None,
        clock: fmt.DisplayClock = fmt.LEAGUE_CLOCK,
    ) -> None:
        checks = list(checks)
        health = "failing" if stopped else fmt.overall_health(checks, alerts)
        # Most important first, so a narrow terminal cuts the API address, not the health.
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" mlbdash ", style="bold reverse")
        line.append(" ")
        line.append(f" {health} ", style=f"reverse {fmt.STATUS_STYLE.get(health, '')}")
        if stopped:
            line.append(f" {stopped}", style="red")
        # A lost write matters more than a slow API: it is the archive itself.
        trouble = store_trouble(checks) or api_trouble(checks)
        if trouble:
            line.append(f" {trouble}", style="red")
        line.append("  ")
        line.append(fmt.clock_time(now, speed, clock), style="bold")
        line.append("  ")
        line.append(fmt.league_dates(league_dates))
        line.append("  ")
        line.append(api_url, style="dim")
        self.show_text(line)
