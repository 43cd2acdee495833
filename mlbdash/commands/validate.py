"""`mlbdash validate`: run the validator on recorded responses or on the stored games.

Exit 1 when any error-level finding exists, 0 otherwise, 2 for input that cannot be read
(missing file, not JSON, truncated gzip, neither a feed nor a schedule, over the size or nesting
bounds, a device or FIFO) or a bad database. The database is opened read-only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mlbdash.config import load_settings, settings_flags
from mlbdash.errors import UsageError
from mlbdash.flags import league_date
from mlbdash.ingest.findings import Finding, has_errors, sort_findings
from mlbdash.ingest.validator.response_file import UnreadableInput, read_json_file
from mlbdash.ingest.validator.service import (
    FeedContext,
    ResponseKind,
    detect_kind,
    validate_feed,
    validate_schedule,
)
from mlbdash.mlb.clock import SystemClock
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.text import terminal_safe


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check recorded responses or stored games against the validation rules",
        description="Validate feed or schedule responses given as files (.json or .json.gz, "
        "kind detected from the content), or the latest stored version of each game in the "
        "database. Exit 1 when any error-level finding exists, 2 for unreadable input. Files "
        "are read within bounds: at most max_body_bytes (a setting, 25 MB) after gunzip, JSON "
        "nested at most 100 deep, no number over 4300 digits, regular files only.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", type=Path)
    parser.add_argument("--db", dest="db_path", type=Path, metavar="PATH", help="database file")
    parser.add_argument(
        "--date",
        type=parse_date,
        metavar="YYYY-MM-DD",
        help="only stored games scheduled on this league date",
    )
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    parser.set_defaults(run=run)


def parse_date(text: str) -> date:
    """A league date flag (YYYY-MM-DD, 1876 on); the one check every command's --date uses."""
    return league_date(text)


@dataclass
class Report:
    """One validated file or stored game."""

    label: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


def read_response(path: Path, *, max_bytes: int) -> tuple[ResponseKind, Any]:
    """Parse a recorded response file; UnreadableInput with the reason when it cannot be."""
    body = read_json_file(path, max_bytes=max_bytes)
    kind = detect_kind(body)
    if kind is None:
        raise UnreadableInput(f"{path}: neither a live feed nor a schedule response")
    return kind, body


def validate_file(path: Path, *, max_bytes: int) -> Report:
    try:
        kind, body = read_response(path, max_bytes=max_bytes)
    except UnreadableInput as exc:
        return Report({"file": str(path)}, error=exc.message)
    label: dict[str, Any] = {"file": str(path), "kind": kind}
    if kind == "feed":
        label.update(_feed_label(body))
        return Report(label, validate_feed(body, context=FeedContext(full=True)))
    return Report(label, validate_schedule(body, full=True))


def _feed_label(feed: Mapping[str, Any]) -> dict[str, Any]:
    """Game, matchup and timecode of a raw feed, its strings made terminal-safe."""
    facts = version_facts(feed)  # the labels come through the models: already safe
    meta = feed.get("metaData")
    timecode = meta.get("timeStamp") if isinstance(meta, Mapping) else None
    game_pk = feed.get("gamePk")
    return {
        "game_pk": game_pk if isinstance(game_pk, int) or game_pk is None else _safe(game_pk),
        "matchup": f"{facts.away} @ {facts.home}",
        "timecode": timecode if timecode is None else _safe(timecode),
    }


def _safe(value: object) -> str:
    return terminal_safe(value if isinstance(value, str) else json.dumps(value))


async def validate_stored(db_path: Path, on: date | None) -> list[Report]:
    from mlbdash.ingest.store import Store, StoreError

    reports: list[Report] = []
    try:
        async with Store.open(db_path, clock=SystemClock(), read_only=True) as store:
            if on is None:
                game_pks = [g.game_pk for g in await store.list_games()]
            else:
                game_pks = sorted({e.game_pk for e in await store.schedule_for_date(on)})
            for game_pk in game_pks:
                record = await store.get_game(game_pk)
                matchup = None
                if record is not None and (record.away_abbrev or record.away_name):
                    away = record.away_abbrev or record.away_name
                    home = record.home_abbrev or record.home_name
                    matchup = f"{away} @ {home}"
                latest = await store.load_latest_feed(game_pk)
                label: dict[str, Any] = {"game_pk": game_pk, "matchup": matchup}
                if latest is None:
                    label["timecode"] = None
                    reports.append(Report(label))
                    continue
                label["timecode"] = latest[0]
                findings = validate_feed(latest[1], context=FeedContext(full=True))
                findings += await _archive_findings(
                    store, game_pk, bool(record and record.final_stored)
                )
                reports.append(Report(label, findings))
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    return reports


