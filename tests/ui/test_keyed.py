"""Keyed table refresh keeps the cursor on its row; bursts of events collapse."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from mlbdash.ingest import events as ev
from mlbdash.ingest.views import GameRow
from mlbdash.ui.app import MlbdashApp
from mlbdash.ui.widgets.keyed import selected_key, sync_rows

AT = datetime(2024, 7, 1, 23, 0, tzinfo=UTC)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row")
        table.add_column("Team", key="team")
        table.add_column("Runs", key="runs")
        yield table


def rows(*pairs: tuple[str, str]) -> list[tuple[str, list[Text]]]:
    return [(key, [Text(key), Text(runs)]) for key, runs in pairs]


async def test_changed_cells_update_in_place_and_the_cursor_stays() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, rows(("HOU", "1"), ("TOR", "0"), ("LAD", "3")))
        table.move_cursor(row=2)
        sync_rows(table, rows(("HOU", "2"), ("TOR", "0"), ("LAD", "4"), ("SEA", "0")))
        await pilot.pause()
        assert [str(c) for c in table.get_row("LAD")] == ["LAD", "4"]
        assert selected_key(table) == "LAD" and table.row_count == 4


async def test_a_row_vanishing_above_the_cursor_keeps_the_cursor_on_its_game() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, rows(("HOU", "1"), ("TOR", "0"), ("LAD", "3")))
        table.move_cursor(row=2)
        sync_rows(table, rows(("TOR", "0"), ("LAD", "3")))
        await pilot.pause()
        assert selected_key(table) == "LAD" and table.cursor_row == 1


async def test_a_reorder_rebuilds_but_restores_the_cursor_by_key() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, rows(("HOU", "1"), ("TOR", "0"), ("LAD", "3")))
        table.move_cursor(row=1)
        sync_rows(table, rows(("SEA", "0"), ("LAD", "3"), ("TOR", "0"), ("HOU", "1")))
        await pilot.pause()
        assert [r.key.value for r in table.ordered_rows] == ["SEA", "LAD", "TOR", "HOU"]
        assert selected_key(table) == "TOR"


def _game(pk: int, outs: int) -> ev.GameUpdated:
    row = GameRow(
        pk, "2024-07-01", "HOU", "TOR", "live", "In Progress", away_score=3, home_score=1,
        inning=9, inning_half="Bottom", outs=outs, versions=1, polls=1, diff_updates=1,
    )  # fmt: skip
    return ev.GameUpdated(at=AT, row=row, update="diff")


def test_high_rate_messages_collapse_to_the_latest() -> None:
    first, later = MlbdashApp.GameUpdated(_game(1, 0)), MlbdashApp.GameUpdated(_game(1, 1))
    other_game = MlbdashApp.GameUpdated(_game(2, 1))
    assert first.can_replace(later)
    assert not first.can_replace(other_game)
    sample = ev.MetricsSampled(AT, 1.0, 5.0, 5.0, 0, 0, None, 0, 0, 0, 1.0, 0.0)
    assert MlbdashApp.MetricsSampled(sample).can_replace(MlbdashApp.MetricsSampled(sample))
    assert MlbdashApp.ReviewChanged().can_replace(MlbdashApp.ReviewChanged())
    state = ev.GameStateChanged(AT, 1, "live", "final", "Final", "feed")
    assert not MlbdashApp.GameStateChanged(state).can_replace(MlbdashApp.GameStateChanged(state))
