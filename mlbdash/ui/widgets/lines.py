"""A Static that repaints only when its text changes, and re-lays out only when its height does.

``Static.update`` asks for a full layout pass by default; for panels updated every second that
pass dominated the dashboard's CPU time.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextLines(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def show_text(self, text: Text) -> None:
        before = self._shown
        if before is not None and before == text:
            return
        self._shown = text
        # Ellipsis-cut lines never wrap, so the height is the line count; otherwise let
        # Textual measure.
        same_height = (
            before is not None
            and text.no_wrap
            and before.no_wrap
            and before.plain.count("\n") == text.plain.count("\n")
        )
        self.update(text, layout=not same_height)
