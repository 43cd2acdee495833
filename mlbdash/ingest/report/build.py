"""Build the daily report of a league date from the database (one read transaction)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiosqlite

from mlbdash.ingest.events import RequestFinished
from mlbdash.ingest.findings import SEVERITIES, severity_rank
from mlbdash.ingest.monitor.games import request_failed
from mlbdash.ingest.monitor.monitor import MonitorSettings
from mlbdash.ingest.monitor.rollup import minute_label
from mlbdash.ingest.monitor.sla_db import league_day, stored_sla
from mlbdash.ingest.report.model import (
    OUTCOMES,
    AlertLine,
    CoverageLine,
    DailyReport,
    GameLine,
    RequestLine,
    RuleLine,
    StatusLine,
)
from mlbdash.ingest.store import Store, reads
from mlbdash.ingest.store import alerts as alert_rows
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store.codec import gunzip_json
from mlbdash.ingest.store.games import GameRecord, get_game
from mlbdash.ingest.store.schedule import (
    NOT_PLAYED_CODES,
    ScheduleEntry,
    coverage,
    schedule_for_date,
)
from mlbdash.mlb.dates import league_today
from mlbdash.mlb.status import Lifecycle, classify_status

# A listing that says the game stopped or will not be played on this date outranks the game's
# own latest state, which may already be that of its makeup or resumption on a later date.
_LISTING_WINS = frozenset({Lifecycle.postponed, Lifecycle.cancelled, Lifecycle.suspended})
_DEFAULTS = MonitorSettings()
_OUTCOME_OF: dict[str, str] = {
    Lifecycle.final.value: "final",
    Lifecycle.forfeit.value: "final",
    Lifecycle.postponed.value: "postponed",
    Lifecycle.cancelled.value: "cancelled",
    Lifecycle.suspended.value: "suspended",
}


async def default_date(store: Store, now: datetime) -> date:
    """The date a morning review wants when none is given.

    The most recent league date, not after today's, with a game that got under way (the
    schedule says Live or Final, or a feed version is stored); else the most recent date with
    any game listed, not after today's; else today's league date.
    """
    today = league_today(now)
    async with store.read() as conn:
        found = await reads.latest_date_with_games(conn, today)
    return found or today


async def build_report(
    store: Store,
    official_date: date,
    *,
    wait_s: float = _DEFAULTS.wait_s,
    max_game_s: float = _DEFAULTS.max_game_s,
) -> DailyReport:
    """Everything the report shows about ``official_date``; ``store.clock`` gives its time.

    ``wait_s`` is the server's poll hint the freshness figure is judged against (two of them).
    """
    now = store.clock.now()
    start, end = league_day(official_date)
    async with store.read() as conn:
        entries = await schedule_for_date(conn, official_date)
        games = [_game_line(e, await get_game(conn, e.game_pk)) for e in entries]
        covered = await coverage(conn, official_date)
        sla = await stored_sla(conn, official_date, now=now, wait_s=wait_s, max_game_s=max_game_s)
        found = await finding_rows.list_findings(conn, start=official_date, end=official_date)
        episodes = await alert_rows.list_alerts(conn, since=start, limit=1_000_000)
        by_kind = await _requests(conn, start, end)
        throttled = await _throttled(conn, start, end)
        off_day = not entries and await _listed_no_games(conn, official_date)
    rules, statuses = _findings(found)
    return DailyReport(
        official_date=official_date,
        generated_at=now,
        window_start=start,
        window_end=end,
        tracked=bool(entries),
        off_day=off_day,
        games=tuple(sorted(games, key=_game_order)),
        coverage=CoverageLine(
            scheduled=covered.scheduled,
            not_played=covered.not_played,
            due_final=covered.expected_final,
            final_stored=covered.final_stored,
            missing=covered.missing,
            archive_gaps=covered.archive_gaps,
        ),
        sla=sla,
        rules=rules,
        statuses=statuses,
        alerts=_alerts(episodes, end, sla.as_of),
        requests=_total(by_kind),
        requests_by_kind=tuple(by_kind),
        throttled=throttled,
    )


def _game_order(game: GameLine) -> tuple[int, float, int]:
    first = game.first_pitch.timestamp() if game.first_pitch is not None else float("inf")
    return OUTCOMES.index(game.outcome), first, game.game_pk


def _game_line(entry: ScheduleEntry, game: GameRecord | None) -> GameLine:
    listed = classify_status(
        entry.abstract_game_state,
        entry.coded_game_state,
        entry.status_code,
        entry.detailed_state,
        entry.reason,
    )
    own = game is not None and game.state is not None
    if entry.coded_game_state in NOT_PLAYED_CODES or listed.lifecycle in _LISTING_WINS or not own:
        state: str | None = listed.lifecycle.value
        detailed, reason = entry.detailed_state, entry.reason
    else:
        assert game is not None
        state, detailed, reason = game.state, game.detailed_state, game.status_reason
    # The games row holds the game's latest state; its score and inning are this date's only
    # when that state is the one shown here.
    here = game is not None and game.state == state
    return GameLine(
        game_pk=entry.game_pk,
        away=_label(game, "away"),
        home=_label(game, "home"),
        outcome=_OUTCOME_OF.get(state or "", "unfinished"),
        state=state,
        detailed_state=detailed,
        reason=reason,
        away_score=game.away_score if here and game else None,
        home_score=game.home_score if here and game else None,
        inning=game.inning if here and game else None,
        inning_half=game.inning_half if here and game else None,
        first_pitch=entry.game_date,
        final_stored=bool(game and game.final_stored),
        versions=game.versions if game else 0,
        polls=game.polls if game else 0,
        note=_note(entry),
    )


def _label(game: GameRecord | None, side: str) -> str:
    if game is None:
        return "?"
    abbrev = game.away_abbrev if side == "away" else game.home_abbrev
    name = game.away_name if side == "away" else game.home_name
    return abbrev or name or "?"


def _note(entry: ScheduleEntry) -> str | None:
    if entry.reschedule_game_date or entry.reschedule_date:
        return f"makeup {(entry.reschedule_game_date or entry.reschedule_date or '')[:10]}"
    if entry.resume_date:
        return f"resumes {entry.resume_date[:10]}"
    if entry.rescheduled_from_date or entry.rescheduled_from:
        return f"makeup of {(entry.rescheduled_from_date or entry.rescheduled_from or '')[:10]}"
    if entry.resumed_from:
        return f"resumed from {entry.resumed_from[:10]}"
    return None


def _findings(
    found: list[finding_rows.FindingRecord],
) -> tuple[tuple[RuleLine, ...], tuple[StatusLine, ...]]:
    by_rule: dict[str, list[finding_rows.FindingRecord]] = defaultdict(list)
    by_status: dict[str, Counter[str]] = {s: Counter() for s in finding_rows.STATUSES}
    for f in found:
        by_rule[f.rule].append(f)
        by_status.setdefault(f.status, Counter())[f.severity] += 1
    rules = []
    for rule, rows in by_rule.items():
        worst = min(rows, key=lambda f: severity_rank(f.severity))
        statuses = Counter(f.status for f in rows)
        rules.append(
            RuleLine(
                rule=rule,
                severity=worst.severity,
                category=worst.category,
                findings=len(rows),
                occurrences=sum(f.occurrences for f in rows),
                by_status={s: statuses[s] for s in finding_rows.STATUSES},
            )
        )
    rules.sort(key=lambda r: (severity_rank(r.severity), -r.findings, r.rule))
    lines = tuple(
        StatusLine(status, sum(counts.values()), {s: counts[s] for s in SEVERITIES})
        for status, counts in by_status.items()
    )
    return tuple(rules), lines


def _alerts(
    episodes: list[alert_rows.AlertRecord], end: datetime, as_of: datetime
) -> tuple[AlertLine, ...]:
    out = []
    for a in episodes:
        if a.fired_at is None or a.fired_at >= end:
            continue
        until = a.resolved_at or max(as_of, a.fired_at)
        out.append(
            AlertLine(
                id=a.id,
                rule=a.rule,
                key=a.key,
                severity=a.severity,
                state=a.state,
                message=a.message,
                fired_at=a.fired_at,
                resolved_at=a.resolved_at,
                duration_s=max(0.0, (until - a.fired_at).total_seconds()),
                acknowledged=a.acknowledged_at is not None,
            )
        )
    out.sort(key=lambda a: (a.fired_at, a.id))
    return tuple(out)


async def _requests(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[RequestLine]:
    """Per kind; grouped in SQL by what decides failure, judged by the monitor's own rule."""
    rows = await reads.request_totals(conn, start, end)
    sums: dict[str, list[int]] = {}
    for kind, status, has_error, n, retries, hits, wire, decoded in rows:
        probe = RequestFinished(
            at=start,
            kind=kind,
            url="",
            status=status,
            latency_s=0.0,
            bytes_wire=0,
            bytes_decoded=0,
            error="error" if has_error else None,
        )
        acc = sums.setdefault(str(kind), [0] * 7)
        for i, value in enumerate(
            (n, n if request_failed(probe) else 0, retries, n if status == 429 else 0, hits)
        ):
            acc[i] += int(value or 0)
        acc[5] += int(wire or 0)
        acc[6] += int(decoded or 0)
    return [RequestLine(kind, *acc) for kind, acc in sorted(sums.items())]


