"""The summary of an ingest run: what ``mlbdash ingest`` prints and the daily report reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from mlbdash.ingest.monitor.windows import percentile
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.scheduler.summary import IngestSummary
from mlbdash.ingest.scheduler.views import game_row
from mlbdash.ingest.store import StoreError, reads
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store.codec import parse_iso
from mlbdash.mlb.timecode import timecode_instant


def freshness(rows: Iterable[Any], since: datetime) -> dict[str, Any]:
    """Seconds (the clock's) from each version's ``metaData.timeStamp`` to its ``stored_at``,
    as the database holds them, over the versions made since ``since`` (the run's start: older
    ones were history when the run met them, not late). p50/p95/p99 by nearest rank."""
    lags = []
    for row in rows:
        made = timecode_instant(str(row["timecode"]))
        stored = parse_iso(str(row["stored_at"]))
        if made is None or stored is None or made < since:
            continue
        lags.append(max(0.0, (stored - made).total_seconds()))

    def rank(share: float) -> float | None:
        value = percentile(lags, share)
        return None if value is None else round(value, 3)

    return {"versions": len(lags), "p50_s": rank(0.5), "p95_s": rank(0.95), "p99_s": rank(0.99)}


async def build_summary(
    rt: RuntimeState, stop_reason: str, started_at: datetime | None
) -> IngestSummary:
    """Games, requests, findings, alerts, coverage and SLA of the run so far."""
    scheduler = rt.scheduler
    now = rt.clock.now()
    async with rt.store.read() as conn:
        counts = await reads.severity_counts(conn)
        open_by_game = await finding_rows.open_counts(conn)
        versions = await reads.version_rows(conn, list(scheduler.tracks))
    findings = {s: counts.get(s, 0) for s in ("error", "warning", "info")}
    # What the database durably holds of each game: versions, its final, its last timecode.
    try:
        records = {r.game_pk: r for r in await rt.store.list_games()}
        read_error = None
    except StoreError as exc:
        records, read_error = {}, exc.message
    games = []
    for track in sorted(
        scheduler.tracks.values(), key=lambda t: (t.entry.game_time or now, t.game_pk)
    ):
        record = records.get(track.game_pk)
        row = game_row(track, rt.label(track.game_pk), open_by_game.get(track.game_pk, 0))
        # What the database holds wins over what the run believes.
        games.append(
            replace(
                row,
                versions=record.versions if record else 0,
                final_stored=bool(record and record.final_stored),
                timecode=record.last_timecode if record else None,
            )
        )
    # The scheduler's view must agree with the database: a game it holds as stored that the
    # database does not is not complete, whatever the run believed.
    disagree = [
        t.game_pk
        for t in scheduler.tracks.values()
        if t.final_stored and not (records.get(t.game_pk) and records[t.game_pk].final_stored)
    ]
    by_date = scheduler.coverage_by_date()
    alerts = rt.monitor.alerts
    meter = scheduler.lateness
    return IngestSummary(
        started_at=started_at or now,
        stopped_at=now,
        stop_reason=stop_reason,
        dates=rt.league_dates,
        games=tuple(games),
        requests=rt.ledger.as_dict(),
        updates={
            "full": sum(t.full_updates for t in scheduler.tracks.values()),
            "diff": sum(t.diff_updates for t in scheduler.tracks.values()),
        },
        findings=findings,
        alerts={
            "fired": len([a for a in alerts.history() if a.fired_at is not None]),
            "firing": [
                {"rule": a.rule, "key": a.key, "severity": a.severity, "message": a.message}
                for a in alerts.firing()
            ],
        },
        coverage=scheduler.coverage(),
        coverage_by_date={
            c.schedule_date.isoformat(): {
                "coverage": c.coverage,
                "schedule_read": c.read,
                "scheduled": c.scheduled,
                "excluded": c.excluded,
                "should_finish": c.should_finish,
                "final_stored": c.final_stored,
            }
            for c in by_date
        },
        gaps=tuple(
            {
                "date": g.schedule_date.isoformat(),
                "game_pk": g.game_pk,
                "state": g.state,
                "detailed_state": g.detailed_state,
                "reason": g.reason,
            }
            for c in by_date
            for g in c.gaps
        ),
        degraded={
            "share": meter.degraded,
            "late_polls": meter.late,
            "due_polls": meter.started,
            "mean_late_s": meter.mean_late_s,
            "max_late_s": meter.late_s_max,
        },
        sla={d: rt.monitor.sla(d).to_dict() for d in rt.league_dates},
        complete=(
            scheduler.all_stored() and not rt.unstored and not disagree and read_error is None
        ),
        freshness=freshness(versions, started_at or now),
        extra={
            **_extra(scheduler.retired, rt.crashes),
            "write_failures": dict(sorted(rt.write_failures.items())),
            "unstored": dict(sorted(rt.unstored.items())),
            **({"database_read_error": read_error} if read_error else {}),
            **({"not_in_database": disagree} if disagree else {}),
        },
    )


def _extra(retired: dict[date, int], crashes: int) -> dict[str, object]:
    extra: dict[str, object] = {}
    if crashes:
        extra["internal_errors"] = crashes
    if retired:
        # Finished dates a --follow run let go of (every game over, all of it stored): their
        # games are in the database and the daily report, no longer in this summary.
        extra["retired_dates"] = {d.isoformat(): n for d, n in sorted(retired.items())}
    return extra
