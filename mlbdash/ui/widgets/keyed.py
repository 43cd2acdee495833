"""Refresh a DataTable by row key so the cursor and scroll position survive live updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Row = tuple[str, Sequence[Text]]


def selected_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    try:
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except (RowDoesNotExist, IndexError):
        return None
    return row_key.value


def sync_rows(table: DataTable[Any], rows: Sequence[Row], *, follow_cursor: bool = True) -> None:
    """Make ``table`` show ``rows`` (key, cells) in this order, touching only what changed.

    Vanished rows are removed, changed cells updated in place and new rows appended. Only when
    the order of existing rows changed is the table rebuilt, and then the cursor goes back to
    the row it was on (with ``follow_cursor`` False it stays at the same index instead, for a
    table the user has not moved in yet). Callers wrap this in ``app.batch_update()`` so the
    screen repaints once.
    """
    wanted = dict(rows)
    order = [key for key, _ in rows]
    cursor_key = selected_key(table) if follow_cursor else None
    cursor_index = table.cursor_row
    current = [row.key.value for row in table.ordered_rows]
    for key in current:
        if key is not None and key not in wanted:
            table.remove_row(key)
    kept = [key for key in current if key in wanted]
    if order[: len(kept)] != kept:
        _rebuild(table, rows, cursor_key)
        return
    for key in kept:
        update_row(table, key, wanted[key])
    for key in order[len(kept) :]:
        table.add_row(*wanted[key], key=key)
    _restore_cursor(table, cursor_key, cursor_index)


def update_row(table: DataTable[Any], key: str, cells: Sequence[Text]) -> None:
    """Update the changed cells of one existing row (the cheap path for a single event)."""
    column_keys = [column.key for column in table.ordered_columns]
    for column_key, before, after in zip(column_keys, table.get_row(key), cells, strict=False):
        if before != after:
            table.update_cell(key, column_key, after, update_width=True)


def _rebuild(table: DataTable[Any], rows: Sequence[Row], cursor_key: str | None) -> None:
    scroll_y = table.scroll_y
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    _restore_cursor(table, cursor_key, None)
    table.scroll_to(y=scroll_y, animate=False, immediate=True)


def _restore_cursor(table: DataTable[Any], key: str | None, index: int | None) -> None:
    """Keep the cursor on the same row (by key) when rows above it came or went."""
    if key is None or table.row_count == 0:
        return
    try:
        new_index = table.get_row_index(key)
    except RowDoesNotExist:
        # The selected row vanished: stay at the same height rather than jump to the top.
        if index is not None:
            table.move_cursor(row=min(index, table.row_count - 1), scroll=False)
        return
    if new_index != table.cursor_row:
        table.move_cursor(row=new_index, scroll=False)
