"""A DashboardSource built from fixed data, for driving the dashboard in tests.

Games, scores, innings, current plays and stored feeds come from the real feed and schedule
fixtures in tests/fixtures. What the pipeline itself would add (poll counts, findings, alerts,
checks, the request budget) is made up here, and fixed, so screenshots are repeatable.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from mlbdash.errors import MlbdashError
from mlbdash.ingest.events import Event, EventSink
from mlbdash.ingest.views import (
    AlertRow,
    BudgetView,
    CheckRow,
    DashboardSnapshot,
    FindingRow,
    GameDetail,
    GameRow,
    InningLine,
    Linescore,
    PollRecord,
    StateChange,
    VersionMark,
    VersionOp,
    VersionView,
)
from mlbdash.mlb.clock import ManualClock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API_URL = "http://127.0.0.1:8765/api"
# The fixed "now": half a minute after the newest stored version (MIN @ TOR, 23:13:01 UTC).
NOW = datetime(2025, 8, 27, 23, 13, 31, tzinfo=UTC)

# gamePk -> feed fixture, with the pipeline counters the fake reports for it:
# (seconds since the last stored version, polls, diff updates, full updates)
FEEDS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    633860: ("feed_633860_live_b7_20210603_213045.json.gz", (250, 212, 188, 3)),
    662751: ("feed_662751_final.json.gz", (4000, 301, 280, 2)),
    744914: ("feed_744914_final.json.gz", (5400, 288, 270, 1)),
    746139: ("feed_746139_live_t7_20240612_041248.json.gz", (8, 190, 176, 2)),
    747175: ("feed_747175_final_nocopyright.json.gz", (7200, 310, 297, 1)),
    776567: ("feed_776567_live_t1_20250827_231301.json.gz", (30, 14, 11, 1)),
    776792: ("feed_776792_live_t8.json.gz", (4, 240, 231, 1)),
}
POSTPONED_SCHEDULE = "schedule_2022-04-07_2postponed.json"
TEAMS = "teams_mlb_2026.json"


@cache
def load_feed(game_pk: int) -> dict[str, Any]:
    name = FEEDS[game_pk][0]
    with gzip.open(FIXTURES / "feed" / name, "rt", encoding="utf-8") as fh:
        feed: dict[str, Any] = json.load(fh)
    return feed


def _lifecycle(status: dict[str, Any]) -> str:
    detailed = status.get("detailedState", "")
    if detailed == "Postponed":
        return "postponed"
    return {"Live": "live", "Final": "final", "Preview": "scheduled"}.get(
        status.get("abstractGameState", ""), "unknown"
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _feed_row(game_pk: int, findings: int) -> GameRow:
    feed = load_feed(game_pk)
    game, live = feed["gameData"], feed["liveData"]
    linescore = live["linescore"]
    status = game["status"]
    state = _lifecycle(status)
    ago, polls, diffs, fulls = FEEDS[game_pk][1]
    start = _parse_time(game["datetime"]["dateTime"])
    return GameRow(
        game_pk=game_pk,
        official_date=game["datetime"].get("officialDate") or start.date().isoformat(),
        away=game["teams"]["away"]["abbreviation"],
        home=game["teams"]["home"]["abbreviation"],
        state=state,
        detailed_state=status["detailedState"],
        reason=status.get("reason"),
        away_score=linescore["teams"]["away"].get("runs"),
        home_score=linescore["teams"]["home"].get("runs"),
        inning=linescore.get("currentInning"),
        inning_half=linescore.get("inningHalf"),
        outs=linescore.get("outs"),
        game_time=start,
        double_header=game["game"].get("doubleHeader"),
        game_number=game["game"].get("gameNumber"),
        last_update_at=NOW - timedelta(seconds=ago),
        timecode=feed["metaData"].get("timeStamp"),
        polls=polls,
        diff_updates=diffs,
        full_updates=fulls,
        versions=diffs + fulls,
        findings=findings,
        final_stored=state == "final",
        away_name=game["teams"]["away"]["name"],
        home_name=game["teams"]["home"]["name"],
    )


@cache
def _abbreviations() -> dict[int, str]:
    """Team id -> abbreviation, as the runtime shows teams (the schedule only has names)."""
    teams = json.loads((FIXTURES / "other" / TEAMS).read_text("utf-8"))
    return {team["id"]: team["abbreviation"] for team in teams["teams"]}


def _postponed_rows() -> list[GameRow]:
    schedule = json.loads((FIXTURES / "schedule" / POSTPONED_SCHEDULE).read_text("utf-8"))
    abbreviation = _abbreviations()
    rows = []
    for day in schedule["dates"]:
        for game in day["games"]:
            status = game["status"]
            if status["detailedState"] != "Postponed":
                continue
            rows.append(
                GameRow(
                    game_pk=game["gamePk"],
                    official_date=game["officialDate"],
                    away=abbreviation[game["teams"]["away"]["team"]["id"]],
                    home=abbreviation[game["teams"]["home"]["team"]["id"]],
                    state=_lifecycle(status),
                    detailed_state=status["detailedState"],
                    reason=status.get("reason"),
                    away_score=None,
                    home_score=None,
                    inning=None,
                    inning_half=None,
                    outs=None,
                    game_time=_parse_time(game["gameDate"]),
                    double_header=game.get("doubleHeader"),
                    game_number=game.get("gameNumber"),
                    last_update_at=NOW - timedelta(minutes=20),
                    timecode=None,
                    polls=3,
                    diff_updates=0,
                    full_updates=0,
                    versions=0,
                    findings=0,
                    final_stored=False,
                    away_name=game["teams"]["away"]["team"]["name"],
                    home_name=game["teams"]["home"]["team"]["name"],
                )
            )
    return rows


def _matchup(row: GameRow) -> str:
    return f"{row.away} @ {row.home}"


def _findings(rows: dict[int, GameRow]) -> tuple[FindingRow, ...]:
    specs = [
        (
            746139,
            "error",
            "consistency",
            "linescore-runs-sum",
            "liveData.linescore.teams.home.runs",
            "14",
            "13",
            "home runs differ from the sum of innings",
        ),
        (
            746139,
            "warning",
            "freshness",
            "timecode-went-back",
            "metaData.timeStamp",
            "20240612_041248",
            "20240612_041230",
            "stored version older than the last one",
        ),
        (
            633860,
            "warning",
            "freshness",
            "stale-live-game",
            "metaData.timeStamp",
            None,
            None,
            "no new version for 4 minutes while live",
        ),
        (
            776792,
            "info",
            "drift",
            "unknown-field",
            "liveData.plays.currentPlay.matchup.splits",
            None,
            None,
            "field not in the model",
        ),
        (
            744914,
            "warning",
            "cross-reference",
            "schedule-score-mismatch",
            "teams.home.score",
            "1",
            "0",
            "schedule and feed scores differ",
        ),
    ]
    out = []
    for n, (pk, sev, cat, rule, path, expected, actual, message) in enumerate(specs, start=1):
        row = rows[pk]
        out.append(
            FindingRow(
                id=n,
                game_pk=pk,
                official_date=row.official_date,
                matchup=_matchup(row),
                severity=sev,
                category=cat,
                rule=rule,
                path=path,
                expected=expected,
                actual=actual,
                message=message,
                status="open",
                first_seen=NOW - timedelta(minutes=30 - n),
                last_seen=NOW - timedelta(seconds=20 * n),
                occurrences=n,
                correction=None,
            )
        )
    return tuple(out)


CHECKS = (
    CheckRow("api", "ok", "last success 2s ago"),
    CheckRow("error_rate", "ok", "0.4% of requests in 5 min"),
    CheckRow("database", "ok", "writable"),
    CheckRow("workers", "ok", "6 alive"),
    CheckRow("loop_lag", "degraded", "lag 180 ms"),
    CheckRow("disk", "ok", "41 GB free"),
)
ALERTS = (
    AlertRow(
        1,
        "stale_live_game",
        "633860",
        "warning",
        "firing",
        "TEX @ COL: no new version for 4m",
        NOW - timedelta(minutes=3),
        False,
        None,
    ),
    AlertRow(
        2,
        "throttled",
        "",
        "warning",
        "firing",
        "3 answers of 429 in 5 min",
        NOW - timedelta(minutes=2),
        False,
        None,
    ),
    AlertRow(
        3,
        "error_finding",
        "746139",
        "error",
        "pending",
        "TEX @ LAD: linescore-runs-sum",
        NOW - timedelta(seconds=40),
        False,
        None,
    ),
    AlertRow(
        4,
        "api_unreachable",
        "",
        "error",
        "resolved",
        "API answered again",
        NOW - timedelta(minutes=50),
        False,
        None,
    ),
)
# Requests per second over the last minute: a steady poll rhythm with one burst.
RPS = tuple(float((3 + (i % 5)) if i not in range(40, 46) else 9) for i in range(60))
BUDGET = BudgetView(
    rate_per_s=2.5,
    nominal_rate_per_s=5.0,
    burst=10,
    in_use=2,
    waiting=3,
    paused_until=NOW + timedelta(seconds=12),
    requests_per_s=RPS,
    throttled_total=3,
    retries_total=7,
    errors_total=1,
    # Latency follows the load: slower in the burst, when requests also wait for the budget.
    latency_ms=tuple(90.0 + 12 * r + (150.0 if r > 8 else 0.0) for r in RPS),
    waited_ms=tuple(2400.0 if r > 8 else 0.0 for r in RPS),
)


class FakeSource:
    """Implements mlbdash.ui.source.DashboardSource over fixed data; records what it is asked."""

    def __init__(self, *, games: Sequence[GameRow] | None = None) -> None:
        self.clock = ManualClock(NOW)
        self.api_url = API_URL
        if games is None:
            rows = {pk: _feed_row(pk, 0) for pk in FEEDS}
            self.findings = _findings(rows)
            for pk in rows:
                open_n = sum(f.game_pk == pk for f in self.findings)
                rows[pk] = replace(rows[pk], findings=open_n)
            games = [*rows.values(), *_postponed_rows()]
        else:
            self.findings = ()
        self.games: dict[int, GameRow] = {g.game_pk: g for g in games}
        self.alerts: tuple[AlertRow, ...] = ALERTS
        self.checks = CHECKS
        self.budget = BUDGET
        self.sinks: list[EventSink] = []
        self.run_calls: list[dict[str, Any]] = []
        self.run_error: Exception | None = None
        self.run_cancelled = False
        self.silenced: list[tuple[int, datetime]] = []
        self.refreshes = 0
        self.acknowledged: list[int] = []
        self.reviews: list[tuple[int, str]] = []
        self.detail_calls: list[int] = []
        self.version_calls: list[tuple[int, str]] = []
        self._stop: asyncio.Event | None = None

    @property
    def league_dates(self) -> tuple[date, ...]:
        return tuple(sorted({date.fromisoformat(g.official_date) for g in self.games.values()}))

    def snapshot(self) -> DashboardSnapshot:
        counts: dict[str, int] = {}
        for finding in self.findings:
            if finding.status == "open":
                counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return DashboardSnapshot(
            league_dates=tuple(d.isoformat() for d in self.league_dates),
            api_url=self.api_url,
            now=self.clock.now(),
            games=tuple(self.games.values()),
            findings=self.findings,
            finding_counts=counts,
            budget=self.budget,
            checks=self.checks,
            alerts=self.alerts,
            coverage=0.9,
        )

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        self.sinks.append(sink)
        return lambda: self.sinks.remove(sink)

    def emit(self, event: Event) -> None:
        for sink in list(self.sinks):
            sink(event)

    async def run(
        self, until_done: bool = False, duration_s: float | None = None, follow: bool = False
    ) -> object:
        self.run_calls.append(
            {"until_done": until_done, "duration_s": duration_s, "follow": follow}
        )
        if self.run_error is not None:
            raise self.run_error
        self._stop = asyncio.Event()
        try:
            await self._stop.wait()
        except asyncio.CancelledError:
            self.run_cancelled = True
            raise
        return None

    async def game_detail(self, game_pk: int) -> GameDetail:
        self.detail_calls.append(game_pk)
        row = self.games[game_pk]
        feed = load_feed(game_pk) if game_pk in FEEDS else None
        return GameDetail(
            row=row,
            linescore=_linescore(feed),
            current_play=_current_play(feed),
            timeline=_timeline(row),
            polls=_polls(row),
            findings=tuple(f for f in self.findings if f.game_pk == game_pk),
            feed=feed,
            versions=_versions(row),
        )

    async def game_version(self, game_pk: int, timecode: str) -> VersionView:
        """The fake versions of ``game_detail``: a diff sets the timeStamp and the outs, the
        current play names the version, its findings are the game's first ones."""
        self.version_calls.append((game_pk, timecode))
        marks = _versions(self.games[game_pk])
        number = next((i for i, m in enumerate(marks) if m.timecode == timecode), None)
        if number is None:
            raise MlbdashError(f"game {game_pk} has no stored version {timecode}")
        mark = marks[number]
        feed = load_feed(game_pk) if game_pk in FEEDS else None
        ops = (
            VersionOp("replace", "/metaData/timeStamp", repr(timecode)),
            VersionOp("replace", "/liveData/linescore/outs", str(number % 3)),
        )
        own = tuple(f for f in self.findings if f.game_pk == game_pk)
        return VersionView(
            game_pk=game_pk,
            number=number + 1,
            count=len(marks),
            timecode=timecode,
            stored_at=mark.stored_at,
            kind=mark.kind,
            ops=() if mark.kind == "full" else ops,
            linescore=_linescore(feed),
            current_play=f"Version {number + 1} of {len(marks)}",
            findings=own[: mark.findings],
            feed=feed,
        )

    async def refresh_now(self) -> None:
        self.refreshes += 1

    async def set_finding_status(self, finding_id: int, status: str) -> None:
        if not any(f.id == finding_id for f in self.findings):
            raise MlbdashError(f"no finding {finding_id}")
        self.reviews.append((finding_id, status))
        self.findings = tuple(
            replace(f, status=status) if f.id == finding_id else f for f in self.findings
        )

    async def acknowledge_alert(self, alert_id: int) -> None:
        self.acknowledged.append(alert_id)
        self.alerts = tuple(
            replace(a, acknowledged=True) if a.id == alert_id else a for a in self.alerts
        )

    async def silence_alert(self, alert_id: int, until: datetime) -> None:
        self.silenced.append((alert_id, until))
        self.alerts = tuple(
            replace(a, silenced_until=until) if a.id == alert_id else a for a in self.alerts
        )

    async def export_validation_csv(self, path: Path, *, force: bool = False) -> int:
        return await asyncio.to_thread(self._write_csv, path, force)

    def _write_csv(self, path: Path, force: bool) -> int:
        if path.exists() and not force:
            raise FileExistsError(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "game_pk", "severity", "rule", "path", "message", "status"])
            for f in self.findings:
                writer.writerow([f.id, f.game_pk, f.severity, f.rule, f.path, f.message, f.status])
        return len(self.findings)