def _total(lines: list[RequestLine]) -> RequestLine:
    def add(name: str) -> int:
        return sum(int(getattr(line, name)) for line in lines)

    return RequestLine(
        "all",
        add("requests"),
        add("errors"),
        add("retries"),
        add("http_429"),
        add("cache_hits"),
        add("bytes_wire"),
        add("bytes_decoded"),
    )


async def _throttled(conn: aiosqlite.Connection, start: datetime, end: datetime) -> int | None:
    """429s seen (retried ones too) from the minute rollups; None when none were kept."""
    first = minute_label(int(start.timestamp()))
    last = minute_label(int((end - timedelta(minutes=1)).timestamp()))
    kept, throttled = await reads.throttled_rollups(conn, first, last)
    return throttled if kept else None


async def _listed_no_games(conn: aiosqlite.Connection, official_date: date) -> bool:
    """Whether the newest stored schedule answer for this date listed no games on it."""
    day = official_date.isoformat()
    for query, body in await reads.schedule_snapshots_mentioning(conn, day):
        params = parse_qs(urlsplit(str(query)).query)
        if params.get("date") != [day]:
            continue
        answer: Any = gunzip_json(bytes(body))
        dates = answer.get("dates") if isinstance(answer, dict) else None
        listed = [d for d in dates or [] if isinstance(d, dict) and d.get("date") == day]
        return not any(d.get("games") for d in listed)
    return False
