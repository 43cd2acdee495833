"""The version strip: a game's stored versions over time, one mark per version.

Each mark is coloured by how the version came: a diffPatch block, a whole feed, or a version on
which a finding was recorded (that colour wins). Marks run oldest to newest, left to right and
then onto the next line; a long game that would need more than ``max_lines`` lines keeps its
newest versions (or those around the selected one) and says how many are left out. ``selected``
highlights one version (by index into ``versions``) for screens that step through them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from mlbdash.ingest.views import VersionMark
from mlbdash.ui.format import LEAGUE_CLOCK, DisplayClock

MARK = "▌"
KIND_STYLE = {"diff": "green", "full": "bold cyan", "finding": "bold red"}
KIND_LABEL = {"diff": "diff", "full": "whole feed", "finding": "finding"}
MAX_LINES = 4


def mark_kind(version: VersionMark) -> str:
    """``finding`` when a finding was recorded on the version, else how it came."""
    if version.findings:
        return "finding"
    return "full" if version.kind == "full" else "diff"


def strip_lines(
    versions: Sequence[VersionMark],
    width: int,
    *,
    max_lines: int = MAX_LINES,
    selected: int | None = None,
) -> list[Text]:
    """The marks as lines of at most ``width`` cells, newest kept when they do not all fit."""
    width = max(1, width)
    room = width * max_lines
    first, end = 0, len(versions)
    lines: list[Text] = []
    if len(versions) > room:
        # One line says what is left out; the rest holds the newest marks, or the marks
        # around the selected version when time travel has gone further back.
        room = width * (max_lines - 1)
        first = len(versions) - room
        if selected is not None and selected < first:
            first = max(0, selected - room // 2)
        end = first + room
        later = len(versions) - end
        said = f"… {first} earlier versions not shown"
        if later:
            said = f"… {first} earlier and {later} later versions not shown"
        lines.append(Text(said, style="dim"))
    line = Text(no_wrap=True)
    for index in range(first, end):
        style = KIND_STYLE[mark_kind(versions[index])]
        if index == selected:
            style += " reverse"
        line.append(MARK, style=style)
        if line.cell_len >= width:
            lines.append(line)
            line = Text(no_wrap=True)
    if line.cell_len or not lines:
        lines.append(line)
    return lines


def legend(versions: Sequence[VersionMark], clock: DisplayClock = LEAGUE_CLOCK) -> Text:
    """``▌diff 12  ▌whole feed 1  ▌finding 2   19:02:11 → 21:48:40 ET``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    counts = dict.fromkeys(KIND_STYLE, 0)
    for version in versions:
        counts[mark_kind(version)] += 1
    for kind, style in KIND_STYLE.items():
        text.append(MARK, style=style)
        text.append(f"{KIND_LABEL[kind]} {counts[kind]}  ", style="dim")
    if versions:
        first, last = versions[0].stored_at, versions[-1].stored_at
        span = f" {clock.time(first)} → {clock.time(last)} {clock.label(last)}"
        text.append(span, style="dim")
    return text


class VersionStrip(Widget):
    """Versions of one game (``versions``), stored time running left to right."""

    DEFAULT_CSS = """
    VersionStrip {
        height: auto;
    }
    """

    versions: reactive[tuple[VersionMark, ...]] = reactive((), layout=True)
    selected: reactive[int | None] = reactive(None)

    def __init__(self, *, clock: DisplayClock = LEAGUE_CLOCK, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock

    def show(self, versions: Sequence[VersionMark]) -> None:
        versions = tuple(versions)
        if versions != self.versions:
            self.versions = versions

    def _lines(self, width: int) -> list[Text]:
        if not self.versions:
            return [Text("no versions stored yet", style="dim")]
        marks = strip_lines(self.versions, width, selected=self.selected)
        return [legend(self.versions, self.clock), *marks]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_size.width))