def _linescore(feed: dict[str, Any] | None) -> Linescore | None:
    if feed is None:
        return None
    ls = feed["liveData"]["linescore"]
    innings = tuple(
        InningLine(
            num=inning["num"],
            away_runs=inning.get("away", {}).get("runs"),
            home_runs=inning.get("home", {}).get("runs"),
            away_hits=inning.get("away", {}).get("hits"),
            home_hits=inning.get("home", {}).get("hits"),
            away_errors=inning.get("away", {}).get("errors"),
            home_errors=inning.get("home", {}).get("errors"),
        )
        for inning in ls.get("innings", [])
    )
    away, home = ls["teams"]["away"], ls["teams"]["home"]
    return Linescore(
        innings=innings,
        away_runs=away.get("runs"),
        away_hits=away.get("hits"),
        away_errors=away.get("errors"),
        home_runs=home.get("runs"),
        home_hits=home.get("hits"),
        home_errors=home.get("errors"),
        balls=ls.get("balls"),
        strikes=ls.get("strikes"),
        outs=ls.get("outs"),
    )


def _current_play(feed: dict[str, Any] | None) -> str | None:
    if feed is None:
        return None
    play = feed["liveData"]["plays"].get("currentPlay") or {}
    description = (play.get("result") or {}).get("description")
    if not description:
        return None
    about = play.get("about") or {}
    half = str(about.get("halfInning", "")).capitalize()
    return f"{half} {about.get('inning', '')}: {description}".strip()


