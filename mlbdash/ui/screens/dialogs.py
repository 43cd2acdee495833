"""Modal dialogs: where to export the validation report, yes/no confirmation, and the whole
text of a row that a panel shows cut."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ExportDialog(ModalScreen[Path | None]):
    """Asks for the CSV path; dismisses with the path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: Path) -> None:
        super().__init__(classes="dialog")
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Export the validation report to CSV", classes="dialog-title")
            yield Input(str(self._default), id="export-path", select_on_focus=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value:
            self.notify("Give a file name for the report", severity="warning", markup=False)
            return
        self.dismiss(Path(value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; ``y`` or Enter on Yes confirms, ``n`` or Escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog")
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self._question, markup=False, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes", variant="warning", id="confirm-yes")
                yield Button("No", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DetailsDialog(ModalScreen[None]):
    """The whole of a finding, check or alert that a panel shows cut; Esc or Enter closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, fields: Sequence[tuple[str, Text]]) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._fields = fields

    def compose(self) -> ComposeResult:
        body = Text()
        for index, (name, value) in enumerate(self._fields):
            if index:
                body.append("\n")
            body.append(f"{name}: ", style="bold")
            body.append_text(value)
        with Vertical(classes="dialog-box"):
            yield Label(self._title, markup=False, classes="dialog-title")
            yield Static(body, id="details-body")
            yield Label(Text("Esc or Enter closes", style="dim"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