async def _archive_findings(store: Any, game_pk: int, final_stored: bool) -> list[Finding]:
    """The archive audit's gaps: the open VERSION_GAP finding ingest recorded against the
    server's list, and what the stored versions alone show (unreadable, out of order, a
    Final marked but not stored). ``mlbdash db audit`` asks the server afresh."""
    from mlbdash.ingest.audit import compare_versions
    from mlbdash.ingest.store import findings as finding_rows
    from mlbdash.ingest.validator.rules import VERSION_GAP

    out: list[Finding] = []
    async with store.read() as conn:
        rows = await finding_rows.list_findings(conn, game_pk=game_pk)
    for row in rows:
        if row.rule == VERSION_GAP.id and row.status in ("open", "acknowledged"):
            out.append(
                Finding(
                    VERSION_GAP.id,
                    VERSION_GAP.severity,
                    VERSION_GAP.category,
                    game_pk,
                    row.timecode,
                    row.path or "/timestamps",
                    row.expected,
                    row.actual,
                    row.message,
                )
            )
    if out:
        return out
    log = await store.version_log(game_pk)
    audit = compare_versions(game_pk, [v.timecode for v in log], log, final_stored=final_stored)
    if not audit.clean:
        out.append(
            Finding(
                VERSION_GAP.id,
                VERSION_GAP.severity,
                VERSION_GAP.category,
                game_pk,
                None,
                "/versions",
                f"{audit.stored} readable versions",
                f"{audit.gaps} problems",
                f"archive audit: {audit.describe()}",
            )
        )
    return out


def run(args: argparse.Namespace) -> int:
    if args.files and args.date is not None:
        raise UsageError("--date selects stored games; it cannot be combined with files")
    settings = load_settings(settings_flags(args, "db_path"))
    if args.files:
        reports = [validate_file(p, max_bytes=settings.max_body_bytes) for p in args.files]
        key = "files"
    else:
        db_path = settings.resolved_db_path()
        if not db_path.is_file():
            raise UsageError(f"no database at {db_path}; give --db or record some games first")
        reports = asyncio.run(validate_stored(db_path, args.date))
        key = "games"
    if args.json:
        print(json.dumps({key: [_as_json(r) for r in reports]}, indent=2, ensure_ascii=False))
    else:
        _print_text(reports, key)
    for r in reports:
        if r.error is not None:
            print(f"mlbdash: {r.error}", file=sys.stderr)
    if any(r.error is not None for r in reports):
        return 2
    return 1 if any(has_errors(r.findings) for r in reports) else 0


def _as_json(report: Report) -> dict[str, Any]:
    out = dict(report.label)
    if report.error is not None:
        out["error"] = report.error
    out["findings"] = [
        {**f.as_dict(), "game_pk": f.game_pk} for f in sort_findings(report.findings)
    ]
    return out


def _print_text(reports: list[Report], key: str) -> None:
    if not reports:
        print("no stored games to validate" if key == "games" else "nothing to validate")
    for report in reports:
        head = report.label.get("file") or f"game {report.label.get('game_pk')}"
        details = [
            str(v)
            for k, v in report.label.items()
            if k in ("kind", "matchup", "timecode") and v is not None
        ]
        if key == "files" and report.label.get("game_pk") is not None:
            details.insert(1, f"game {report.label['game_pk']}")
        title = f"{head} ({', '.join(details)})" if details else head
        if report.error is not None:
            print(f"{title}: unreadable")
            continue
        if not report.findings:
            print(f"{title}: no findings")
            continue
        errors = sum(f.severity == "error" for f in report.findings)
        print(f"{title}: {_count(len(report.findings), 'finding')}, {_count(errors, 'error')}")
        _print_grouped(report.findings)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_grouped(findings: list[Finding]) -> None:
    game: object = object()
    rule = None
    for f in sort_findings(findings):
        if f.game_pk != game:
            game, rule = f.game_pk, None
            print(f"  game {f.game_pk if f.game_pk is not None else '-'}")
        if f.rule != rule:
            rule = f.rule
            print(f"    {f.rule} [{f.severity}, {f.category}]")
        values = ""
        if f.expected is not None or f.actual is not None:
            values = f" (expected {f.expected}, actual {f.actual})"
        print(f"      {f.path}: {f.message}{values}")
