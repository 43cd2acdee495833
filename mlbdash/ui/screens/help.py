"""The help screen: every key, generated from the bindings so it cannot drift from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "↑ ↓ PgUp PgDn", "Move in the focused table"),
    ("Dashboard", "Tab", "Next panel (games, alerts)"),
    ("Game detail", "Tab", "Next panel; ← → switch tabs"),
    ("Everywhere", "ctrl+p", "Command palette (every action by name)"),
)


_KEY_NAMES = {"escape": "esc", "question_mark": "?", "slash": "/", "enter": "Enter"}


def _keys(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    out = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            key = binding.key_display or ",".join(
                _KEY_NAMES.get(k, k) for k in binding.key.split(",")
            )
            out.append((key, binding.tooltip or binding.description))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, sections: Iterable[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__(classes="dialog")
        self._sections = list(sections)

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("mlbdash keys\n", style="bold")
        extras: dict[str, list[tuple[str, str]]] = {}
        for section, key, what in EXTRA_KEYS:
            extras.setdefault(section, []).append((key, what))
        for title, bindings in self._sections:
            text.append(f"\n{title}\n", style="bold underline")
            for key, what in extras.get(title, []) + _keys(bindings):
                text.append(f"  {key:<14}", style="bold")
                text.append(f"{what}\n")
        with VerticalScroll(classes="dialog-box", id="help-box"):
            yield Static(text)

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Help (Esc closes)"

    def action_close(self) -> None:
        self.dismiss()
