"""The dashboard over the real runtime shows API escapes as text, never as terminal commands.

The replay server serves a recorded game with escapes in its team abbreviations, status and
last play (tests/hostile.py); every character of every painted cell is checked.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hostile import GAME, MARKUP, SHOWN_CLEAR, SHOWN_LINK, assert_terminal_safe, write_hostile_data
from textual.pilot import Pilot

from mlbdash.config import PollSettings, Settings
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.mlb.clock import ManualClock
from mlbdash.replay.server import start_replay_server
from mlbdash.ui.app import MlbdashApp
from mlbdash.ui.screens.detail import GameDetailScreen

from .conftest import settle

DAY = date(2026, 5, 1)


def painted(pilot: Pilot[None]) -> str:
    """Every character the screen would write to the terminal, as text."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_dashboard_and_detail_show_escapes_as_text(tmp_path: Path) -> None:
    data = write_hostile_data(tmp_path / "data")
    clocks: list[ManualClock] = []

    def make_clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[0]

    async with start_replay_server(data, clock=make_clock, rebase_date=DAY) as server:
        clock = clocks[0]
        # Into the 9th inning before the runtime starts: few versions are left to paint.
        await clock.advance(3.5 * 3600)
        settings = Settings(
            api_url=server.base_url,
            requests_per_second=1000,
            burst=1000,
            poll=PollSettings(final_recheck_after_s=120),
        )
        async with Runtime(
            settings, clock=clock, tracked=TrackedDates.single(DAY), db_path=tmp_path / "db"
        ) as rt:
            app = MlbdashApp(rt, clock=clock, follow=False)
            app.dashboard.games_refresh_s = 0
            async with app.run_test(size=(200, 50)) as pilot:
                await settle(pilot)
                # Up to the last innings: the game is live and its last play is current.
                for _ in range(2000):
                    track = rt.scheduler.tracks.get(GAME)
                    if track is not None and track.status.detailed_state.startswith("Final"):
                        break
                    await rt.wait_idle()
                    await clock.advance(120)
                    await pilot.pause()
                await settle(pilot)
                screen = painted(pilot)
                # The row the last GameUpdated carried: the feed's (hostile) abbreviations.
                assert f"CWS{SHOWN_CLEAR} @ " in screen
                assert f"Final\\r{MARKUP}" in screen
                assert_terminal_safe(screen)
                await pilot.press("enter")
                await settle(pilot)
                assert isinstance(app.screen, GameDetailScreen)
                detail = painted(pilot)
                assert SHOWN_LINK in detail and MARKUP in detail
                assert_terminal_safe(detail)
                await app.action_quit()
