"""The dashboard with an API it cannot reach: the header and the empty games panel name the
cause and since when, and ``r`` says the refresh failed and why."""

from __future__ import annotations

import html
import re

from mlbdash.errors import MlbdashError
from mlbdash.ingest.views import CheckRow
from mlbdash.ui.app import MlbdashApp

from .conftest import settle
from .fakes import FakeSource

API = CheckRow(
    "api_reachable",
    "failing",
    "unreachable since 20:18:44 ET (12s): DNS lookup failed for statsapi.mlb.com "
    "(Name or service not known); no answer since the start",
)
SCHEDULE = CheckRow(
    "schedule",
    "failing",
    "2024-08-13 never read: DNS lookup failed for statsapi.mlb.com (Name or service not "
    "known) (since 20:18:44 ET, 2 tries; next try in 10s)",
)


class Unreachable(FakeSource):
    def __init__(self) -> None:
        super().__init__(games=[])
        self.checks = (API, SCHEDULE)

    async def refresh_now(self) -> None:
        self.refreshes += 1
        raise MlbdashError(
            "schedule of 2024-08-13 not read: DNS lookup failed for statsapi.mlb.com"
        )


def _screen_text(app: MlbdashApp) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_header_and_games_panel_name_the_cause_and_since_when() -> None:
    source = Unreachable()
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        lines = _screen_text(app).splitlines()
        (header,) = [line for line in lines if " mlbdash " in line and "failing" in line]
        assert "API unreachable since 20:18:44 ET (12s): DNS lookup failed" in header
        assert any("No games: API unreachable since 20:18:44 ET" in line for line in lines)


async def test_refresh_says_it_failed_and_why() -> None:
    source = Unreachable()
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert source.refreshes == 1
        notes = [str(n.message) for n in app._notifications]
        assert (
            "Refresh failed: schedule of 2024-08-13 not read: DNS lookup failed for "
            "statsapi.mlb.com" in notes
        )
        assert not any(n.startswith("Refreshed") for n in notes)


async def test_a_read_schedule_with_no_games_says_so() -> None:
    source = FakeSource(games=[])
    source.checks = (CheckRow("schedule", "ok", "read 3s ago"),)
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "No games listed for" in _screen_text(app)


async def test_header_names_a_failed_database_write_before_the_api() -> None:
    source = Unreachable()
    full = CheckRow(
        "database_writable", "failing", "write failed: database or disk is full (versions)"
    )
    source.checks = (API, SCHEDULE, full)
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        lines = _screen_text(app).splitlines()
        (header,) = [line for line in lines if " mlbdash " in line and "failing" in line]
        assert "DATABASE write failed: database or disk is full" in header
