"""The frozen_feed alert: a game In Progress whose feed stops changing, driven by a ManualClock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor_helpers import game_updated

from mlbdash.config import Settings
from mlbdash.ingest.events import AlertChanged, Event, GameStateChanged
from mlbdash.ingest.monitor import FIRING, PENDING, RESOLVED, Monitor, MonitorSettings
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 0, 0, tzinfo=UTC)
GAME = 746139


class Game:
    """One game In Progress, polled every 10 s by hand, with the monitor ticking after each."""

    def __init__(self, settings: MonitorSettings | None = None) -> None:
        self.clock = ManualClock(START)
        self.alerts: list[tuple[str, str, str, str]] = []
        self.monitor = Monitor(self.clock, self._sink, settings=settings)
        self.timecode = "20240612_000000"

    def _sink(self, event: Event) -> None:
        if isinstance(event, AlertChanged) and event.rule == "frozen_feed":
            self.alerts.append((event.rule, event.key, event.state, event.message))

    def states(self) -> list[str]:
        return [state for _, _, state, _ in self.alerts]

    def state_changed(self, new: str, old: str | None = "live") -> None:
        self.monitor.handle(
            GameStateChanged(self.clock.now(), GAME, old, new, new.title(), "schedule")
        )

    def poll(self, *, moved: bool = False, state: str = "live") -> None:
        if moved:
            self.timecode = self.clock.now().strftime("%Y%m%d_%H%M%S")
        update = "diff" if moved else "none"
        event = game_updated(self.clock.now(), game_pk=GAME, state=state, update=update)
        event = replace(event, row=replace(event.row, timecode=self.timecode))
        self.monitor.handle(event)

    async def play(self, seconds: float, *, state: str = "live", polls: bool = True) -> None:
        """``seconds`` of polls every 10 s that find nothing new (or of no answer at all)."""
        for _ in range(int(seconds // 10)):
            await self.clock.advance(10)
            if polls:
                self.poll(state=state)
            self.monitor.evaluate()


async def test_fires_after_15_minutes_of_play_without_a_change_and_resolves_when_it_moves() -> None:
    game = Game()
    game.state_changed("live", old="warmup")
    game.poll(moved=True)
    await game.play(890)
    assert game.alerts == []
    await game.play(10)
    assert game.states() == [PENDING, FIRING]
    _, key, _, message = game.alerts[-1]
    assert key == str(GAME)
    assert message == (
        f"game {GAME}: In Progress but its feed has not changed for 15 min of play "
        "(still version 20240612_000000)"
    )
    await game.clock.advance(10)
    game.poll(moved=True)
    game.monitor.evaluate()
    await game.play(290)
    assert game.states() == [PENDING, FIRING]  # held 5 minutes in case it stops again
    await game.play(10)
    assert game.states() == [PENDING, FIRING, RESOLVED]


async def test_delays_and_reviews_do_not_count() -> None:
    game = Game()
    game.state_changed("live", old="warmup")
    game.poll(moved=True)
    await game.play(600)
    game.state_changed("delayed")
    await game.play(3600, state="delayed")  # a rain delay: the feed rightly stands still
    game.state_changed("live", old="delayed")
    await game.play(120)
    game.state_changed("review")
    await game.play(600, state="review")
    game.state_changed("live", old="review")
    await game.play(170)
    assert game.alerts == []  # 14 min 50 s of play
    await game.play(10)
    assert game.states() == [PENDING, FIRING]


async def test_a_feed_the_api_does_not_answer_for_is_not_called_frozen() -> None:
    game = Game()
    game.state_changed("live", old="warmup")
    game.poll(moved=True)
    await game.play(3600, polls=False)  # every poll failed: nobody knows if the feed moved
    assert game.alerts == []


async def test_a_game_that_leaves_play_resolves_and_a_final_never_fires() -> None:
    game = Game()
    game.state_changed("live", old="warmup")
    game.poll(moved=True)
    await game.play(900)
    assert game.states() == [PENDING, FIRING]
    game.state_changed("suspended")
    await game.play(310, state="suspended")
    assert game.states()[-1] == RESOLVED
    game.state_changed("final", old="suspended")
    await game.play(3600, state="final")
    assert game.states() == [PENDING, FIRING, RESOLVED]


async def test_the_time_is_a_setting() -> None:
    settings = Settings.model_validate({"alerts": {"frozen_feed_s": 120}})
    game = Game(MonitorSettings.from_settings(settings))
    game.state_changed("live", old="warmup")
    game.poll(moved=True)
    await game.play(110)
    assert game.alerts == []
    await game.play(10)
    assert game.states() == [PENDING, FIRING]
    assert "2 min of play" in game.alerts[-1][3]
