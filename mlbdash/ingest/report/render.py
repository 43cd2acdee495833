"""A DailyReport as JSON (one object, stable keys), terminal text (aligned columns) or markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mlbdash.ingest.findings import SEVERITIES
from mlbdash.ingest.monitor.sla import COVERAGE_GOAL, FRESHNESS_GOAL, POLL_SUCCESS_GOAL
from mlbdash.ingest.report.model import (
    OUTCOMES,
    AlertLine,
    DailyReport,
    GameLine,
    RequestLine,
)
from mlbdash.ingest.store.findings import STATUSES
from mlbdash.mlb.dates import LEAGUE_TIMEZONE, clock_time

FORMATS: tuple[str, ...] = ("text", "markdown", "json")


def render(report: DailyReport, fmt: str, clock: str = "league") -> str:
    """The report in ``fmt`` (one of FORMATS), ending with a newline.

    Text and markdown tell time on ``clock`` (``[display] clock``: ``league`` for Eastern,
    ``local`` for this computer's zone), as the dashboard does; JSON keeps UTC instants."""
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(report, clock)
    if fmt == "text":
        return render_text(report, clock)
    raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")


# -- JSON -----------------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _game_dict(g: GameLine) -> dict[str, Any]:
    return {
        "game_pk": g.game_pk,
        "matchup": g.matchup,
        "away": g.away,
        "home": g.home,
        "outcome": g.outcome,
        "state": g.state,
        "detailed_state": g.detailed_state,
        "reason": g.reason,
        "away_score": g.away_score,
        "home_score": g.home_score,
        "inning": g.inning,
        "inning_half": g.inning_half,
        "first_pitch": _iso(g.first_pitch),
        "final_stored": g.final_stored,
        "versions": g.versions,
        "polls": g.polls,
        "note": g.note,
    }


def _request_dict(r: RequestLine) -> dict[str, Any]:
    return {
        "requests": r.requests,
        "errors": r.errors,
        "retries": r.retries,
        "http_429": r.http_429,
        "cache_hits": r.cache_hits,
        "bytes_wire": r.bytes_wire,
        "bytes_decoded": r.bytes_decoded,
        "ratio": None if r.ratio is None else round(r.ratio, 3),
    }


def _alert_dict(a: AlertLine) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule": a.rule,
        "key": a.key,
        "severity": a.severity,
        "state": a.state,
        "message": a.message,
        "fired_at": _iso(a.fired_at),
        "resolved_at": _iso(a.resolved_at),
        "duration_seconds": round(a.duration_s, 3),
        "acknowledged": a.acknowledged,
    }


def report_dict(report: DailyReport) -> dict[str, Any]:
    """The JSON object: every key always present (null when there is nothing to measure)."""
    sla = report.sla
    cov = report.coverage
    return {
        "official_date": report.official_date.isoformat(),
        "generated_at": _iso(report.generated_at),
        "league_day": {"start": _iso(report.window_start), "end": _iso(report.window_end)},
        "tracked": report.tracked,
        "off_day": report.off_day,
        "games": {
            "counts": {o: len(report.games_in(o)) for o in OUTCOMES},
            "total": len(report.games),
            "list": [_game_dict(g) for g in report.games],
        },
        "coverage": {
            "scheduled": cov.scheduled,
            "not_played": cov.not_played,
            "due_final": cov.due_final,
            "final_stored": cov.final_stored,
            "ratio": cov.ratio,
            "missing": list(cov.missing),
            "archive_gaps": list(cov.archive_gaps),
        },
        "sla": {
            **sla.report.to_dict(),
            "wait_seconds": sla.wait_s,
            "as_of": _iso(sla.as_of),
            "polls_logged": sla.polls_logged,
            "note": sla.note,
        },
        "findings": {
            "total": sum(s.findings for s in report.statuses),
            "by_status": {
                s.status: {"total": s.findings, **s.by_severity} for s in report.statuses
            },
            "by_rule": [
                {
                    "rule": r.rule,
                    "severity": r.severity,
                    "category": r.category,
                    "findings": r.findings,
                    "occurrences": r.occurrences,
                    "by_status": r.by_status,
                }
                for r in report.rules
            ],
        },
        "alerts": [_alert_dict(a) for a in report.alerts],
        "requests": {
            "total": _request_dict(report.requests),
            "by_kind": {r.kind: _request_dict(r) for r in report.requests_by_kind},
            "throttled": report.throttled,
        },
    }


# -- shared wording ---------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _result(value: float | None, goal: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value >= goal else "MISSED"


def _zoned(at: datetime, clock: str) -> tuple[datetime, str]:
    if clock == "local":
        local = at.astimezone()
        return local, local.tzname() or ""
    return at.astimezone(LEAGUE_TIMEZONE), "ET"


