"""The dashboard: games, validation, rate limit, health and alerts, kept current by events."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from mlbdash.errors import MlbdashError
from mlbdash.ingest import events as ev
from mlbdash.ingest.views import (
    AlertRow,
    BudgetView,
    CheckRow,
    FindingRow,
    GameRow,
    api_trouble,
)
from mlbdash.mlb.clock import Clock
from mlbdash.ui import format as fmt
from mlbdash.ui.screens.detail import GameDetailScreen
from mlbdash.ui.screens.dialogs import ConfirmDialog, ExportDialog
from mlbdash.ui.source import DashboardSource
from mlbdash.ui.widgets.games import SORTS, GamesTable
from mlbdash.ui.widgets.header import StatusHeader
from mlbdash.ui.widgets.panels import HealthPanel, RateLimitPanel, ValidationPanel

# Below STACKED_WIDTH the side panels move under the games; below NARROW_WIDTH secondary
# columns hide and the footer drops the palette hint.
STACKED_WIDTH = 160
NARROW_WIDTH = 100
SPARKLINE_SECONDS = 60
# Game events can arrive dozens of times a second at replay speed; each repaint of the games
# table re-renders every visible row, so changes are painted at most this often (real
# seconds). Calm, and cheap enough to leave the event loop to the pipeline.
GAMES_REFRESH_S = 0.25
# Events keep the panels current; the full snapshot fills what events do not carry (a game's
# reason, check reasons that age). Each full repaint costs a frame of rendering.
RECONCILE_EVERY_S = 10.0
SILENCE_FOR = timedelta(hours=1)  # clock time, like the alert rules


class DashboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter games by team or state text",
        ),
        Binding(
            "escape", "clear_filter", "Clear filter", tooltip="Clear the filter, show every game"
        ),
        Binding("e", "export", "Export", tooltip="Export the validation report to CSV"),
        Binding("a", "acknowledge_alert", "Ack alert", tooltip="Acknowledge the selected alert"),
        Binding(
            "s",
            "silence_alert",
            "Silence 1h",
            show=False,
            tooltip="Silence the selected alert for an hour",
        ),
    ]

    def __init__(
        self, source: DashboardSource, clock: Clock, display: fmt.DisplayClock = fmt.LEAGUE_CLOCK
    ) -> None:
        super().__init__(id="dashboard")
        self._source = source
        self._clock = clock
        self.display_clock = display
        self._games: dict[int, GameRow] = {}
        self._push_changes: dict[int, ev.PushChanged] = {}
        self._findings: tuple[FindingRow, ...] = ()
        self._finding_counts: dict[str, int] = {}
        self._checks: dict[str, CheckRow] = {}
        self._alerts: tuple[AlertRow, ...] = ()
        self._budget: BudgetView | None = None
        self._budget_reason: str | None = None
        self._rps: deque[float] = deque(maxlen=SPARKLINE_SECONDS)
        self._latency: deque[float] = deque(maxlen=SPARKLINE_SECONDS)
        self._waited: deque[float] = deque(maxlen=SPARKLINE_SECONDS)
        # Wire requests since the last metrics sample: count, summed answer time (s) of those
        # answered, how many those were, the longest wait before an answering attempt (s).
        self._sample = (0, 0.0, 0, 0.0)
        self._sampled_at: datetime | None = None
        self._league_dates: tuple[str, ...] = ()
        self._api_url = source.api_url
        self._needle = ""
        self._dirty_games: dict[int, GameRow | None] = {}
        self.games_refresh_s = GAMES_REFRESH_S
        self._games_timer: Timer | None = None
        self.stopped: str | None = None
        # Events and worker results can arrive before the widgets exist; they update state
        # only, and on_mount paints it.
        self._ready = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="games-panel"):
                yield GamesTable(id="games")
                yield Static(id="games-empty", markup=False)
                yield Input(placeholder="filter: team or state (Esc clears)", id="filter")
            with Vertical(id="side"):
                yield ValidationPanel(id="validation")
                yield RateLimitPanel(id="ratelimit")
                yield HealthPanel(id="health")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#games-panel").border_title = "Games"
        self._ready = True
        self.reconcile()
        self.query_one(GamesTable).focus()
        # Ages and the clock move even when nothing arrives; the snapshot fills what events lack.
        self.set_interval(1.0, self._tick)
        self.set_interval(RECONCILE_EVERY_S, self.reconcile)

    def on_unmount(self) -> None:
        # Events can still arrive while the app shuts down; the widgets are gone by then.
        self._ready = False

    # -- state from the source -------------------------------------------------------------

    def reconcile(self) -> None:
        """Repaint everything from the source's snapshot (by key: nothing jumps)."""
        snap = self._source.snapshot()
        self._games = {game.game_pk: game for game in snap.games}
        self._findings = snap.findings
        self._finding_counts = dict(snap.finding_counts)
        self._checks = {check.name: check for check in snap.checks}
        self._alerts = snap.alerts
        self._league_dates = snap.league_dates
        self._api_url = snap.api_url
        if snap.budget is not None:
            self._budget = snap.budget
            if self._sampled_at is None:
                # Until samples arrive, the pipeline's own per-second history; afterwards the
                # samples carry on from it.
                self._rps = deque(snap.budget.requests_per_s, maxlen=SPARKLINE_SECONDS)
                self._latency = deque(snap.budget.latency_ms, maxlen=SPARKLINE_SECONDS)
                self._waited = deque(snap.budget.waited_ms, maxlen=SPARKLINE_SECONDS)
        self._paint(
            self._paint_header,
            self._paint_games,
            self._paint_validation,
            self._paint_rate,
            self._paint_health,
        )

    def refresh_review(self) -> None:
        """Findings or alerts changed: re-read and repaint just those panels (the games
        table, the most expensive to render, keeps to its own events)."""
        snap = self._source.snapshot()
        self._findings = snap.findings
        self._finding_counts = dict(snap.finding_counts)
        self._checks = {check.name: check for check in snap.checks}
        self._alerts = snap.alerts
        self._paint(self._paint_header, self._paint_validation, self._paint_health)

    def apply_game_updated(self, event: ev.GameUpdated) -> None:
        # The event carries the game's whole row, made where the snapshot's rows are made.
        self._set_game(self._games.get(event.game_pk), event.row)

    def _set_game(self, old: GameRow | None, new: GameRow) -> None:
        self._games[new.game_pk] = new
        # Remember the row as last painted, so the flush can tell what moved.
        self._dirty_games.setdefault(new.game_pk, old)
        if self.games_refresh_s <= 0:
            self.flush_games()
        elif self._games_timer is None:
            self._games_timer = self.set_timer(self.games_refresh_s, self.flush_games)

    def flush_games(self) -> None:
        """Paint the games changed since the last flush: their cells only, unless one of them
        appears, vanishes or moves, which needs a keyed sync of the table."""
        self._games_timer = None
        dirty, self._dirty_games = self._dirty_games, {}

        def paint() -> None:
            table = self.query_one(GamesTable)
            now = self._clock.now()
            for game_pk, old in dirty.items():
                new = self._games[game_pk]
                if old is None or not table.update_game(old, new, now, self._needle):
                    self._paint_games()
                    return
            self._paint_games_subtitle()

        if dirty:
            self._paint(paint)

    def apply_state_changed(self, event: ev.GameStateChanged) -> None:
        old = self._games.get(event.game_pk)
        if old is None:
            return
        self._set_game(old, replace(old, state=event.new, detailed_state=event.detailed_state))

    def note_request(self, event: ev.RequestFinished) -> None:
        """Count a finished request for the next sample (wire requests only: cache hits and
        coalesced callers cost the budget nothing and have no latency of the API's). The
        latency chart shows how fast the API answers (the answering attempt alone); the waits
        before it (the budget's queue, Retry-After, earlier attempts) are kept apart."""
        if event.cache_hit or event.coalesced:
            return
        count, latency, timed, longest = self._sample
        if event.server_s is None:
            self._sample = (count + 1, latency, timed, longest)
        else:
            waited = max(longest, event.waited_s or 0.0)
            self._sample = (count + 1, latency + event.server_s, timed + 1, waited)

    def note_sample(self, event: ev.MetricsSampled) -> None:
        """Close a bucket: requests per clock second since the last sample (the seconds the
        budget counts in) and their mean latency. Called in event order, with note_request,
        so requests land in the bucket they belong to; painting follows in apply_metrics."""
        count, latency, timed, longest = self._sample
        self._sample = (0, 0.0, 0, 0.0)
        elapsed = 1.0
        if self._sampled_at is not None:
            elapsed = max((event.at - self._sampled_at).total_seconds(), 1e-9)
        self._sampled_at = event.at
        self._rps.append(count / elapsed)
        self._latency.append(1000.0 * latency / timed if timed else 0.0)
        self._waited.append(1000.0 * longest)

    def apply_metrics(self, event: ev.MetricsSampled) -> None:
        base = self._budget
        self._budget = BudgetView(
            rate_per_s=event.budget_rate_per_s,
            nominal_rate_per_s=event.budget_nominal_per_s,
            burst=base.burst if base else 0,
            in_use=event.budget_in_use,
            waiting=event.budget_waiting,
            paused_until=event.backoff_until,
            requests_per_s=tuple(self._rps),
            throttled_total=event.throttled_total,
            retries_total=event.retries_total,
            errors_total=event.errors_total,
            latency_ms=tuple(self._latency),
            waited_ms=tuple(self._waited),
            push_sockets=base.push_sockets if base else None,
        )
        self._paint(self._paint_rate)

    def apply_push_changed(self, event: ev.PushChanged) -> None:
        """A game's push socket opened or closed: its row says so, and the rate-limit panel
        counts the open sockets (when push is on)."""
        self._push_changes[event.game_pk] = event
        old = self._games.get(event.game_pk)
        if old is not None and old.by_push != event.by_push:
            self._set_game(old, replace(old, by_push=event.by_push))
        budget = self._budget
        if budget is not None and budget.push_sockets is not None:
            sockets = sum(1 for game in self._games.values() if game.by_push)
            self._budget = replace(budget, push_sockets=sockets)
            self._paint(self._paint_rate)

    def apply_budget_changed(self, event: ev.BudgetChanged) -> None:
        self._budget_reason = event.reason
        if self._budget is not None:
            self._budget = replace(
                self._budget,
                rate_per_s=event.rate_per_s,
                nominal_rate_per_s=event.nominal_rate_per_s,
                paused_until=event.paused_until,
            )
        self._paint(self._paint_rate)

    def apply_health(self, event: ev.HealthChanged) -> None:
        self._checks[event.check] = CheckRow(event.check, event.status, event.reason)
        self._paint(self._paint_header, self._paint_health)

    def game_row(self, game_pk: int) -> GameRow | None:
        return self._games.get(game_pk)

    # -- painting --------------------------------------------------------------------------

    def _tick(self) -> None:
        self._paint(self._paint_header, self._paint_games)

    def _paint(self, *parts: Callable[[], None]) -> None:
        """Run painters in one batch (one repaint); nothing before mount or after teardown."""
        if not self._ready:
            return
        try:
            with self.app.batch_update():
                for part in parts:
                    part()
        except NoMatches:
            # The app is shutting down and the widgets are already gone.
            self._ready = False

    def _paint_header(self) -> None:
        self.query_one(StatusHeader).show(
            league_dates=self._league_dates,
            api_url=self._api_url,
            checks=self._checks.values(),
            alerts=self._alerts,
            now=self._clock.now(),
            speed=self._clock.speed,
            stopped=self.stopped,
            clock=self.display_clock,
        )

    def _paint_games(self) -> None:
        table = self.query_one(GamesTable)
        table.sync(self._games.values(), self._clock.now(), self._needle)
        self._paint_games_subtitle()

    def _paint_games_subtitle(self) -> None:
        table = self.query_one(GamesTable)
        shown, total = table.row_count, len(self._games)
        panel = self.query_one("#games-panel")
        live = sum(game.state == "live" for game in self._games.values())
        counts = f"{total} games, {live} live"
        subtitle = f"{shown} of {counts}" if self._needle else counts
        if panel.border_subtitle != subtitle:  # setting it repaints the whole panel
            panel.border_subtitle = subtitle
        self._paint_games_empty(total)

    def _paint_games_empty(self, total: int) -> None:
        """With no games to show, say why: the filter matches none, the schedule cannot be
        read (and the cause), is being read, or lists no games."""
        note = self.query_one("#games-empty", Static)
        shown = self.query_one(GamesTable).row_count
        note.display = shown == 0
        if shown:
            return
        if total:
            note.update(f"No games match {self._needle!r} (team, club name or state; Esc clears)")
            return
        trouble = api_trouble(self._checks.values())
        schedule = self._checks.get("schedule")
        if trouble:
            text = f"No games: {trouble}"
        elif schedule is None or schedule.reason.startswith("reading"):
            text = "No games yet: reading the schedule"
        else:
            text = f"No games listed for {fmt.league_dates(self._league_dates)}"
        note.update(text)

    def _paint_validation(self) -> None:
        self.query_one(ValidationPanel).show(self._findings, self._finding_counts)

    def _paint_rate(self) -> None:
        budget = self._budget
        if budget is not None:
            budget = replace(budget, requests_per_s=tuple(self._rps))
        self.query_one(RateLimitPanel).show(
            budget,
            self._clock.now(),
            self._budget_reason,
            tuple(self._latency),
            tuple(self._waited),
        )

    def _paint_health(self) -> None:
        self.query_one(HealthPanel).show(self._checks.values(), self._alerts, self._clock.now())

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW_WIDTH
        self.set_class(event.size.width < STACKED_WIDTH, "-stacked")
        self.set_class(narrow, "-narrow")
        footer = self.query_one(Footer)
        if footer.compact != narrow:
            footer.show_command_palette = not narrow
            # Compact keys fit every binding (and "q Quit" last of all) on 80 columns; the
            # palette hint is composed once, so the footer is composed again.
            footer.compact = narrow
            footer.refresh(recompose=True)
        self.query_one(ValidationPanel).set_narrow(narrow)
        self.query_one(HealthPanel).set_narrow(narrow)
        rate = self.query_one(RateLimitPanel)
        if rate.narrow != narrow:
            rate.narrow = narrow
            self._paint(self._paint_rate)
        table = self.query_one(GamesTable)
        if narrow != table.narrow:
            table.set_narrow(narrow)
            self._paint(self._paint_games)

    # -- drilldown -------------------------------------------------------------------------

    def on_games_table_game_chosen(self, message: GamesTable.GameChosen) -> None:
        row = self._games.get(message.game_pk)
        if row is not None:
            self.app.push_screen(
                GameDetailScreen(self._source, row, self._clock, self.display_clock, self.following)
            )

    def following(self, game_pk: int) -> fmt.Following:
        """What this dashboard has heard of how the game is followed: whether the run uses
        push (the rate-limit panel counts sockets only then) and the game's last change."""
        budget = self._budget
        push_on = None if budget is None else budget.push_sockets is not None
        return fmt.Following(push_on, self._push_changes.get(game_pk))

    # -- order -----------------------------------------------------------------------------

    def action_sort_games(self, sort: str) -> None:
        """Re-sort the games (rows otherwise keep their places while they update)."""
        if sort not in SORTS:
            return
        table = self.query_one(GamesTable)
        table.sort_by(sort, self._games.values())
        self._paint(self._paint_games)
        self.notify(f"Games sorted by {SORTS[sort][0]}", timeout=3, markup=False)

    # -- filter ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self._needle = ""
        self._paint(self._paint_games)
        self.query_one(GamesTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.query_one("#filter", Input).display or bool(self._needle)
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self._needle = event.value.strip()
            self._paint(self._paint_games)
            self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(GamesTable).focus()

    # -- alerts and export -----------------------------------------------------------------

    def action_acknowledge_alert(self) -> None:
        alert_id = self.query_one(HealthPanel).selected_alert_id
        if alert_id is None:
            self.notify("No alert to acknowledge", severity="warning", markup=False)
            return
        self._acknowledge(alert_id)

    @work(group="alerts", exit_on_error=False)
    async def _acknowledge(self, alert_id: int) -> None:
        alert = next((a for a in self._alerts if a.id == alert_id), None)
        try:
            await self._source.acknowledge_alert(alert_id)
        except MlbdashError as exc:
            self.notify(f"Could not acknowledge: {exc.message}", severity="error", markup=False)
            return
        name = alert.rule if alert else f"#{alert_id}"
        self.notify(f"Acknowledged alert {name}", markup=False)
        self.reconcile()

    def action_silence_alert(self) -> None:
        alert_id = self.query_one(HealthPanel).selected_alert_id
        if alert_id is None:
            self.notify("No alert to silence", severity="warning", markup=False)
            return
        self._silence(alert_id, self._clock.now() + SILENCE_FOR)

    @work(group="alerts", exit_on_error=False)
    async def _silence(self, alert_id: int, until: datetime) -> None:
        alert = next((a for a in self._alerts if a.id == alert_id), None)
        try:
            await self._source.silence_alert(alert_id, until)
        except MlbdashError as exc:
            self.notify(f"Could not silence: {exc.message}", severity="error", markup=False)
            return
        name = alert.rule if alert else f"#{alert_id}"
        display = self.display_clock
        self.notify(
            f"Silenced alert {name} until {display.time(until)} {display.label(until)}",
            markup=False,
        )
        self.reconcile()

    def default_export_path(self) -> Path:
        stamp = self.display_clock.file_stamp(self._clock.now())
        return Path(f"mlbdash-validation-{stamp}.csv")

    def action_export(self) -> None:
        self._export()

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _export(self) -> None:
        path = await self.app.push_screen_wait(ExportDialog(self.default_export_path()))
        if path is None:
            return
        path = path.expanduser().absolute()
        force = False
        if await asyncio.to_thread(path.exists):
            force = await self.app.push_screen_wait(
                ConfirmDialog(f"{path} already exists. Overwrite it?")
            )
            if not force:
                self.notify("Export cancelled: file not overwritten", markup=False)
                return
        try:
            written = await self._source.export_validation_csv(path, force=force)
        except FileExistsError:
            self.notify(f"{path} already exists; not overwritten", severity="error", markup=False)
            return
        except MlbdashError as exc:
            self.notify(f"Export failed: {exc.message}", severity="error", markup=False)
            return
        except OSError as exc:
            self.notify(
                f"Export failed: {path}: {exc.strerror or exc}", severity="error", markup=False
            )
            return
        self.notify(
            f"Wrote {written} findings to {path}", title="Validation report exported", markup=False
        )
