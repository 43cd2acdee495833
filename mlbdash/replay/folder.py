"""Writing a replay data folder from an archive's exact versions (``mlbdash archive export``).

The folder has the layout of the bundled demo slate, every file gzip (mtime 0, so equal
content gives equal bytes):

- ``schedule/schedule_<date>.json.gz``: the schedule answer of the league date;
- ``feed/feed_<gamePk>_<timecode>.json.gz``: each version stored as a whole feed;
- ``diffpatch/diffpatch_<gamePk>_from_<timecode>_to_<timecode>.json.gz``: each version stored
  as diff blocks, the diffPatch answer that leads to it from the version before;
- ``timestamps/timestamps_<gamePk>.json.gz``: every stored timecode of the game, in order;
- ``SOURCES.md``: what the folder is and how to serve it.

``load_data`` reads such a folder back as exact versions (see ``mlbdash.replay.data``).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from mlbdash.errors import MlbdashError
from mlbdash.replay.exact import ExactVersionsError, StoredVersion, check_versions, compact

GZIP_LEVEL = 6


class FolderError(MlbdashError):
    """The folder cannot be written (the message says where and why). Exit 1."""


@dataclass(frozen=True, slots=True)
class FolderSummary:
    path: Path
    games: int
    versions: int
    full: int
    diff: int
    files: int
    bytes: int


def write_folder(
    out: Path,
    official_date: date,
    schedule: Mapping[str, Any] | None,
    games: Mapping[int, Sequence[StoredVersion]],
    *,
    force: bool = False,
    check: Callable[[Path], None] | None = None,
) -> FolderSummary:
    """Write the folder at ``out`` in one step: built beside it, then renamed into place.

    ``out`` must not exist or be an empty folder, unless ``force`` (then it is replaced).
    ``check`` is called with the built folder before it is put in place; what it raises
    leaves ``out`` untouched.
    """
    for game_pk, versions in games.items():
        if versions:
            try:
                check_versions(game_pk, versions)
            except ExactVersionsError as exc:
                raise FolderError(f"cannot export: {exc}") from None
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise FolderError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FolderError(f"--out {out}: folder is not empty; use --force to replace it")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise FolderError(f"cannot write into {parent}: {exc.strerror or exc}") from None
    try:
        summary = _write(building, official_date, schedule, games)
        if check is not None:
            check(building)
        if out.exists():
            shutil.rmtree(out)
        building.replace(out)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise FolderError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    # mkdtemp makes the folder private (0700); the export gets the umask's permissions.
    mask = os.umask(0)
    os.umask(mask)
    try:
        out.chmod(0o777 & ~mask)
    except OSError as exc:
        raise FolderError(f"cannot set the permissions of {out}: {exc.strerror or exc}") from None
    return replace(summary, path=out)


def _write(
    root: Path,
    official_date: date,
    schedule: Mapping[str, Any] | None,
    games: Mapping[int, Sequence[StoredVersion]],
) -> FolderSummary:
    files = size = full = diff = 0

    def put(folder: str, name: str, raw: bytes) -> None:
        nonlocal files, size
        (root / folder).mkdir(exist_ok=True)
        body = gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)
        (root / folder / f"{name}.json.gz").write_bytes(body)
        files += 1
        size += len(body)

    if schedule is not None:
        put("schedule", f"schedule_{official_date.isoformat()}", compact(schedule))
    for game_pk, versions in sorted(games.items()):
        if not versions:
            continue
        previous: str | None = None
        for version in versions:
            if version.feed is not None:
                put("feed", f"feed_{game_pk}_{version.timecode}", version.feed)
                full += 1
            else:
                assert version.blocks is not None and previous is not None
                name = f"diffpatch_{game_pk}_from_{previous}_to_{version.timecode}"
                put("diffpatch", name, compact(version.blocks))
                diff += 1
            previous = version.timecode
        put("timestamps", f"timestamps_{game_pk}", compact([v.timecode for v in versions]))
    played = sum(1 for versions in games.values() if versions)
    sources = _SOURCES.format(
        date=official_date.isoformat(),
        games=len(games),
        played=played,
        versions=full + diff,
        full=full,
        diff=diff,
        schedule="one schedule answer" if schedule is not None else "no schedule answer",
    )
    (root / "SOURCES.md").write_text(sources, encoding="utf-8")
    return FolderSummary(root, len(games), full + diff, full, diff, files, size)


_SOURCES = """\
# Archive of league date {date}

Written by `mlbdash archive export` from an mlbdash archive: {schedule} and every stored
version of {played} of the date's {games} games, {versions} versions in all: {full} stored
as whole feeds (`feed/`), {diff} as the diffPatch blocks that led to them from the version
before (`diffpatch/`), with each game's stored timecodes in `timestamps/`. Every file holds
the MLB Stats API answers as the archive stored them, gzip.

Serve it as the API served it, in virtual time from the stored timecodes:

    mlbdash replay serve --data THIS_FOLDER [--speed X] [--faults SPEC]

MLB data is subject to http://gdx.mlb.com/components/copyright.txt.
"""