def _when(at: datetime | None, clock: str) -> str:
    if at is None:
        return "-"
    zoned, zone = _zoned(at, clock)
    return f"{zoned:%Y-%m-%d %H:%M} {zone}"


def _resolved(a: AlertLine, clock: str) -> str:
    if a.resolved_at is None:
        return "still firing"
    if _zoned(a.resolved_at, clock)[0].date() == _zoned(a.fired_at, clock)[0].date():
        return clock_time(a.resolved_at, clock)
    return _when(a.resolved_at, clock)


def _duration(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _state(g: GameLine) -> str:
    text = g.detailed_state or g.state or "?"
    if g.reason and g.reason not in text:
        text += f" ({g.reason})"
    if g.outcome == "unfinished" and g.inning is not None:
        text += f", {g.inning_half or ''} {g.inning}".replace(",  ", ", ")
    return text


def _outcome_counts(report: DailyReport) -> str:
    parts = [f"{len(report.games_in(o))} {o}" for o in OUTCOMES if report.games_in(o)]
    return ", ".join(parts) or "none"


def _headline(report: DailyReport) -> str | None:
    """What to say instead of the tables when the date has no games."""
    if report.tracked:
        return None
    if report.off_day:
        return "Off day: the stored schedule lists no games for this date."
    return "Nothing tracked: the database holds no schedule or games for this date."


def _sla_rows(report: DailyReport) -> list[list[str]]:
    r = report.sla.report
    wait = report.sla.wait_s
    return [
        [
            "poll success",
            _pct(r.poll_success),
            f">= {_pct(POLL_SUCCESS_GOAL)}",
            _result(r.poll_success, POLL_SUCCESS_GOAL),
            f"{r.polls - r.polls_failed:,} of {r.polls:,} polls ok",
        ],
        [
            "live freshness",
            _pct(r.live_freshness),
            f">= {_pct(FRESHNESS_GOAL)}",
            _result(r.live_freshness, FRESHNESS_GOAL),
            f"{_duration(r.fresh_s)} of {_duration(r.live_s)} live within 2 x {wait:g}s",
        ],
        [
            "coverage",
            _pct(r.coverage),
            f">= {_pct(COVERAGE_GOAL)}",
            _result(r.coverage, COVERAGE_GOAL),
            f"{r.finals_stored} of {r.games_due_final} finals stored",
        ],
    ]


def _game_rows(report: DailyReport) -> list[list[str]]:
    return [
        [
            g.outcome,
            str(g.game_pk),
            g.matchup,
            g.score or "-",
            _state(g),
            "yes" if g.final_stored else "no",
            g.note or "",
        ]
        for g in report.games
    ]


def _rule_rows(report: DailyReport) -> list[list[str]]:
    return [
        [
            r.rule,
            r.severity,
            str(r.findings),
            str(r.occurrences),
            *(str(r.by_status[s]) for s in STATUSES),
        ]
        for r in report.rules
    ]


def _status_rows(report: DailyReport) -> list[list[str]]:
    return [
        [s.status, str(s.findings), *(str(s.by_severity[v]) for v in SEVERITIES)]
        for s in report.statuses
    ]


def _alert_rows(report: DailyReport, clock: str) -> list[list[str]]:
    return [
        [
            a.rule,
            a.key or "-",
            a.severity,
            _when(a.fired_at, clock),
            _resolved(a, clock),
            _duration(a.duration_s),
            "yes" if a.acknowledged else "no",
        ]
        for a in report.alerts
    ]


def _request_rows(report: DailyReport) -> list[list[str]]:
    lines = [*report.requests_by_kind, report.requests] if report.requests_by_kind else []
    return [
        [
            r.kind,
            f"{r.requests:,}",
            f"{r.errors:,}",
            f"{r.retries:,}",
            f"{r.http_429:,}",
            f"{r.cache_hits:,}",
            _bytes(r.bytes_wire),
            _bytes(r.bytes_decoded),
            _ratio(r.ratio),
        ]
        for r in lines
    ]


# Column headings; the right-aligned ones (counts, sizes, figures) end with ">".
GAME_HEAD = ("outcome", "game>", "matchup", "score", "state", "final stored", "note")
SLA_HEAD = ("measure", "value>", "goal>", "result", "measured on")
RULE_HEAD = ("rule", "severity", "findings>", "occurrences>", *(f"{s}>" for s in STATUSES))
STATUS_HEAD = ("status", "findings>", *(f"{s}>" for s in SEVERITIES))
ALERT_HEAD = ("rule", "key", "severity", "fired", "resolved", "duration>", "acknowledged")
REQUEST_HEAD = (
    "kind",
    "requests>",
    "errors>",
    "retries>",
    "429s>",
    "cache>",
    "wire>",
    "decoded>",
    "ratio>",
)


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {words or word + 's'}"


def _dates(report: DailyReport, clock: str) -> list[str]:
    start, end = _when(report.window_start, clock), _when(report.window_end, clock)
    as_of, generated = _when(report.sla.as_of, clock), _when(report.generated_at, clock)
    # On the local clock the league day's bounds need saying in the league's own terms too.
    bounds = "" if clock == "league" else " (06:00 to 06:00 ET)"
    return [
        f"league day {start} to {end}{bounds}",
        f"measured up to {as_of}; generated {generated}",
    ]


def _summary_lines(report: DailyReport) -> list[str]:
    cov = report.coverage
    missing = f"; missing {', '.join(map(str, cov.missing))}" if cov.missing else ""
    if cov.archive_gaps:
        gapped = ", ".join(map(str, cov.archive_gaps))
        missing += f"; archive gaps (VERSION_GAP findings) in {gapped}"
    req = report.requests
    throttled = "" if report.throttled is None else f", {report.throttled:,} throttled (429)"
    total = sum(s.findings for s in report.statuses)
    open_errors = next((s.by_severity["error"] for s in report.statuses if s.status == "open"), 0)
    return [
        f"Games: {len(report.games)} listed: {_outcome_counts(report)}",
        f"Coverage: {cov.final_stored} of {cov.due_final} final games stored "
        f"({_pct(cov.ratio)}); {cov.not_played} not played{missing}",
        f"Findings: {total} ({_plural(open_errors, 'open error')})",
        f"Alerts fired: {len(report.alerts)}",
        f"Requests: {req.requests:,}, {_plural(req.errors, 'error')}, "
        f"{_plural(req.retries, 'retry', 'retries')}, {req.http_429:,} answered 429"
        f"{throttled}; {_bytes(req.bytes_wire)} on the wire, "
        f"{_bytes(req.bytes_decoded)} decoded ({_ratio(req.ratio)})",
    ]


# -- text -------------------------------------------------------------------------------------


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    names = [h.rstrip(">") for h in head]
    right = [h.endswith(">") for h in head]
    widths = [max(len(c) for c in col) for col in zip(names, *rows, strict=False)]
    out = []
    for row in ([n.upper() for n in names], *rows):
        cells = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
        ]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def render_text(report: DailyReport, clock: str = "league") -> str:
    title = f"mlbdash daily report for {report.official_date.isoformat()}"
    lines = [title, *_dates(report, clock), ""]
    headline = _headline(report)
    if headline is not None:
        return "\n".join([*lines, headline]) + "\n"
    summary = _summary_lines(report)
    lines += [summary[0], *_table(GAME_HEAD, _game_rows(report)), ""]
    lines += [summary[1], ""]
    lines += ["SLA:", *_table(SLA_HEAD, _sla_rows(report))]
    if report.sla.note:
        lines.append(f"  note: {report.sla.note}")
    lines += ["", summary[2]]
    if report.rules:
        lines += [*_table(RULE_HEAD, _rule_rows(report)), ""]
        lines += _table(STATUS_HEAD, _status_rows(report))
    lines += ["", summary[3]]
    if report.alerts:
        lines += _table(ALERT_HEAD, _alert_rows(report, clock))
    lines += ["", summary[4]]
    if report.requests_by_kind:
        lines += _table(REQUEST_HEAD, _request_rows(report))
    return "\n".join(lines) + "\n"