def _timeline(row: GameRow) -> tuple[StateChange, ...]:
    start = row.game_time or NOW
    changes = [
        StateChange(start - timedelta(hours=3), "scheduled", "Scheduled", "schedule"),
        StateChange(start - timedelta(minutes=30), "pregame", "Pre-Game", "schedule"),
        StateChange(start - timedelta(minutes=3), "warmup", "Warmup", "feed"),
    ]
    if row.state in {"live", "final"}:
        changes.append(StateChange(start + timedelta(minutes=2), "live", "In Progress", "feed"))
    if row.state == "final":
        changes.append(StateChange(start + timedelta(hours=3), "final", "Final", "feed"))
    if row.state == "postponed":
        changes.append(StateChange(start - timedelta(hours=1), row.state, "Postponed", "schedule"))
    return tuple(changes)


def _polls(row: GameRow) -> tuple[PollRecord, ...]:
    last = row.last_update_at or NOW
    polls = []
    for i in range(12):
        full = i == 0
        throttled = i == 7
        polls.append(
            PollRecord(
                at=last - timedelta(seconds=10 * (11 - i)),
                kind="feed" if full else "diff_patch",
                status=429 if throttled else 200,
                latency_ms=80.0 + 7 * i,
                bytes_wire=110_000 if full else 900 + 40 * i,
                update="failed"
                if throttled
                else ("whole feed" if full else f"diff with {4 + 3 * i} operations"),
                error="429 Too Many Requests" if throttled else None,
            )
        )
    return tuple(polls)


def _versions(row: GameRow) -> tuple[VersionMark, ...]:
    """The row's versions, 20 s apart up to its last stored one: whole feeds first and every
    80th version, diffs between, and its open findings on evenly spaced versions."""
    count = row.diff_updates + row.full_updates
    last = row.last_update_at or NOW
    fulls = {0, *range(80, count, 80)} if row.full_updates else set()
    with_finding = {count * (n + 1) // (row.findings + 1) for n in range(row.findings)}
    return tuple(
        VersionMark(
            timecode=(last - timedelta(seconds=20 * (count - 1 - i))).strftime("%Y%m%d_%H%M%S"),
            stored_at=last - timedelta(seconds=20 * (count - 1 - i)),
            kind="full" if i in fulls else "diff",
            findings=int(i in with_finding),
        )
        for i in range(count)
    )
