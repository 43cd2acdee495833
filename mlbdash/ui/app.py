"""The mlbdash Textual app: wires a DashboardSource's events to the screens."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from mlbdash.errors import MlbdashError
from mlbdash.ingest import events as ev
from mlbdash.mlb.clock import Clock
from mlbdash.ui.format import LEAGUE_CLOCK, DisplayClock
from mlbdash.ui.screens.dashboard import DashboardScreen
from mlbdash.ui.screens.detail import GameDetailScreen
from mlbdash.ui.screens.help import HelpScreen
from mlbdash.ui.source import DashboardSource
from mlbdash.ui.widgets.games import SORTS, GamesTable

RUNTIME_WORKER = "runtime"
CRASH_NOTIFY_EVERY_S = 60.0
# Validation can raise findings many times a second at replay speed: the findings and alerts
# panels re-read the snapshot at most this often (real seconds).
REVIEW_REFRESH_S = 0.5
REVIEW_KEYS = (("acknowledged", "a"), ("resolved", "d"), ("ignored", "i"), ("open", "o"))


class MlbdashApp(App[None]):
    """The dashboard. ``source`` is a running pipeline already entered by the caller."""

    CSS_PATH = "mlbdash.tcss"
    TITLE = "mlbdash"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", tooltip="Poll the schedule and live games now"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="This list of keys"),
        Binding("q", "quit", "Quit", tooltip="Stop the pipeline and leave"),
        Binding(
            "p",
            "screenshot",
            "Screenshot",
            show=False,
            tooltip="Save the screen as an SVG in the current (or configured) folder",
        ),
        Binding(
            "t", "toggle_theme", "Dark/light", show=False, tooltip="Switch dark and light themes"
        ),
    ]

    # -- messages: one per pipeline event the UI shows, posted by the event bridge ----------

    @dataclass
    class GameUpdated(Message):
        event: ev.GameUpdated

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, MlbdashApp.GameUpdated)
                and message.event.game_pk == self.event.game_pk
            )

    @dataclass
    class GameStateChanged(Message):
        event: ev.GameStateChanged

    @dataclass
    class PushChanged(Message):
        event: ev.PushChanged

    @dataclass
    class MetricsSampled(Message):
        event: ev.MetricsSampled

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MlbdashApp.MetricsSampled)

    @dataclass
    class BudgetChanged(Message):
        event: ev.BudgetChanged

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MlbdashApp.BudgetChanged)

    @dataclass
    class HealthChanged(Message):
        event: ev.HealthChanged

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, MlbdashApp.HealthChanged)
                and message.event.check == self.event.check
            )

    @dataclass
    class WorkerStopped(Message):
        event: ev.WorkerStopped

    @dataclass
    class ReviewChanged(Message):
        """Findings or alerts changed: the panels re-read the snapshot, so a burst is one."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MlbdashApp.ReviewChanged)

    def __init__(
        self,
        source: DashboardSource,
        *,
        clock: Clock,
        follow: bool = True,
        display: DisplayClock = LEAGUE_CLOCK,
        screenshot_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        self.display_clock = display
        self.screenshot_dir = screenshot_dir
        self._follow = follow
        self._unsubscribe: Callable[[], None] | None = None
        self._crash_notified: dict[str, float] = {}
        self._review_timer: Timer | None = None
        self.review_refresh_s = REVIEW_REFRESH_S
        self.dashboard = DashboardScreen(source, clock, display)

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def on_mount(self) -> None:
        self._unsubscribe = self.source.subscribe(self._on_event)
        self._run_source()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @work(exit_on_error=False, name=RUNTIME_WORKER, group=RUNTIME_WORKER)
    async def _run_source(self) -> None:
        await self.source.run(follow=self._follow)

    async def action_quit(self) -> None:
        """Stop the pipeline run and wait for its cleanup, then exit.

        Textual cancels workers on exit without awaiting them; the caller closes the runtime
        right after the app returns, so the run must have finished unwinding by then.
        """
        for worker in self.workers:
            if worker.name == RUNTIME_WORKER and not worker.is_finished:
                worker.cancel()
                with contextlib.suppress(WorkerCancelled, WorkerFailed):
                    await worker.wait()
        self.exit()

    # -- event bridge: called synchronously on this loop by the source; must not block -----

    def _on_event(self, event: ev.Event) -> None:
        message: Message | None = None
        if isinstance(event, ev.RequestFinished):
            # Many a second at replay speed: counted in place, painted with the next sample.
            self.dashboard.note_request(event)
            return
        if isinstance(event, ev.GameUpdated):
            message = self.GameUpdated(event)
        elif isinstance(event, ev.GameStateChanged):
            message = self.GameStateChanged(event)
        elif isinstance(event, ev.PushChanged):
            message = self.PushChanged(event)
        elif isinstance(event, ev.MetricsSampled):
            self.dashboard.note_sample(event)
            message = self.MetricsSampled(event)
        elif isinstance(event, ev.BudgetChanged):
            message = self.BudgetChanged(event)
        elif isinstance(event, ev.HealthChanged):
            message = self.HealthChanged(event)
        elif isinstance(event, ev.IssueFound | ev.AlertChanged):
            message = self.ReviewChanged()
        elif isinstance(event, ev.WorkerStopped) and event.error:
            message = self.WorkerStopped(event)
        if message is not None:
            self.post_message(message)

    def _detail_for(self, game_pk: int) -> GameDetailScreen | None:
        if not self.screen_stack:  # shutting down
            return None
        screen = self.screen_stack[-1]
        if isinstance(screen, GameDetailScreen) and screen.game_pk == game_pk:
            return screen
        return None

    def on_mlbdash_app_game_updated(self, message: GameUpdated) -> None:
        self.dashboard.apply_game_updated(message.event)
        detail = self._detail_for(message.event.game_pk)
        if detail is not None:
            detail.game_changed()

    def on_mlbdash_app_game_state_changed(self, message: GameStateChanged) -> None:
        self.dashboard.apply_state_changed(message.event)
        detail = self._detail_for(message.event.game_pk)
        if detail is not None:
            detail.game_changed()

    def on_mlbdash_app_push_changed(self, message: PushChanged) -> None:
        self.dashboard.apply_push_changed(message.event)
        detail = self._detail_for(message.event.game_pk)
        if detail is not None:
            detail.show_following()

    def on_mlbdash_app_metrics_sampled(self, message: MetricsSampled) -> None:
        self.dashboard.apply_metrics(message.event)

    def on_mlbdash_app_budget_changed(self, message: BudgetChanged) -> None:
        self.dashboard.apply_budget_changed(message.event)

    def on_mlbdash_app_health_changed(self, message: HealthChanged) -> None:
        self.dashboard.apply_health(message.event)

    def on_mlbdash_app_review_changed(self, _message: ReviewChanged) -> None:
        if self.review_refresh_s <= 0:
            self.dashboard.refresh_review()
        elif self._review_timer is None:
            self._review_timer = self.set_timer(self.review_refresh_s, self._review_due)

    def _review_due(self) -> None:
        self._review_timer = None
        self.dashboard.refresh_review()

    def on_mlbdash_app_worker_stopped(self, message: WorkerStopped) -> None:
        # A crashing job can repeat every poll: one toast per worker per minute is enough,
        # the health panel keeps the standing state.
        event = message.event
        now = time.monotonic()
        if now - self._crash_notified.get(event.worker, -CRASH_NOTIFY_EVERY_S) < (
            CRASH_NOTIFY_EVERY_S
        ):
            return
        self._crash_notified[event.worker] = now
        self.notify(f"{event.worker} stopped: {event.error}", severity="error", markup=False)

    # -- workers ---------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == RUNTIME_WORKER:
            if event.state == WorkerState.ERROR:
                error = worker.error
                reason = error.message if isinstance(error, MlbdashError) else repr(error)
                self.dashboard.stopped = "pipeline stopped"
                self.notify(
                    f"The pipeline stopped: {reason}", severity="error", timeout=30, markup=False
                )
                self.dashboard.reconcile()
            elif event.state == WorkerState.SUCCESS:
                self.dashboard.stopped = "pipeline finished"
                self.notify(
                    "The pipeline finished; the dashboard shows the last state", markup=False
                )
                self.dashboard.reconcile()
        elif event.state == WorkerState.ERROR:
            error = worker.error
            reason = error.message if isinstance(error, MlbdashError) else str(error)
            self.notify(f"{worker.name or 'task'} failed: {reason}", severity="error", markup=False)

    # -- actions ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._refresh()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _refresh(self) -> None:
        try:
            await self.source.refresh_now()
        except MlbdashError as exc:
            self.notify(f"Refresh failed: {exc.message}", severity="error", markup=False)
            return
        self.notify("Refreshed: schedule and live games polled now", timeout=3, markup=False)
        self.dashboard.reconcile()
        top = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(top, GameDetailScreen):
            top.load()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(
            HelpScreen(
                [
                    ("Dashboard", [*GamesTable.BINDINGS, *DashboardScreen.BINDINGS]),
                    ("Game detail", GameDetailScreen.BINDINGS),
                    ("Everywhere", self.BINDINGS),
                ]
            )
        )

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save the screen as SVG in the configured folder (default: the current one), named
        with the display clock's time, and say where; a failure says why."""
        folder = Path(path) if path else (self.screenshot_dir or Path.cwd())
        now = self.clock.now()
        name = filename or f"mlbdash-{self.display_clock.file_stamp(now)}.svg"
        target = (folder.expanduser() / name).absolute()
        try:
            target.write_text(self.export_screenshot(), encoding="utf-8")
        except OSError as exc:
            self.notify(
                f"Screenshot not saved: {target}: {exc.strerror or exc}",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Saved {target}", title="Screenshot", markup=False)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every key's action by name (plus Textual's own commands)."""
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Refresh now", "Poll the schedule and live games now (r)", self.action_refresh),
            ("Help", "Show every key (?)", self.action_help),
            ("Toggle dark/light", "Switch dark and light themes (t)", self.action_toggle_theme),
        ]
        if isinstance(screen, DashboardScreen):
            games = screen.query_one(GamesTable)
            commands += [
                ("Open game", "Show the selected game (Enter)", games.action_select_cursor),
                ("Filter games", "Show games matching a team or state (/)", screen.action_filter),
                *(
                    (
                        f"Sort games by {label}",
                        "Rows keep their places until sorted again",
                        partial(screen.action_sort_games, sort),
                    )
                    for sort, (label, _) in SORTS.items()
                ),
                ("Export validation report", "Write findings to CSV (e)", screen.action_export),
                ("Acknowledge alert", "The selected alert (a)", screen.action_acknowledge_alert),
                (
                    "Silence alert",
                    "The selected alert, for an hour (s)",
                    screen.action_silence_alert,
                ),
            ]
        if isinstance(screen, GameDetailScreen):
            commands.append(("Back to dashboard", "Return to the games (Esc)", screen.action_back))
            for title, help_text, step in (
                ("Older version", "Time travel: the stored version before (←)", -1),
                ("Newer version", "Time travel: the stored version after (→)", 1),
                ("Ten versions older", "Time travel: ten back ([)", -10),
                ("Ten versions newer", "Time travel: ten on (])", 10),
            ):
                commands.append((title, help_text, partial(screen.action_version_step, step)))
            commands += [
                (
                    "First version",
                    "Time travel: the first stored version (Home)",
                    screen.action_version_first,
                ),
                (
                    "Last version",
                    "Time travel: the newest stored version (End)",
                    screen.action_version_last,
                ),
            ]
            for status, key in REVIEW_KEYS:
                commands.append(
                    (
                        f"Mark finding {status}",
                        f"Review the selected finding ({key})",
                        partial(screen.action_review, status),
                    )
                )
        commands.append(
            (
                "Screenshot",
                "Save the screen as SVG in the current folder (p)",
                self._screenshot_soon,
            )
        )
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
        # Textual's own Screenshot saves to ~/Downloads and fails when that is missing.
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def _screenshot_soon(self) -> None:
        # After the palette has closed, so the picture shows the screen, not the palette.
        self.set_timer(0.1, self.action_screenshot)
