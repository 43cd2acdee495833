"""``mlbdash archive export``: a stored league date as a replay data folder to hand on.

The folder (the bundled demo's layout, gzip) holds the date's schedule answer and every stored
version of its games as the archive holds them; ``mlbdash replay serve --data DIR`` serves it
exactly as ``mlbdash replay serve --db PATH --date D`` serves the archive itself. Exit 0 when the
folder is written and checked, 1 when the archive holds nothing for the date or the folder
cannot be written, 2 for bad flags or a database that cannot be opened.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbdash.commands.validate import parse_date
from mlbdash.config import load_settings, settings_flags
from mlbdash.errors import MlbdashError, UsageError
from mlbdash.mlb.clock import SystemClock

if TYPE_CHECKING:
    from mlbdash.ingest.store import Store
    from mlbdash.replay.exact import StoredVersion
    from mlbdash.replay.folder import FolderSummary


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "archive",
        help="hand a stored league date on: export it as a replay data folder",
        description="Work with the archive as a whole.",
    )
    sub = parser.add_subparsers(dest="archive_command", metavar="COMMAND")
    export = sub.add_parser(
        "export",
        help="write a league date as a replay data folder (schedule, every version)",
        description="Write one league date of the archive as a replay data folder: the "
        "schedule answer and every stored version of the date's games, each as it was stored "
        "(a whole feed, or the diffPatch blocks that led to it), gzip, in the layout of the "
        "bundled demo. Attach it to a bug report, keep it as a test fixture, or serve it with "
        "'mlbdash replay serve --data DIR'. The written folder is read back and checked "
        "against the archive before it is put in place.",
    )
    export.add_argument(
        "--date",
        type=parse_date,
        metavar="YYYY-MM-DD",
        help="league date (default: the latest date with a game under way, as 'report')",
    )
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write")
    export.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    export.add_argument("--force", action="store_true", help="replace DIR if it is not empty")
    export.set_defaults(run=run_export)
    parser.set_defaults(run=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


@dataclass(frozen=True)
class ArchivedDay:
    """One league date as the archive holds it."""

    official_date: date
    schedule: dict[str, Any] | None
    games: dict[int, list[StoredVersion]]

    @property
    def versions(self) -> int:
        return sum(len(versions) for versions in self.games.values())


async def read_day(store: Store, official_date: date | None) -> ArchivedDay:
    """The date's stored schedule answer and every stored version of the games it lists.

    ``official_date`` None: the latest league date with a game under way (as ``report``).
    Raises MlbdashError (exit 1) when the archive lists no game on the date.
    """
    from mlbdash.ingest.report import default_date
    from mlbdash.replay.exact import StoredVersion

    day = official_date or await default_date(store, store.clock.now())
    listed = await store.schedule_for_date(day)
    if not listed:
        raise MlbdashError(f"the archive {store.path} lists no game on {day}")
    games: dict[int, list[StoredVersion]] = {}
    for entry in listed:
        payloads = await store.version_payloads(entry.game_pk)
        games[entry.game_pk] = [
            StoredVersion(p.timecode, feed=p.feed, blocks=p.blocks) for p in payloads
        ]
    return ArchivedDay(day, _date_only(await store.schedule_snapshot(day), day), games)


def _date_only(schedule: dict[str, Any] | None, day: date) -> dict[str, Any] | None:
    """The schedule answer keeping only ``day``'s block (an answer for a range holds more)."""
    if schedule is None:
        return None
    days = [d for d in schedule.get("dates", []) if d.get("date") == day.isoformat()]
    if len(days) == len(schedule.get("dates", [])):
        return schedule
    return {**schedule, "dates": days}


def run_export(args: argparse.Namespace) -> int:
    settings = load_settings(settings_flags(args, "db_path"))
    db_path = settings.resolved_db_path()
    if not db_path.is_file():
        # Checked first: opening would create an empty database at a mistyped path.
        raise UsageError(f"no database at {db_path}; give --db")
    summary, day = asyncio.run(_export(db_path, args.date, args.out, force=args.force))
    print(
        f"exported {day} from {db_path} to {summary.path}: {summary.games} games, "
        f"{summary.versions} versions ({summary.full} whole feeds, {summary.diff} diffs), "
        f"{summary.files} files, {summary.bytes / 1e6:.1f} MB"
    )
    return 0


async def _export(
    db_path: Path, official_date: date | None, out: Path, *, force: bool
) -> tuple[FolderSummary, date]:
    from mlbdash.ingest.store import Store, StoreError
    from mlbdash.replay.folder import write_folder

    try:
        async with Store.open(db_path, clock=SystemClock(), read_only=True) as store:
            day = await read_day(store, official_date)
            latest = {pk: await store.load_latest_feed(pk) for pk in day.games if day.games[pk]}
    except StoreError as exc:
        raise UsageError(str(exc)) from None

    def check(folder: Path) -> None:
        check_folder(folder, day, {pk: feed for pk, (_, feed) in _present(latest).items()})

    summary = await asyncio.to_thread(
        write_folder, out, day.official_date, day.schedule, day.games, force=force, check=check
    )
    return summary, day.official_date


def _present(
    latest: dict[int, tuple[str, dict[str, Any]] | None],
) -> dict[int, tuple[str, dict[str, Any]]]:
    return {pk: value for pk, value in latest.items() if value is not None}


def check_folder(folder: Path, day: ArchivedDay, latest: dict[int, dict[str, Any]]) -> None:
    """Read the written folder back: every game must load as the archive's exact versions, and
    its last version, rebuilt from the folder, must equal the store's own rebuild of it."""
    from mlbdash.replay.data import load_data
    from mlbdash.replay.exact import ExactTimeline, compact

    loaded = load_data(folder)
    for game_pk, versions in day.games.items():
        if not versions:
            continue
        back = loaded.exact.get(game_pk)
        if back is None or [v.timecode for v in back] != [v.timecode for v in versions]:
            raise MlbdashError(f"export check: game {game_pk} does not read back as stored")
        timeline = ExactTimeline(game_pk, back)
        last = timeline.build(len(back) - 1)
        if compact(last) != compact(latest[game_pk]):
            raise MlbdashError(
                f"export check: game {game_pk}: version {back[-1].timecode} rebuilt from the "
                "folder differs from the archive's"
            )
