"""Which parts of a feed a diff block's ops changed.

A reader that derives something from each version of a feed (its facts, the validator's
reading of every play) keeps what it derived from the version before and, given the ops that
led from that version to this one, derives again only the parts an op wrote: the rest of a
700 KB feed is the same objects with the same content. The answers are conservative: an op
that cannot be read, or one written at or above a part, says the whole part may have changed.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Path = tuple[str, ...]

# Ops that put an item into a list at an index, or take one out: the items after it move.
_SHIFTING = frozenset({"add", "copy", "move", "remove"})


@dataclass(frozen=True, slots=True)
class Touched:
    """The places a run of ops wrote (``path``; a move's ``from`` too), as JSON pointers."""

    written: frozenset[str]
    ordered: tuple[str, ...]  # the same, sorted: the places inside one are a run of them
    # The written places where a list item may have been inserted or removed.
    shifted: tuple[str, ...]

    @classmethod
    def of(cls, blocks: Iterable[Any]) -> Touched | None:
        """The places the ops of these diff blocks wrote; None when one cannot be read (then
        nothing derived before can be trusted)."""
        written: set[str] = set()
        shifted: list[str] = []
        for block in blocks:
            ops = block.get("diff") if isinstance(block, dict) else None
            if not isinstance(ops, list):
                return None
            for op in ops:
                kind = op.get("op") if isinstance(op, dict) else None
                if kind == "test":
                    continue
                places = (op.get("path"),) if kind != "move" else (op.get("path"), op.get("from"))
                for pointer in places:
                    if not isinstance(pointer, str) or (pointer and pointer[0] != "/"):
                        return None
                    written.add(pointer)
                    if kind in _SHIFTING:
                        shifted.append(pointer)
        return cls(frozenset(written), tuple(sorted(written)), tuple(shifted))

    def _above(self, pointer: str) -> bool:
        """Whether an op wrote at ``pointer`` or above it."""
        written = self.written
        if pointer in written or "" in written:
            return True
        cut = pointer.find("/", 1)
        while cut != -1:
            if pointer[:cut] in written:
                return True
            cut = pointer.find("/", cut + 1)
        return False

    def _inside(self, pointer: str) -> tuple[str, ...]:
        """The written places strictly inside ``pointer``."""
        # "0" sorts right after "/": every pointer starting with pointer + "/" lies between.
        low = bisect.bisect_left(self.ordered, pointer + "/")
        high = bisect.bisect_left(self.ordered, pointer + "0", low)
        return self.ordered[low:high]

    def reaches(self, path: Path) -> bool:
        """Whether an op wrote at, inside or above ``path``."""
        pointer = _pointer(path)
        return bool(self._inside(pointer)) or self._above(pointer)

    def items(self, path: Path) -> set[str] | None:
        """The items of the object or list at ``path`` (keys, or indices as text) an op wrote
        at or inside; None when an op wrote ``path`` itself or above it."""
        pointer = _pointer(path)
        if self._above(pointer):
            return None
        start = len(pointer) + 1
        out: set[str] = set()
        for inside in self._inside(pointer):
            out.add(_unescape(inside[start:].split("/", 1)[0]))
        return out

    def first_shift(self, path: Path) -> int | None:
        """The lowest index at which an op may have inserted an item into the list at
        ``path`` or removed one from it (every item from there on may have moved); None when
        none did. An index that is not a number (``-``, the end) counts as past every item."""
        prefix = _pointer(path) + "/"
        lowest: int | None = None
        for pointer in self.shifted:
            index = pointer[len(prefix) :]
            if pointer.startswith(prefix) and index.isdigit():
                lowest = int(index) if lowest is None else min(lowest, int(index))
        return lowest


@functools.lru_cache(maxsize=256)
def _pointer(path: Path) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~") if "~" in token else token
