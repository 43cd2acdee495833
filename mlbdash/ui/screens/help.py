"""The help screen: every key, generated from the bindings so it cannot drift from them, and
what each mark on the screens means, drawn from the same constants the widgets draw with."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mlbdash.ui import format as fmt
from mlbdash.ui.widgets.panels import ALERT_MARK, SHORT_SEVERITY, STATUS_MARK
from mlbdash.ui.widgets.runs import BARS, NO_RUNS
from mlbdash.ui.widgets.versions import KIND_LABEL, KIND_STYLE, MARK

EXTRA_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "↑ ↓ PgUp PgDn", "Move in the focused table"),
    ("Dashboard", "Tab", "Next panel (games, alerts)"),
    ("Game detail", "Tab", "Next panel; ← → switch tabs"),
    ("Everywhere", "ctrl+p", "Command palette (every action by name)"),
)


KEY_WIDTH = 14
# The dialog is 76 columns at most; less its border, padding and scrollbar, and the key column.
WHAT_WIDTH = 50


def _what(text: Text, what: str) -> None:
    """``what`` in lines of WHAT_WIDTH, the lines after the first indented under the first."""
    lines = textwrap.wrap(what, WHAT_WIDTH) or [""]
    text.append(lines[0] + "\n")
    for line in lines[1:]:
        text.append(" " * (KEY_WIDTH + 2) + line + "\n")


def _marks() -> list[tuple[str, list[tuple[Text, str]]]]:
    """(section, [(mark as drawn, what it means)]) for every glyph the tables and charts use."""

    def marks(*pairs: tuple[str, str]) -> Text:
        text = Text()
        for glyph, style in pairs:
            if text:
                text.append(" ")
            text.append(glyph, style=style)
        return text

    status = fmt.STATUS_STYLE
    alert = fmt.ALERT_STYLE
    strip = [(MARK, KIND_STYLE[kind]) for kind in ("diff", "full", "finding")]
    return [
        (
            "Games",
            [
                (
                    marks((fmt.PUSH_MARK.strip(), "bold cyan")),
                    "after Polls: told of new versions by its push socket (polls are then only "
                    "the backstop); without it the game is followed by polling alone",
                ),
                (
                    marks(("▲7", ""), ("▼7", "")),
                    "top / bottom of the 7th (mid 7, end 7: between halves), then the outs",
                ),
                (Text("Age"), "since mlbdash last stored a new version (yellow after 2 min)"),
                (Text("Diff/Full"), "versions stored from diffPatch blocks / from whole feeds"),
                (marks((fmt.DASH, "dim")), "not known yet"),
            ],
        ),
        (
            "Validation",
            [
                (
                    marks(*((v, fmt.SEVERITY_STYLE[k]) for k, v in SHORT_SEVERITY.items())),
                    "finding severity: error, warning, info",
                )
            ],
        ),
        (
            "Rate limit",
            [
                (
                    Text("API ms"),
                    "how fast the API answers: the answering attempt alone, from the budget "
                    "letting it go to the whole body (mean per second, max of the minute)",
                ),
                (
                    Text("waited"),
                    "the longest a request answered in the last minute waited before that "
                    "attempt: the budget's queue, a Retry-After pause, earlier attempts",
                ),
            ],
        ),
        (
            "Health & alerts",
            [
                (
                    marks(*((STATUS_MARK[k], status[k]) for k in ("ok", "degraded", "failing"))),
                    "check ok / degraded / failing",
                ),
                (
                    marks(
                        (ALERT_MARK["firing"], alert["firing"]),
                        (ALERT_MARK["pending"], alert["pending"]),
                        (ALERT_MARK["ack"], "dim"),
                        (ALERT_MARK["silenced"], "dim"),
                    ),
                    "alert firing / pending (its condition holds, not yet long enough to fire) "
                    "/ acknowledged / silenced",
                ),
            ],
        ),
        (
            "Game detail",
            [
                (
                    marks(*strip),
                    "version strip, one mark per stored version: "
                    + ", ".join(KIND_LABEL[k] for k in ("diff", "full", "finding"))
                    + " (a version a finding was recorded on)",
                ),
                (
                    marks((BARS[0] + BARS[3] + BARS[-1], "cyan"), (NO_RUNS, "dim")),
                    "runs by inning: a bar as tall as the runs; a dot for none",
                ),
                (Text("B S O"), "balls, strikes, outs of the current play"),
            ],
        ),
    ]


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
                text.append(f"  {key:<{KEY_WIDTH}}", style="bold")
                _what(text, what)
        text.append("\nmlbdash marks\n", style="bold")
        for title, rows in _marks():
            text.append(f"\n{title}\n", style="bold underline")
            for mark, what in rows:
                text.append("  ")
                text.append_text(mark)
                text.append(" " * max(1, KEY_WIDTH - mark.cell_len))
                _what(text, what)
        with VerticalScroll(classes="dialog-box", id="help-box"):
            yield Static(text)

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Help: keys, then marks (Esc closes)"

    def action_close(self) -> None:
        self.dismiss()
