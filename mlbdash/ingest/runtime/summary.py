"""The summary of an ingest run: what ``mlbdash ingest`` prints and the daily report reads."""

from __future__ import annotations

from datetime import date, datetime

from mlbdash.ingest.runtime.base import RuntimeBase
from mlbdash.ingest.scheduler.summary import GameSummary, IngestSummary
from mlbdash.ingest.store import reads


async def build_summary(
    rt: RuntimeBase, stop_reason: str, started_at: datetime | None, crashes: int
) -> IngestSummary:
    """Games, requests, findings, alerts, coverage and SLA of the run so far."""
    scheduler = rt.scheduler
    now = rt.clock.now()
    async with rt.store.read() as conn:
        counts = await reads.severity_counts(conn)
    findings = {s: counts.get(s, 0) for s in ("error", "warning", "info")}
    games = []
    for track in sorted(
        scheduler.tracks.values(), key=lambda t: (t.entry.game_time or now, t.game_pk)
    ):
        away, home = rt.labels(track.game_pk)
        games.append(
            GameSummary(
                game_pk=track.game_pk,
                official_date=track.official_date.isoformat(),
                away=away,
                home=home,
                state=track.status.lifecycle.value,
                detailed_state=track.status.detailed_state or track.status.lifecycle.value,
                away_score=track.away_score,
                home_score=track.home_score,
                versions=track.versions,
                final_stored=track.final_stored,
                timecode=track.timecode,
                polls=track.polls,
                full_updates=track.full_updates,
                diff_updates=track.diff_updates,
            )
        )
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
        complete=scheduler.all_stored(),
        extra=_extra(scheduler.retired, crashes),
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
