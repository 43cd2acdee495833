"""One game: linescore, current play, state timeline, poll history, findings, stored feed.

Time travel: the arrow keys (``[`` ``]`` for ten, Home/End) step through the game's stored
versions; the screen then shows the selected version (its linescore, count, current play and
feed) with how it came and the findings first seen on it, until Esc returns to the present.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from mlbdash.errors import MlbdashError
from mlbdash.ingest.views import GameDetail, GameRow, Linescore, PollRecord, VersionView
from mlbdash.mlb.clock import Clock
from mlbdash.ui import format as fmt
from mlbdash.ui.source import DashboardSource
from mlbdash.ui.widgets.feedtree import FeedTree
from mlbdash.ui.widgets.keyed import selected_key, sync_rows
from mlbdash.ui.widgets.runs import RunsByInning
from mlbdash.ui.widgets.travel import travel_text
from mlbdash.ui.widgets.versions import VersionStrip

# A live game can update several times a second at replay speed; reading its stored feed that
# often would be wasted work, so reloads are at least this many (real) seconds apart.
RELOAD_EVERY_S = 2.0
POLLS_SHOWN = 200


WIDE_WIDTH = 100
FINDING_COLUMNS = (
    ("severity", "Sev"),
    ("status", "Status"),
    ("rule", "Rule"),
    ("message", "Message"),
    ("seen", "Seen"),
    ("path", "Path"),
)
TIMELINE_COLUMNS = (("at", "State since"), ("state", "State"), ("source", "From"))
POLL_COLUMNS = (
    ("at", "Poll"),
    ("kind", "Kind"),
    ("status", "HTTP"),
    ("latency", "ms"),
    ("bytes", "Bytes"),
    ("update", "Result"),  # a failed poll's error is its result: one column, not two
)


def _table(
    table_id: str, columns: tuple[tuple[str, str], ...], *, zebra: bool = False
) -> DataTable[Text]:
    table: DataTable[Text] = DataTable(id=table_id, cursor_type="row", zebra_stripes=zebra)
    for key, label in columns:
        table.add_column(label, key=key)
    return table


def _poll_result(poll: PollRecord) -> Text:
    """What the poll did; a failed one says why."""
    if poll.error is not None:
        return Text(f"failed: {poll.error}", style="red")
    return fmt.plain(poll.update)


def _title(row: GameRow) -> Text:
    """Which game, and where it stands: short enough for 80 columns (the rest is below)."""
    title = Text(no_wrap=True, overflow="ellipsis")
    title.append(" ")
    title.append_text(fmt.matchup(row, width=None))
    title.stylize("bold")
    for part in (fmt.state(row), fmt.score(row), fmt.inning(row)):
        title.append("  ")
        title.append_text(part)
    title.append(f"  {row.official_date}  gamePk {row.game_pk}", style="dim")
    return title


def _about(row: GameRow, heard: fmt.Following, clock: fmt.DisplayClock) -> Text:
    """What mlbdash holds of the game and how it follows it (push or polling, and why)."""
    about = Text(f" {row.versions} ")
    about.append("versions  ", style="dim")
    about.append(str(row.polls))
    about.append(" polls  ", style="dim")
    about.append_text(fmt.following(row, heard, clock))
    return about


def _archive(row: GameRow) -> Text:
    """What the archive still lacks (a game met mid-game: its history, until fetched)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if row.archive_gaps:
        text.append(" archive: ", style="dim")
        text.append(row.archive_gaps, style="yellow")
    return text


def _count(linescore: Linescore | None) -> Text:
    if linescore is None or linescore.outs is None:
        return Text()
    return Text(
        f"B {linescore.balls or 0}  S {linescore.strikes or 0}  O {linescore.outs}", style="bold"
    )


class GameDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the dashboard, cursor where it was"),
        # Priority: tables and the feed tree would otherwise take these keys for scrolling.
        # One footer entry for both arrows: the 80-column footer has no room for two.
        Binding(
            "left",
            "version_step(-1)",
            "Versions",
            key_display="←→",
            priority=True,
            tooltip="Time travel: the stored version before (→ after, [ ] ten, Home/End)",
        ),
        Binding(
            "right",
            "version_step(1)",
            "Newer version",
            key_display="→",
            show=False,
            priority=True,
            tooltip="Time travel: the stored version after",
        ),
        Binding(
            "left_square_bracket",
            "version_step(-10)",
            "Ten older",
            key_display="[",
            show=False,
            priority=True,
            tooltip="Time travel: ten versions back",
        ),
        Binding(
            "right_square_bracket",
            "version_step(10)",
            "Ten newer",
            key_display="]",
            show=False,
            priority=True,
            tooltip="Time travel: ten versions on",
        ),
        Binding(
            "home",
            "version_first",
            "First version",
            show=False,
            priority=True,
            tooltip="Time travel: the first stored version",
        ),
        Binding(
            "end",
            "version_last",
            "Last version",
            show=False,
            priority=True,
            tooltip="Time travel: the newest stored version",
        ),
        Binding(
            "a",
            "review('acknowledged')",
            "Acknowledge",
            tooltip="Mark the selected finding acknowledged",
        ),
        Binding("d", "review('resolved')", "Resolve", tooltip="Mark the selected finding resolved"),
        Binding("i", "review('ignored')", "Ignore", tooltip="Mark the selected finding ignored"),
        Binding("o", "review('open')", "Reopen", show=False, tooltip="Reopen the selected finding"),
        Binding("1", "tab('tab-findings')", "Findings", show=False),
        Binding("2", "tab('tab-timeline')", "Timeline", show=False),
        Binding("3", "tab('tab-polls')", "Polls", show=False),
        Binding(
            "4",
            "tab('tab-feed')",
            "Feed",
            show=False,
            tooltip="Browse the stored feed (Enter opens a node)",
        ),
    ]

    def __init__(
        self,
        source: DashboardSource,
        row: GameRow,
        clock: Clock,
        display: fmt.DisplayClock = fmt.LEAGUE_CLOCK,
        following: Callable[[int], fmt.Following] | None = None,
    ) -> None:
        """``following``: what the dashboard has heard of how a game is followed (push or
        polling, and why), asked again whenever the screen repaints."""
        super().__init__(id="detail")
        self._source = source
        self._following = following or (lambda _game_pk: fmt.Following())
        self._clock = clock
        self.display_clock = display
        self.row = row
        self.detail: GameDetail | None = None
        self._feed_shown = False
        self._last_load = 0.0
        self._reload_timer: Timer | None = None
        self._wide = False
        self.travel: str | None = None
        """The timecode of the version time travel shows; None: the present."""
        self.version: VersionView | None = None
        """The selected version, once loaded."""

    @property
    def game_pk(self) -> int:
        return self.row.game_pk

    def compose(self) -> ComposeResult:
        # Wide terminals show findings, timeline and polls together; narrow ones use tabs.
        wide = self.app.size.width >= WIDE_WIDTH
        self._wide = wide
        self.set_class(wide, "-wide")
        yield Static(_title(self.row), id="detail-title")
        yield Static(self._about_text(), id="detail-about")
        archive = Static(_archive(self.row), id="detail-archive")
        archive.display = bool(self.row.archive_gaps)
        yield archive
        with Horizontal(id="detail-top"):
            linescore: DataTable[Text] = DataTable(
                id="linescore", cursor_type="none", show_cursor=False
            )
            linescore.can_focus = False
            yield linescore
            with Vertical(id="detail-right"):
                yield Static(Text("loading…", style="dim"), id="current-play")
                yield RunsByInning(id="runs")
        yield VersionStrip(clock=self.display_clock, id="versions")
        yield Static(id="travel")
        with TabbedContent(id="detail-tabs"):
            if wide:
                with TabPane("Findings", id="tab-findings"):
                    yield _table("game-findings", FINDING_COLUMNS, zebra=True)
                    with Horizontal(id="history"):
                        yield _table("timeline", TIMELINE_COLUMNS)
                        yield _table("polls", POLL_COLUMNS, zebra=True)
            else:
                with TabPane("Findings", id="tab-findings"):
                    yield _table("game-findings", FINDING_COLUMNS, zebra=True)
                with TabPane("Timeline", id="tab-timeline"):
                    yield _table("timeline", TIMELINE_COLUMNS)
                with TabPane("Polls", id="tab-polls"):
                    yield _table("polls", POLL_COLUMNS, zebra=True)
            with TabPane("Feed", id="tab-feed"):
                yield FeedTree(id="feed")
        # Compact keys on narrow terminals, so "q Quit" stays on an 80-column footer.
        footer = Footer(show_command_palette=wide)
        footer.compact = not wide
        yield footer

    def on_mount(self) -> None:
        self.query_one("#game-findings", DataTable).focus()
        self.load()

    async def on_resize(self, event: Resize) -> None:
        if (event.size.width >= WIDE_WIDTH) == self._wide:
            return
        # Rare (a terminal resized across the breakpoint): rebuild and repaint what we have.
        await self.recompose()
        self._feed_shown = False
        if self.detail is not None:
            self.show(self.detail)
        self.query_one("#game-findings", DataTable).focus()

    # -- loading ---------------------------------------------------------------------------

    def game_changed(self) -> None:
        """The game was updated: reload soon, but not more often than RELOAD_EVERY_S."""
        wait = self._last_load + RELOAD_EVERY_S - time.monotonic()
        if wait <= 0:
            self.load()
        elif self._reload_timer is None:
            self._reload_timer = self.set_timer(wait, self._reload_due)

    def _reload_due(self) -> None:
        self._reload_timer = None
        self.load()

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def load(self) -> None:
        self._last_load = time.monotonic()
        try:
            detail = await self._source.game_detail(self.game_pk)
        except MlbdashError as exc:
            self.notify(
                f"Could not load game {self.game_pk}: {exc.message}", severity="error", markup=False
            )
            return
        self.show(detail)

    def show(self, detail: GameDetail) -> None:
        self.detail = detail
        self.row = detail.row
        with self.app.batch_update():
            self.query_one("#detail-title", Static).update(_title(detail.row))
            self.show_following()
            archive = self.query_one("#detail-archive", Static)
            archive.update(_archive(detail.row))
            archive.display = bool(detail.row.archive_gaps)
            strip = self.query_one(VersionStrip)
            strip.show(detail.versions)
            if self.travel is None:
                self._show_moment(detail.linescore, detail.current_play)
                strip.selected = None
            else:
                strip.selected = self._index_of(self.travel)
                self._show_travel()
            self._show_findings(detail)
            self._show_timeline(detail)
            self._show_polls(detail)
            if not self._feed_shown and self.travel is None:
                # Built once: reloading would collapse what the user opened.
                self.query_one(FeedTree).show_feed(detail.feed)
                self._feed_shown = detail.feed is not None

    def _about_text(self) -> Text:
        return _about(self.row, self._following(self.game_pk), self.display_clock)

    def show_following(self) -> None:
        """Repaint the line saying how the game is followed (a push change may come at any
        time, not only with a new version)."""
        self.query_one("#detail-about", Static).update(self._about_text())

    def _show_moment(self, linescore: Linescore | None, current_play: str | None) -> None:
        """Linescore, count, current play and runs by inning of the present or a version."""
        self._show_linescore(linescore)
        play = Text(current_play) if current_play else Text("no current play", style="dim")
        count = _count(linescore)
        if count.plain:
            play = Text.assemble(count, "\n", play)
        self.query_one("#current-play", Static).update(play)
        self.query_one(RunsByInning).show(linescore, self.row.away, self.row.home)

    # -- time travel -----------------------------------------------------------------------

    def _index_of(self, timecode: str) -> int | None:
        marks = self.detail.versions if self.detail is not None else ()
        return next((i for i, m in enumerate(marks) if m.timecode == timecode), None)

    def _show_travel(self) -> None:
        marks = self.detail.versions if self.detail is not None else ()
        index = self._index_of(self.travel) if self.travel is not None else None
        panel = self.query_one("#travel", Static)
        panel.display = self.travel is not None
        if self.travel is None or index is None:
            return
        version = self.version if self.version and self.version.timecode == self.travel else None
        panel.update(travel_text(marks[index], index, len(marks), version))

    def action_version_step(self, delta: int) -> None:
        marks = self.detail.versions if self.detail is not None else ()
        if not marks:
            self.notify("No version of this game is stored yet", severity="warning")
            return
        current = self._index_of(self.travel) if self.travel is not None else None
        if current is None:
            current = len(marks) - 1  # the present is the newest stored version
        self._travel_to(max(0, min(len(marks) - 1, current + delta)))

    def action_version_first(self) -> None:
        if self.detail is not None and self.detail.versions:
            self._travel_to(0)

    def action_version_last(self) -> None:
        if self.detail is not None and self.detail.versions:
            self._travel_to(len(self.detail.versions) - 1)

    def _travel_to(self, index: int) -> None:
        assert self.detail is not None
        timecode = self.detail.versions[index].timecode
        if timecode == self.travel:
            return
        self.travel = timecode
        self.query_one(VersionStrip).selected = index
        self._show_travel()
        self.load_version(timecode)

    @work(exclusive=True, group="version", exit_on_error=False)
    async def load_version(self, timecode: str) -> None:
        """Load one version (a newer step cancels a load still running)."""
        try:
            version = await self._source.game_version(self.game_pk, timecode)
        except MlbdashError as exc:
            self.notify(
                f"Could not load version {timecode}: {exc.message}", severity="error", markup=False
            )
            return
        if timecode != self.travel:
            return
        self.version = version
        with self.app.batch_update():
            self._show_moment(version.linescore, version.current_play)
            self._show_travel()
            self.query_one(FeedTree).show_feed(version.feed)
            self._feed_shown = False

    def _leave_travel(self) -> None:
        self.travel = None
        self.version = None
        self._show_travel()
        if self.detail is not None:
            self._feed_shown = False
            self.show(self.detail)

    def _show_linescore(self, linescore: Linescore | None) -> None:
        table = self.query_one("#linescore", DataTable)
        if linescore is None:
            table.clear(columns=True)
            table.add_column("no linescore yet")
            return
        innings = max(9, len(linescore.innings))
        by_num = {line.num: line for line in linescore.innings}
        rows: dict[str, list[Text]] = {}
        for side, team in (("away", self.row.away), ("home", self.row.home)):
            cells: list[Text] = [Text(team, style="bold")]
            for n in range(1, innings + 1):
                line = by_num.get(n)
                runs = None if line is None else getattr(line, f"{side}_runs")
                cells.append(Text("" if runs is None else str(runs)))
            for total in ("runs", "hits", "errors"):
                value = getattr(linescore, f"{side}_{total}")
                cells.append(Text("" if value is None else str(value), style="bold"))
            rows[side] = cells
        keys = ["team", *(f"i{n}" for n in range(1, innings + 1)), "R", "H", "E"]
        if [c.key.value for c in table.ordered_columns] == keys and table.row_count == 2:
            # Same shape (time travel steps through versions): change cells, not the layout.
            for side, cells in rows.items():
                for key, cell in zip(keys, cells, strict=True):
                    table.update_cell(side, key, cell)
            return
        table.clear(columns=True)
        table.add_column("", key="team")
        for n in range(1, innings + 1):
            table.add_column(str(n), key=f"i{n}")
        for key in ("R", "H", "E"):
            table.add_column(key, key=key)
        for side, cells in rows.items():
            table.add_row(*cells, key=side)

    def _show_findings(self, detail: GameDetail) -> None:
        now = self._clock.now()
        rows = [
            (
                str(f.id),
                [
                    fmt.severity(f.severity),
                    Text(f.status, style="" if f.status == "open" else "dim"),
                    fmt.plain(f.rule),
                    fmt.plain(f.message),
                    Text.assemble(fmt.age(now, f.last_seen), f" ×{f.occurrences}"),
                    fmt.plain(f.path, "dim"),
                ],
            )
            for f in sorted(detail.findings, key=lambda f: (f.status != "open", -f.id))
        ]
        table = self.query_one("#game-findings", DataTable)
        sync_rows(table, rows)
        pane = self.query_one(TabbedContent).get_tab("tab-findings")
        open_count = sum(f.status == "open" for f in detail.findings)
        pane.label = f"Findings ({open_count} open)"

    def _show_timeline(self, detail: GameDetail) -> None:
        display = self.display_clock
        rows = [
            (
                f"{i}",
                [
                    Text(f"{display.stamp(change.at)} {display.label(change.at)}"),
                    fmt.plain(change.detailed_state),
                    fmt.plain(change.source, "dim"),
                ],
            )
            for i, change in enumerate(detail.timeline)
        ]
        sync_rows(self.query_one("#timeline", DataTable), rows)

    def _show_polls(self, detail: GameDetail) -> None:
        display = self.display_clock
        recent = list(enumerate(detail.polls))[-POLLS_SHOWN:]
        rows = [
            (
                str(i),
                [
                    Text(display.time(poll.at)),
                    fmt.plain(poll.kind),
                    fmt.plain(poll.status, "" if poll.status in (200, 304) else "red"),
                    Text(f"{poll.latency_ms:.0f}"),
                    Text(f"{poll.bytes_wire:,}"),
                    _poll_result(poll),
                ],
            )
            for i, poll in reversed(recent)
        ]
        sync_rows(self.query_one("#polls", DataTable), rows)

    # -- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.travel is not None:
            self._leave_travel()  # Esc first returns from time travel to the present
            return
        self.dismiss()

    def action_tab(self, tab: str) -> None:
        """Show a tab (on wide screens timeline and polls share the findings tab)."""
        target = {"tab-timeline": "#timeline", "tab-polls": "#polls"}.get(tab)
        tabs = self.query_one(TabbedContent)
        if self._wide and target is not None:
            tabs.active = "tab-findings"
            self.query_one(target, DataTable).focus()
            return
        tabs.active = tab
        # Keys should act on what is now shown: focus the table or tree inside the tab.
        self.query_one(f"#{tab}", TabPane).query_one("DataTable, FeedTree").focus()

    def action_review(self, status: str) -> None:
        key = selected_key(self.query_one("#game-findings", DataTable))
        if key is None:
            self.notify("This game has no findings to review", severity="warning", markup=False)
            return
        self._review(int(key), status)

    @work(group="review", exit_on_error=False)
    async def _review(self, finding_id: int, status: str) -> None:
        try:
            await self._source.set_finding_status(finding_id, status)
        except MlbdashError as exc:
            self.notify(f"Could not update finding: {exc.message}", severity="error", markup=False)
            return
        self.notify(f"Finding {finding_id} marked {status}", markup=False)
        self.load()