# -- markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    # API strings go into tables as text: a pipe or newline would break the row.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    names = [h.rstrip(">") for h in head]
    rule = ["---:" if h.endswith(">") else "---" for h in head]
    return ["| " + " | ".join(_cell(c) for c in row) + " |" for row in (names, rule, *rows)]


def render_markdown(report: DailyReport, clock: str = "league") -> str:
    lines = [f"## mlbdash daily report: {report.official_date.isoformat()}", ""]
    lines += [f"{line}  " for line in _dates(report, clock)] + [""]
    headline = _headline(report)
    if headline is not None:
        return "\n".join([*lines, headline]) + "\n"
    summary = _summary_lines(report)
    lines += [f"### {summary[0]}", "", *_md_table(GAME_HEAD, _game_rows(report)), ""]
    lines += [f"**{summary[1]}**", ""]
    lines += ["### SLA", "", *_md_table(SLA_HEAD, _sla_rows(report)), ""]
    if report.sla.note:
        lines += [f"Note: {report.sla.note}", ""]
    lines += [f"### {summary[2]}", ""]
    if report.rules:
        lines += [*_md_table(RULE_HEAD, _rule_rows(report)), ""]
        lines += [*_md_table(STATUS_HEAD, _status_rows(report)), ""]
    lines += [f"### {summary[3]}", ""]
    if report.alerts:
        lines += [*_md_table(ALERT_HEAD, _alert_rows(report, clock)), ""]
    lines += ["### Requests", "", summary[4], ""]
    if report.requests_by_kind:
        lines += [*_md_table(REQUEST_HEAD, _request_rows(report)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
