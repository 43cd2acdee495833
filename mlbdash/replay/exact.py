"""A game replayed from an archive's exact versions, as they were stored.

An archive (mlbdash's database, or a folder written by ``mlbdash archive export``) holds every
version of a game the way it came: a whole feed, or the diffPatch blocks that led to it from the
version before. :class:`ExactTimeline` serves those versions at their stored timecodes, byte for
byte, and answers diffPatch the way each version came: the stored blocks for a run of diff
versions, the whole feed for a version that was stored whole. Nothing is re-derived.

A version is rebuilt from the nearest earlier whole feed (or a rebuilt version kept every
``ANCHOR_EVERY`` versions as compact JSON) with the blocks after it applied, so any version
costs at most that many block applications and one JSON parse; the next version in time
order costs only its own blocks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlbdash.mlb.patch import PatchError, apply_diff_blocks, copy_json
from mlbdash.mlb.timecode import timecode_instant
from mlbdash.replay.jsondiff import JsonOp, diff
from mlbdash.replay.timeline import Lru
from mlbdash.replay.timeutil import epoch

Json = dict[str, Any]

ANCHOR_EVERY = 25
"""A rebuilt version is kept (as compact JSON) after this many applied diff versions."""


def compact(doc: Any) -> bytes:
    """JSON as the API and the store write it: no spaces, UTF-8 as is."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version as an archive holds it.

    ``feed`` is the whole feed (compact JSON) of a version stored whole; ``blocks`` the
    diffPatch blocks that lead to this version from the one before, for a diff version.
    Exactly one of them is set.
    """

    timecode: str
    feed: bytes | None = None
    blocks: list[Any] | None = None

    @property
    def kind(self) -> Literal["full", "diff"]:
        return "full" if self.feed is not None else "diff"


class ExactVersionsError(ValueError):
    """Versions that cannot make a timeline (the message names the game and the reason)."""


@dataclass(frozen=True, slots=True)
class DiffAnswer:
    """What diffPatch answers from one stored version: blocks, or the whole feed at ``index``."""

    blocks: list[Any] | None
    index: int


class ExactTimeline:
    """The stored versions of one game, served at their stored timecodes."""

    def __init__(self, game_pk: int, versions: Sequence[StoredVersion]) -> None:
        check_versions(game_pk, versions)
        self.game_pk = game_pk
        self.versions = list(versions)
        self._times = [_epoch_of(v.timecode) for v in self.versions]
        self._positions = {v.timecode: i for i, v in enumerate(self.versions)}
        self._anchors: dict[int, bytes] = {
            i: v.feed for i, v in enumerate(self.versions) if v.feed is not None
        }
        self._cursor: tuple[int, Json] | None = None
        self._small = Lru(4096)

    @property
    def times(self) -> Sequence[int]:
        return self._times

    def timecode(self, index: int) -> str:
        return self.versions[index].timecode

    def position(self, timecode: str) -> int | None:
        """The index of the version stored under ``timecode``, None if there is none."""
        return self._positions.get(timecode)

    def first_pitch(self) -> int:
        """When the archive's first version of the game was made (where its replay begins)."""
        return self._times[0]

    def status(self, index: int) -> Json:
        status: Json = self._small.get(
            ("status", index),
            lambda: copy_json(self.build(index).get("gameData", {}).get("status", {})),
        )
        return status

    def linescore(self, index: int) -> Json:
        line: Json = self._small.get(
            ("linescore", index),
            lambda: copy_json(self.build(index).get("liveData", {}).get("linescore", {})),
        )
        return line

    def build(self, index: int) -> Json:
        """Version ``index`` as stored.

        The document is valid until the next ``build``: the next version is patched onto it
        in place (a replay asks for versions in time order), so encode or copy what you keep.
        """
        start = max(i for i in self._anchors if i <= index)
        cursor = self._cursor
        if cursor is not None and cursor[0] == index:
            return cursor[1]
        if cursor is not None and start <= cursor[0] < index:
            start, doc = cursor
        else:
            doc = json.loads(self._anchors[start])
        self._cursor = None  # half patched until the loop is through
        for step in range(start + 1, index + 1):
            blocks = self.versions[step].blocks
            assert blocks is not None  # every version after an anchor up to the next is a diff
            try:
                doc = apply_diff_blocks(doc, blocks)
            except PatchError as exc:
                raise ExactVersionsError(
                    f"game {self.game_pk} version {self.versions[step].timecode}: "
                    f"stored diff does not apply ({exc})"
                ) from None
            if step % ANCHOR_EVERY == 0 and step not in self._anchors:
                self._anchors[step] = compact(doc)
        self._cursor = (index, doc)
        return doc

    def diff_ops(self, index: int) -> list[JsonOp]:
        """Operations from version ``index`` to ``index + 1`` (the stored ones for a diff)."""
        blocks = self.versions[index + 1].blocks
        if blocks is not None:
            return [op for block in blocks for op in block.get("diff", [])]
        before = copy_json(self.build(index))
        ops: list[JsonOp] = diff(before, self.build(index + 1))
        return ops

    def answer(self, start: int, end: int) -> DiffAnswer:
        """diffPatch from stored version ``start`` to version ``end`` (``start < end``).

        The blocks of the diff versions after ``start``, up to ``end`` or to the next version
        stored whole; when that is the very next version, its whole feed. A client following
        the answers stores every version with the kind it was stored with.
        """
        blocks: list[Any] = []
        for step in range(start + 1, end + 1):
            stored = self.versions[step].blocks
            if stored is None:
                return DiffAnswer(None, step) if not blocks else DiffAnswer(blocks, step - 1)
            blocks.extend(stored)
        return DiffAnswer(blocks, end)


def check_versions(game_pk: int, versions: Sequence[StoredVersion]) -> None:
    """Raise ExactVersionsError unless ``versions`` can be served as a timeline."""
    if not versions:
        raise ExactVersionsError(f"game {game_pk}: no stored versions")
    if versions[0].feed is None:
        raise ExactVersionsError(
            f"game {game_pk}: first version {versions[0].timecode} is not a whole feed"
        )
    previous: int | None = None
    for version in versions:
        if (version.feed is None) == (version.blocks is None):
            raise ExactVersionsError(
                f"game {game_pk} version {version.timecode}: needs a whole feed or diff blocks"
            )
        moment = _epoch_of(version.timecode)
        if moment < 0:
            raise ExactVersionsError(
                f"game {game_pk}: {version.timecode!r} is not a timecode (YYYYMMDD_HHMMSS)"
            )
        if previous is not None and moment <= previous:
            raise ExactVersionsError(
                f"game {game_pk}: version {version.timecode} is not later than the one before "
                "it; versions must come in time order"
            )
        previous = moment


def _epoch_of(timecode: str) -> int:
    moment = timecode_instant(timecode)
    return -1 if moment is None else epoch(moment)
