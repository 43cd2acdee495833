"""The game screen over an archive, headless, for ``mlbdash.bench.time_travel``.

A source with one stored game and nothing running: enough for the game screen, whose time
travel asks the store (through ``version_view``) for each version.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlbdash.errors import MlbdashError
from mlbdash.ingest.events import EventSink
from mlbdash.ingest.history import version_view
from mlbdash.ingest.scheduler.views import version_marks
from mlbdash.ingest.store import Store
from mlbdash.ingest.views import DashboardSnapshot, GameDetail, GameRow, VersionView
from mlbdash.mlb.clock import ManualClock
from mlbdash.mlb.facts import version_facts

if TYPE_CHECKING:
    from textual.app import App


class ArchiveSource:
    """One stored game as a DashboardSource (read-only; nothing polls)."""

    api_url = "archive"

    def __init__(self, store: Store, row: GameRow, clock: ManualClock) -> None:
        self.store = store
        self.row = row
        self.clock = clock

    @property
    def league_dates(self) -> tuple[date, ...]:
        return (date.fromisoformat(self.row.official_date),)

    def snapshot(self) -> DashboardSnapshot:
        return DashboardSnapshot(
            league_dates=(self.row.official_date,),
            api_url=self.api_url,
            now=self.clock.now(),
            games=(self.row,),
            findings=(),
        )

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        return lambda: None

    async def run(
        self, until_done: bool = False, duration_s: float | None = None, follow: bool = False
    ) -> object:
        await asyncio.Event().wait()
        return None

    async def game_detail(self, game_pk: int) -> GameDetail:
        latest = await self.store.load_latest_feed(game_pk)
        feed = latest[1] if latest else None
        facts = version_facts(feed) if feed else None
        return GameDetail(
            row=self.row,
            linescore=facts.linescore if facts else None,
            current_play=facts.current_play if facts else None,
            timeline=(),
            polls=(),
            findings=(),
            feed=feed,
            versions=version_marks(await self.store.list_versions(game_pk), []),
        )

    async def game_version(self, game_pk: int, timecode: str) -> VersionView:
        return await version_view(self.store, game_pk, timecode)

    async def refresh_now(self) -> None:
        return None

    async def set_finding_status(self, finding_id: int, status: str) -> None:
        raise MlbdashError("read-only")

    async def acknowledge_alert(self, alert_id: int) -> None:
        raise MlbdashError("read-only")

    async def silence_alert(self, alert_id: int, until: datetime) -> None:
        raise MlbdashError("read-only")

    async def export_validation_csv(self, path: Path, *, force: bool = False) -> int:
        raise MlbdashError("read-only")


def _row(game_pk: int, day: date, versions: int) -> GameRow:
    return GameRow(
        game_pk=game_pk,
        official_date=day.isoformat(),
        away="WSH",
        home="AZ",
        state="live",
        detailed_state="In Progress",
        reason=None,
        away_score=None,
        home_score=None,
        inning=None,
        inning_half=None,
        outs=None,
        game_time=None,
        double_header=None,
        game_number=None,
        last_update_at=None,
        timecode=None,
        polls=0,
        diff_updates=versions - 1,
        full_updates=1,
        versions=versions,
        findings=0,
        final_stored=False,
    )


async def _settle(app: App[None], group: str) -> None:
    # Never an empty list: wait_for_complete([]) waits for every worker, the runtime's too.
    while busy := [w for w in app.workers if w.group == group and not w.is_finished]:
        await app.workers.wait_for_complete(busy)


async def screen_steps(
    db: Path, game_pk: int, day: date, steps: int
) -> tuple[list[float], list[float]]:
    """Milliseconds from each ← press until the game screen shows the version before, and of
    presses of an unbound key (the harness's own cost)."""
    from mlbdash.ui.app import MlbdashApp
    from mlbdash.ui.screens.detail import GameDetailScreen

    clock = ManualClock(datetime.now(UTC))
    samples: list[float] = []
    baseline: list[float] = []
    async with Store.open(db, clock=clock) as store:
        count = len(await store.list_versions(game_pk))
        source = ArchiveSource(store, _row(game_pk, day, count), clock)
        app = MlbdashApp(source, clock=clock, follow=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = GameDetailScreen(source, source.row, clock)
            await app.push_screen(screen)
            await app.workers.wait_for_complete([w for w in app.workers if w.group == "detail"])
            await pilot.pause()
            if screen.detail is None:
                raise MlbdashError("the game screen did not load")
            # What a key press costs the headless harness by itself (a key bound to nothing).
            for _ in range(min(20, steps)):
                began = time.perf_counter()
                await pilot.press("x")
                await pilot.pause()
                baseline.append((time.perf_counter() - began) * 1000)
            for _ in range(steps):
                began = time.perf_counter()
                await pilot.press("left")
                await _settle(app, "version")
                await pilot.pause()
                if screen.version is None or screen.version.timecode != screen.travel:
                    raise MlbdashError(f"the screen did not show version {screen.travel}")
                samples.append((time.perf_counter() - began) * 1000)
    return samples, baseline
