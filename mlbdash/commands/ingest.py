"""``mlbdash ingest``: the scraper, scheduler, validator and monitor without the dashboard.

Progress goes to stderr (one refreshed status line on a terminal, plain lines otherwise), so
stdout holds only the summary: a table, or with ``--json`` one JSON object. Exit 0 when every
tracked game reached a terminal state with its final feed stored, 1 when coverage is
incomplete at stop or something could not be stored, 2 for usage or configuration errors.
Ctrl-C (SIGINT) and SIGTERM stop cleanly, finishing or rolling back the write in progress, still
print the summary, and exit 130 and 143 as a shell expects.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import signal
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TextIO

from mlbdash import flags
from mlbdash.config import Settings, ensure_data_dir, load_settings
from mlbdash.errors import UsageError
from mlbdash.ingest.events import Event, GameStateChanged, IssueFound
from mlbdash.ingest.runtime import Runtime
from mlbdash.ingest.scheduler import TrackedDates
from mlbdash.ingest.scheduler.summary import IngestSummary
from mlbdash.ingest.views import api_trouble
from mlbdash.mlb.dates import league_time, parse_api_date

PROGRESS_EVERY_S = 1.0  # real seconds between status lines
EPILOG = """\
exit codes:
  0    every tracked game terminal with its final feed stored and audited, nothing unstored
  1    incomplete at stop: a game not final, a version not stored, an audit gap, a failed write
  2    usage error: bad flags, settings or dates
  130  stopped by Ctrl-C (SIGINT); 143 stopped by SIGTERM (the summary is still printed)
