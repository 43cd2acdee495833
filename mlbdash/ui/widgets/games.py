"""The games panel: one row per game, refreshed by key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from mlbdash.ingest.views import GameRow
from mlbdash.ui import format as fmt
from mlbdash.ui.widgets.keyed import selected_key, sync_rows, update_row

# (key, header, shown on narrow screens, fixed width or None for as wide as the content).
# Fixed widths keep a ticking value ("9s" to "10s") from resizing the table, which would cost
# a layout pass of the whole screen.
COLUMNS: tuple[tuple[str, str, bool, int | None], ...] = (
    ("matchup", "Matchup", True, None),
    ("state", "State", True, None),
    ("score", "Score", True, 5),
    ("inning", "Inning", True, 8),
    ("age", "Age", True, 4),
    ("polls", "Polls", False, 6),
    ("updates", "Diff/Full", False, 9),
    ("findings", "Findings", True, 8),
)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def sort_key(row: GameRow) -> tuple[str, datetime, int, int]:
    """Schedule order: league date, first pitch, game number of a doubleheader, gamePk."""
    return (row.official_date, row.game_time or _FAR_FUTURE, row.game_number or 1, row.game_pk)


# Lifecycles in the order a reader scans for trouble: what is being played first.
_STATE_ORDER = {
    state: rank
    for rank, state in enumerate(
        (
            "live",
            "review",
            "delayed",
            "warmup",
            "pregame",
            "delayed_start",
            "scheduled",
            "suspended",
            "final",
            "postponed",
            "cancelled",
            "forfeit",
            "unknown",
        )
    )
}
SORTS: dict[str, tuple[str, Callable[[GameRow], tuple[object, ...]]]] = {
    "schedule": ("schedule time", sort_key),
    "state": ("state (live first)", lambda r: (_STATE_ORDER.get(r.state, 99), *sort_key(r))),
    "findings": ("open findings (most first)", lambda r: (-r.findings, *sort_key(r))),
    "matchup": ("matchup (away team)", lambda r: (r.away, r.home, *sort_key(r))),
}


def matches(row: GameRow, needle: str) -> bool:
    """Does the filter text occur in a team's abbreviation or club name, or the state
    (case-insensitive)?"""
    if not needle:
        return True
    haystack = " ".join(
        [
            row.away,
            row.home,
            row.away_name,
            row.home_name,
            row.state,
            row.detailed_state,
            row.reason or "",
            str(row.game_pk),
        ]
    )
    return needle.casefold() in haystack.casefold()


# On a narrow screen long states ("Postponed: Inclement Weather") would push the age and the
# findings off the edge; the detail screen shows them whole.
NARROW_MATCHUP_WIDTH = 18
NARROW_STATE_WIDTH = 16


def cells(row: GameRow, now: datetime, *, narrow: bool) -> list[Text]:
    values = {
        "matchup": fmt.matchup(row, NARROW_MATCHUP_WIDTH if narrow else fmt.MATCHUP_WIDTH),
        "state": fmt.state(row, NARROW_STATE_WIDTH if narrow else None),
        "score": fmt.score(row),
        "inning": fmt.inning(row),
        "age": fmt.age(now, row.last_update_at),
        "polls": fmt.polls(row),
        "updates": Text(f"{row.diff_updates}/{row.full_updates}"),
        "findings": fmt.count(row.findings, "bold yellow"),
    }
    return [values[key] for key, _, on_narrow, _ in COLUMNS if on_narrow or not narrow]


class GamesTable(DataTable[Text]):
    """Games in a stable order; Enter posts ``GameChosen``.

    A game's place is decided when it first appears (by the chosen sort) and kept while its
    row changes, so rows never move under the cursor; ``sort_by`` re-sorts on request.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Move", key_display="j/k", tooltip="Next / previous game"),
        Binding(
            "enter", "select_cursor", "Open", key_display="⏎", tooltip="Open the selected game"
        ),
        # Described by the j binding's "j/k Move"; listed once in the footer and help.
        Binding("k", "cursor_up", "", show=False),
    ]

    @dataclass
    class GameChosen(Message):
        game_pk: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.narrow = False
        self._pending_cursor: str | None = None
        self.order = "schedule"
        # Each game's place: its sort key when it was first shown (or when re-sorted). A key
        # taken before the schedule gave the first pitch is provisional and taken again once.
        self._places: dict[int, tuple[object, ...]] = {}
        self._provisional: set[int] = set()
        # Until the user moves, the cursor stays on the top row while games arrive;
        # afterwards it follows the game it is on.
        self.touched = False

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label, on_narrow, width in COLUMNS:
            if on_narrow or not self.narrow:
                self.add_column(label, key=key, width=width)

    def set_narrow(self, narrow: bool) -> None:
        """Hide secondary columns on small terminals (rebuilds columns; rows come next sync)."""
        if narrow == self.narrow:
            return
        self.narrow = narrow
        keep = selected_key(self)
        self.clear(columns=True)
        self._add_columns()
        self._pending_cursor = keep

    def _place(self, row: GameRow) -> tuple[object, ...]:
        place = self._places.get(row.game_pk)
        if place is None or (row.game_pk in self._provisional and row.game_time is not None):
            place = SORTS[self.order][1](row)
            self._places[row.game_pk] = place
            if row.game_time is None:
                self._provisional.add(row.game_pk)
            else:
                self._provisional.discard(row.game_pk)
        return place

    def sort_by(self, sort: str, games: Iterable[GameRow]) -> None:
        """Order the games by ``sort`` (a key of SORTS) from now on; the next sync repaints."""
        self.order = sort
        self._places.clear()
        self._provisional.clear()
        for game in games:
            self._place(game)

    def sync(self, games: Iterable[GameRow], now: datetime, needle: str) -> None:
        shown = sorted((g for g in games if matches(g, needle)), key=self._place)
        sync_rows(
            self,
            [(str(g.game_pk), cells(g, now, narrow=self.narrow)) for g in shown],
            follow_cursor=self.touched,
        )
        pending = self._pending_cursor
        if pending is not None:
            self._pending_cursor = None
            if pending in {str(g.game_pk) for g in shown}:
                self.move_cursor(row=self.get_row_index(pending))

    def update_game(self, old: GameRow, new: GameRow, now: datetime, needle: str) -> bool:
        """Update one game's row in place; False when the caller must ``sync`` instead
        (the game appears, disappears or moves under the filter or the sort)."""
        key = str(new.game_pk)
        shown = matches(new, needle)
        if shown != matches(old, needle) or self._place(new) != self._place(old):
            return False
        if not shown:
            return True
        if key not in self.rows:
            return False
        update_row(self, key, cells(new, now, narrow=self.narrow))
        return True

    @property
    def selected_game_pk(self) -> int | None:
        key = selected_key(self)
        return None if key is None else int(key)

    def on_key(self) -> None:
        self.touched = True

    def on_click(self) -> None:
        self.touched = True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.GameChosen(int(event.row_key.value)))
