"""What the dashboard needs from the pipeline: the runtime satisfies this, tests pass a fake.

The app depends on this protocol only, never on ``mlbdash.ingest.runtime`` directly, so the UI
can be driven by fixed data in tests and the runtime never learns about Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from mlbdash.ingest.events import EventSink
from mlbdash.ingest.views import DashboardSnapshot, GameDetail, VersionView
from mlbdash.mlb.clock import Clock


class DashboardSource(Protocol):
    """A running pipeline as the dashboard sees it (already entered by the caller)."""

    @property
    def api_url(self) -> str: ...

    @property
    def league_dates(self) -> Sequence[date | str]: ...

    @property
    def clock(self) -> Clock: ...

    def snapshot(self) -> DashboardSnapshot:
        """Everything the dashboard paints, from memory (cheap, never blocks)."""
        ...

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Call ``sink`` with every event on the running loop; returns the unsubscribe call."""
        ...

    async def run(
        self, until_done: bool = False, duration_s: float | None = None, follow: bool = False
    ) -> object:
        """Poll, validate and monitor until done, the duration passes, or cancellation."""
        ...

    async def game_detail(self, game_pk: int) -> GameDetail: ...

    async def game_version(self, game_pk: int, timecode: str) -> VersionView:
        """One stored version of a game (time travel); MlbdashError if it is not stored."""
        ...

    async def refresh_now(self) -> None: ...

    async def set_finding_status(self, finding_id: int, status: str) -> None: ...

    async def acknowledge_alert(self, alert_id: int) -> None: ...

    async def silence_alert(self, alert_id: int, until: datetime) -> None: ...

    async def export_validation_csv(self, path: Path, *, force: bool = False) -> int:
        """Write the validation report; returns the number of findings written."""
        ...