"""
GIVE_UP_AFTER_S = 600.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest",
        help="archive the games of some dates, without the dashboard",
        description=(
            "Track the games of the given league dates (default: today's) from the schedule "
            "to their final feed, storing every version and validating it. Progress goes to "
            "stderr; the summary to stdout."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    when = parser.add_argument_group("dates")
    when.add_argument("--date", help="one league date, YYYY-MM-DD (default: today)")
    when.add_argument("--start", help="first league date of a range")
    when.add_argument("--end", help="last league date of a range (inclusive)")
    parser.add_argument(
        "--sport-id",
        dest="sport_ids",
        type=flags.positive_id,
        action="append",
        metavar="N",
        help="sport to track (1 = MLB; repeat for several)",
    )
    parser.add_argument(
        "--team",
        dest="teams",
        type=flags.positive_id,
        action="append",
        metavar="ID",
        help="only this team's games (repeat for several)",
    )
    parser.add_argument("--api-url", help="MLB Stats API base URL (or a replay server's)")
    parser.add_argument("--db", type=Path, help="database file")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument(
        "--metrics-port",
        type=flags.port,
        metavar="PORT",
        help="serve Prometheus metrics on 127.0.0.1 (0: any free port; the port is printed)",
    )
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument(
        "--until-done",
        action="store_true",
        help="stop once every game is final and stored (or postponed/cancelled)",
    )
    stop.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this long")
    stop.add_argument(
        "--follow", action="store_true", help="keep going, picking up each new league date"
    )
    parser.add_argument(
        "--give-up-after",
        type=float,
        default=GIVE_UP_AFTER_S,
        metavar="SECONDS",
        help="with --until-done: stop (exit 1) after this long with no successful request "
        f"(default {GIVE_UP_AFTER_S:.0f}); --follow and --duration keep trying",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.set_defaults(run=run)


def _date(flag: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return flags.check_date(parse_api_date(text))
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise UsageError(f"{flag}: {exc}") from None


def tracked_dates(args: argparse.Namespace) -> TrackedDates:
    one = _date("--date", args.date)
    start, end = _date("--start", args.start), _date("--end", args.end)
    if one is not None and (start is not None or end is not None):
        raise UsageError("give --date or --start/--end, not both")
    if (start is None) != (end is None):
        raise UsageError("--start and --end go together")
    if one is not None:
        return TrackedDates.single(one, follow=args.follow)
    return TrackedDates(start=start, end=end, follow=args.follow)


def run(args: argparse.Namespace) -> int:
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise UsageError("--duration must be a positive number of seconds")
    if not (math.isfinite(args.give_up_after) and args.give_up_after > 0):
        raise UsageError("--give-up-after must be a positive number of seconds")
    tracked = tracked_dates(args)
    cli = {
        "api_url": args.api_url,
        "sport_ids": args.sport_ids,
        "teams": args.teams,
        "db_path": args.db,
        "metrics_port": args.metrics_port,
    }
    settings = load_settings(cli, config_file=args.config)
    if settings.db_path is None:
        ensure_data_dir(settings)
    summary = asyncio.run(_ingest(settings, tracked, args))
    out = sys.stdout
    if args.json:
        out.write(json.dumps(summary.as_dict(), separators=(",", ":")) + "\n")
    else:
        write_summary(summary, out)
    out.flush()
    if "gave_up" in summary.extra:
        sys.stderr.write(f"mlbdash: gave up: {summary.extra['gave_up']}\n")
    return summary.exit_code


async def _ingest(
    settings: Settings, tracked: TrackedDates, args: argparse.Namespace
) -> IngestSummary:
    async with Runtime(settings, tracked=tracked) as rt:
        if rt.metrics_port is not None:
            # With --metrics-port 0 the system picks the port: say which, or nobody can scrape it.
            print(
                f"mlbdash: metrics on http://127.0.0.1:{rt.metrics_port}/metrics",
                file=sys.stderr,
                flush=True,
            )
        progress = Progress(rt, sys.stderr)
        unsubscribe = rt.subscribe(progress.handle)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, rt.stop, "interrupted")
        loop.add_signal_handler(signal.SIGTERM, rt.stop, "terminated")
        ticker = asyncio.create_task(progress.run())
        try:
            summary = await rt.run(
                until_done=args.until_done,
                duration_s=args.duration,
                follow=args.follow,
                give_up_after_s=args.give_up_after if args.until_done else None,
            )
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            unsubscribe()
            progress.close()
        return summary


class Progress:
    """Live progress on stderr: one refreshed line on a terminal, plain lines otherwise."""

    def __init__(self, runtime: Runtime, out: TextIO) -> None:
        self.rt = runtime
        self.out = out
        self.tty = out.isatty()
        self._errors = 0
        self._width = 0

    def handle(self, event: Event) -> None:
        if isinstance(event, IssueFound) and event.severity == "error" and event.new:
            self._errors += 1
        if isinstance(event, GameStateChanged) and not self.tty:
            self.out.write(
                f"game {event.game_pk}: {event.old or '-'} -> {event.new} "
                f"({event.detailed_state}, {event.source})\n"
            )
            self.out.flush()

    def line(self) -> str:
        scheduler = self.rt.scheduler
        states = Counter(t.status.lifecycle.value for t in scheduler.tracks.values())
        by_state = " ".join(f"{name} {n}" for name, n in sorted(states.items()))
        if not by_state:
            by_state = "schedule not read yet" if scheduler.schedule_pending() else "no games"
        ledger = self.rt.ledger
        text = (
            f"{league_time(self.rt.clock.now())} | {by_state} | requests {ledger.total} "
            f"(errors {ledger.errors}) | error findings {self._errors} | "
            f"coverage {_percent(scheduler.coverage())}"
        )
        if self.rt.write_error is not None:
            failed = sum(self.rt.write_failures.values())
            text += f" | DATABASE WRITE FAILED ({failed}x): {self.rt.write_error}"
        trouble = api_trouble(self.rt.monitor.checks())
        return f"{text} | {trouble}" if trouble else text

    async def run(self) -> None:
        while True:
            text = self.line()
            if self.tty:
                pad = max(0, self._width - len(text))
                self.out.write("\r" + text + " " * pad)
                self._width = len(text)
            else:
                self.out.write(text + "\n")
            self.out.flush()
            await asyncio.sleep(PROGRESS_EVERY_S)

    def close(self) -> None:
        if self.tty and self._width:
            self.out.write("\n")
            self.out.flush()


def _percent(share: float | None) -> str:
    """A share as a percentage; ``-`` when it is unknown (a schedule never read)."""
    return "-" if share is None else f"{share:.0%}"


def _score(away: int | None, home: int | None) -> str:
    return "-" if away is None or home is None else f"{away}-{home}"


def write_summary(summary: IngestSummary, out: TextIO) -> None:
    elapsed = (summary.stopped_at - summary.started_at).total_seconds()
    out.write(
        f"mlbdash ingest {', '.join(summary.dates)}: stopped ({summary.stop_reason}) "
        f"after {elapsed:,.0f} s of clock time\n\n"
    )
    out.write(
        f"{'GAME':>8}  {'DATE':10}  {'MATCHUP':28}  {'STATE':22}  {'SCORE':>6}  "
        f"{'VERSIONS':>8}  FINAL\n"
    )
    for g in summary.games:
        matchup = f"{g.away} @ {g.home}"[:28]
        state = g.detailed_state[:22]
        final = "stored" if g.final_stored else "-"
        out.write(
            f"{g.game_pk:>8}  {g.official_date:10}  {matchup:28}  {state:22}  "
            f"{_score(g.away_score, g.home_score):>6}  {g.versions:>8}  {final}\n"
        )
    for g in summary.games:
        if g.not_archived:
            out.write(
                f"  earlier: game {g.game_pk}: {g.not_archived} versions before its first stored "
                "one not archived (met mid-game, archived from then on)\n"
            )
    req = summary.requests
    kinds = ", ".join(f"{k} {v}" for k, v in req["by_kind"].items())
    out.write(
        f"\nrequests  {req['total']} ({kinds}); retries {req['retries']}, errors "
        f"{req['errors']}; {req['bytes_wire'] / 1e6:.1f} MB on the wire, "
        f"{req['bytes_decoded'] / 1e6:.1f} MB decoded\n"
    )
    out.write(f"updates   {summary.updates['full']} full, {summary.updates['diff']} diff\n")
    f = summary.findings
    out.write(
        f"findings  {f.get('error', 0)} errors, {f.get('warning', 0)} warnings, "
        f"{f.get('info', 0)} info\n"
    )
    firing = summary.alerts["firing"]
    out.write(f"alerts    {summary.alerts['fired']} fired, {len(firing)} still firing\n")
    deg = summary.degraded
    out.write(
        f"coverage  {_percent(summary.coverage)}; polls late {deg['share']:.0%} "
        f"(mean {deg['mean_late_s']:.1f} s, max {deg['max_late_s']:.1f} s)\n"
    )
    if "gave_up" in summary.extra:
        out.write(f"gave up   {summary.extra['gave_up']}\n")
    for gap in summary.gaps:
        out.write(
            f"  gap: {gap['date']} game {gap['game_pk']} {gap['detailed_state']}: {gap['reason']}\n"
        )
    failures = summary.extra.get("write_failures") or {}
    if failures:
        counts = ", ".join(f"{what} {n}" for what, n in failures.items())
        out.write(f"database  writes failed: {counts}\n")
    unstored = summary.extra.get("unstored") or {}
    if unstored:
        counts = ", ".join(f"{what} {n}" for what, n in unstored.items())
        out.write(f"NOT STORED  {counts}\n")
    out.write(f"complete  {'yes' if summary.complete else 'no'}\n")
