"""The dashboard's views of a running pipeline, built from the scheduler, monitor and store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mlbdash.errors import UsageError
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store import reads
from mlbdash.ingest.views import (
    BudgetView,
    CheckRow,
    DashboardSnapshot,
    FindingRow,
    GameDetail,
    GameRow,
    StateChange,
    VersionMark,
)
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.patch import copy_json
from mlbdash.mlb.timecode import feed_timecode

if TYPE_CHECKING:
    from mlbdash.ingest.client import MlbApiClient
    from mlbdash.ingest.monitor import Monitor
    from mlbdash.ingest.scheduler.core import Scheduler
    from mlbdash.ingest.scheduler.states import GameTrack
    from mlbdash.ingest.scheduler.summary import RequestLedger
    from mlbdash.ingest.store import Store
    from mlbdash.ingest.store.feeds import VersionInfo
    from mlbdash.mlb.clock import Clock
    from mlbdash.mlb.facts import VersionFacts

FINDINGS_SHOWN = 200


class Pipeline(Protocol):
    """What the views read of a running pipeline (the runtime's ``RuntimeState``), named here
    so this module does not import the runtime that builds it."""

    @property
    def scheduler(self) -> Scheduler: ...
    @property
    def monitor(self) -> Monitor: ...
    @property
    def store(self) -> Store: ...
    @property
    def client(self) -> MlbApiClient: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def ledger(self) -> RequestLedger: ...
    @property
    def league_dates(self) -> tuple[str, ...]: ...
    @property
    def api_url(self) -> str: ...
    @property
    def open_findings(self) -> dict[int, int]: ...  # refreshed here, read by game_row
    def game_row(self, game_pk: int) -> GameRow: ...
    @property
    def push_sockets(self) -> int | None: ...
    def follower_feed(self, game_pk: int) -> dict[str, Any] | None: ...
    def facts_of(self, game_pk: int) -> VersionFacts | None: ...


class ViewBuilder:
    def __init__(self, runtime: Pipeline) -> None:
        self.rt = runtime
        self._findings: tuple[FindingRow, ...] = ()
        self._counts: dict[str, int] = {}

    async def refresh_findings(self) -> None:
        async with self.rt.store.read() as conn:
            records = await finding_rows.list_findings(conn, limit=FINDINGS_SHOWN)
            open_by_game = await finding_rows.open_counts(conn)
            self._counts = await reads.severity_counts(conn)
        self._findings = tuple(finding_row(r) for r in records)
        self.rt.open_findings.clear()
        self.rt.open_findings.update(open_by_game)

    def snapshot(self) -> DashboardSnapshot:
        rt = self.rt
        now = rt.clock.now()
        tracks = sorted(
            rt.scheduler.tracks.values(), key=lambda t: (t.entry.game_time or now, t.game_pk)
        )
        budget = rt.client.budget.snapshot()
        ledger = rt.ledger
        return DashboardSnapshot(
            league_dates=rt.league_dates,
            api_url=rt.api_url,
            now=now,
            games=tuple(rt.game_row(t.game_pk) for t in tracks),
            findings=self._findings,
            finding_counts=dict(self._counts),
            budget=BudgetView(
                rate_per_s=budget.rate_per_s,
                nominal_rate_per_s=budget.nominal_rate_per_s,
                burst=budget.burst,
                in_use=budget.in_use,
                waiting=budget.waiting,
                paused_until=budget.paused_until,
                requests_per_s=ledger.per_second(now),
                throttled_total=budget.pushbacks,
                retries_total=ledger.retries,
                errors_total=ledger.errors,
                latency_ms=ledger.latency_ms_per_second(now),
                waited_ms=ledger.waited_ms_per_second(now),
                push_sockets=rt.push_sockets,
            ),
            checks=tuple(CheckRow(c.name, c.status, c.reason) for c in rt.monitor.checks()),
            alerts=tuple(a.row() for a in rt.monitor.alerts.open_alerts()),
            coverage=rt.scheduler.coverage(),
        )

    async def game_detail(self, game_pk: int) -> GameDetail:
        rt = self.rt
        track = rt.scheduler.tracks.get(game_pk)
        if track is None:
            raise UsageError(f"game {game_pk} is not tracked")
        live = rt.follower_feed(game_pk)
        facts = rt.facts_of(game_pk)
        # A copy of the follower's feed, never the dict it patches in place.
        feed = copy_json(live) if live is not None else None
        if feed is None:
            stored = await rt.store.load_latest_feed(game_pk)
            feed = stored[1] if stored else None
        if feed is not None and (facts is None or facts.timecode != feed_timecode(feed)):
            facts = version_facts(feed)
        history = await rt.store.state_history(game_pk)
        async with rt.store.read() as conn:
            records = await finding_rows.list_findings(conn, game_pk=game_pk)
        versions = await rt.store.list_versions(game_pk)
        return GameDetail(
            row=rt.game_row(game_pk),
            linescore=facts.linescore if facts else None,
            current_play=facts.current_play if facts else None,
            timeline=tuple(
                StateChange(
                    at=h.at,
                    state=h.state,
                    detailed_state=h.detailed_state or h.state,
                    source=h.source,
                )
                for h in history
            ),
            polls=rt.ledger.polls_of(game_pk),
            findings=tuple(finding_row(r) for r in records),
            feed=feed,
            versions=version_marks(versions, records),
        )


def game_row(track: GameTrack, labels: tuple[str, str], findings: int) -> GameRow:
    """The one place a game's row is made from its track (see ``GameRow``): ``labels`` are
    (away, home) as shown, ``findings`` its open findings."""
    entry, status = track.entry, track.status
    return GameRow(
        game_pk=track.game_pk,
        official_date=track.official_date.isoformat(),
        away=labels[0],
        home=labels[1],
        state=status.lifecycle.value,
        detailed_state=status.detailed_state or status.lifecycle.value,
        reason=status.reason,
        away_score=track.away_score,
        home_score=track.home_score,
        inning=track.inning,
        inning_half=track.inning_half,
        outs=track.outs,
        game_time=entry.game_time,
        double_header=entry.double_header,
        game_number=entry.game_number,
        last_update_at=track.last_stored_at,
        timecode=track.timecode,
        polls=track.polls,
        diff_updates=track.diff_updates,
        full_updates=track.full_updates,
        versions=track.versions,
        findings=findings,
        final_stored=track.final_stored,
        away_name=entry.away_name or "",
        home_name=entry.home_name or "",
        archive_gaps="; ".join(track.archive_gaps) or None,
        not_archived=track.not_archived,
        by_push=track.push,
    )


def version_marks(
    stored: Sequence[VersionInfo], records: Sequence[finding_rows.FindingRecord]
) -> tuple[VersionMark, ...]:
    """Each stored version with how it came and how many findings were last seen on it."""
    raised: dict[str, int] = {}
    for record in records:
        if record.timecode:
            raised[record.timecode] = raised.get(record.timecode, 0) + 1
    return tuple(
        VersionMark(v.timecode, v.stored_at, v.kind, raised.get(v.timecode, 0)) for v in stored
    )


def finding_row(record: finding_rows.FindingRecord) -> FindingRow:
    return FindingRow(
        id=record.id,
        game_pk=record.game_pk,
        official_date=record.official_date,
        matchup=record.matchup or "",
        severity=record.severity,
        category=record.category,
        rule=record.rule,
        path=record.path or "",
        expected=record.expected,
        actual=record.actual,
        message=record.message,
        status=record.status,
        first_seen=record.first_seen,
        last_seen=record.last_seen,
        occurrences=record.occurrences,
        correction=record.correction,
    )
