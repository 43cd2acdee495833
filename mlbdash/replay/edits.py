"""Derived versions: a recorded game's versions changed inside a window of virtual time.

The demo uses these to script trouble into real games (a field renamed from some moment on, a
score that is wrong for a while and then corrected). Every served version is still built from
the recording; an edit is a function applied to the versions whose time falls in its window,
and diffPatch answers are generated between the edited versions, so applying them gives
exactly what a whole feed would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlbdash.replay.jsondiff import JsonOp, diff
from mlbdash.replay.timeline import Lru, Timeline, _timestamp_first

Json = dict[str, Any]


@dataclass(frozen=True)
class FeedEdit:
    """Change the versions of times between ``start`` and ``end`` (either open when None).

    ``change`` gets a version and returns the changed copy; it must not modify its argument
    (versions are shared with the timeline's cache). ``what`` says what it does, for people.
    """

    start: datetime | None
    end: datetime | None
    change: Callable[[Json], Json]
    what: str

    def covers(self, moment: float) -> bool:
        return (self.start is None or self.start.timestamp() <= moment) and (
            self.end is None or moment < self.end.timestamp()
        )


class EditedTimeline:
    """A timeline whose versions inside the edits' windows are changed; the rest as recorded."""

    def __init__(self, base: Timeline, edits: Sequence[FeedEdit], *, cache_size: int = 8) -> None:
        self.base = base
        self.edits = tuple(edits)
        self._built = Lru(cache_size)
        self._diffs = Lru(cache_size * 4)

    def _edits_at(self, index: int) -> tuple[FeedEdit, ...]:
        moment = self.base.times[index]
        return tuple(edit for edit in self.edits if edit.covers(moment))

    @property
    def times(self) -> Sequence[int]:
        return self.base.times

    def timecode(self, index: int) -> str:
        return self.base.timecode(index)

    def first_pitch(self) -> int:
        return self.base.first_pitch()

    def status(self, index: int) -> Json:
        return self.base.status(index)

    def linescore(self, index: int) -> Json:
        if not self._edits_at(index):
            return self.base.linescore(index)
        line: Json = self.build(index).get("liveData", {}).get("linescore", {})
        return line

    def build(self, index: int) -> Json:
        edits = self._edits_at(index)
        if not edits:
            return self.base.build(index)

        def make() -> Json:
            doc = self.base.build(index)
            for edit in edits:
                doc = edit.change(doc)
            return doc

        built: Json = self._built.get(index, make)
        return built

    def diff_ops(self, index: int) -> list[JsonOp]:
        if not self._edits_at(index) and not self._edits_at(index + 1):
            return self.base.diff_ops(index)
        ops: list[JsonOp] = self._diffs.get(
            index, lambda: _timestamp_first(diff(self.build(index), self.build(index + 1)))
        )
        return ops
