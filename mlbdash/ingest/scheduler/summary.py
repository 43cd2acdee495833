"""What an ingest run reports: request accounting while it runs, and the summary at the end."""

from __future__ import annotations

import signal
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mlbdash.ingest.events import GameUpdated, RequestFinished, ScheduleGameUpdated
from mlbdash.ingest.monitor.games import game_pk_in_url
from mlbdash.ingest.views import GameRow, PollRecord

POLL_HISTORY = 50  # per game, for the detail screen
STOP_SIGNALS = {"interrupted": int(signal.SIGINT), "terminated": int(signal.SIGTERM)}


class RequestLedger:
    """Counts every finished request; keeps a per-second rate and each game's last polls."""

    def __init__(self) -> None:
        self.total = 0
        self.by_kind: dict[str, int] = {}
        self.retries = 0
        self.errors = 0
        self.bytes_wire = 0
        self.bytes_decoded = 0
        # (epoch second, wire requests, summed answer time (s) of those answered, how many
        # those were, the longest any of them waited before its answering attempt (s))
        self._seconds: deque[tuple[int, int, float, int, float]] = deque(maxlen=120)
        self._polls: dict[int, deque[PollRecord]] = {}
        self._versions: dict[int, int] = {}

    def handle(self, event: RequestFinished | GameUpdated) -> None:
        if isinstance(event, GameUpdated):
            self._poll_done(event)
            return
        self.total += 1
        self.by_kind[event.kind] = self.by_kind.get(event.kind, 0) + 1
        self.retries += event.retries
        self.bytes_wire += event.bytes_wire
        self.bytes_decoded += event.bytes_decoded
        if event.error is not None:
            self.errors += 1
        if not (event.cache_hit or event.coalesced):
            # Only what went over the wire: the rate the budget limits, and an answer time
            # that is the API's (the answering attempt alone), the waits before it apart.
            second = int(event.at.timestamp())
            took = event.server_s or 0.0
            timed = 0 if event.server_s is None else 1
            waited = event.waited_s or 0.0
            if self._seconds and self._seconds[-1][0] == second:
                _, count, latency, timings, longest = self._seconds[-1]
                self._seconds[-1] = (
                    second,
                    count + 1,
                    latency + took,
                    timings + timed,
                    max(longest, waited),
                )
            else:
                self._seconds.append((second, 1, took, timed, waited))
        if event.kind in ("feed", "diff_patch", "timestamps"):
            game_pk = game_pk_in_url(event.url)
            if game_pk is not None:
                ring = self._polls.setdefault(game_pk, deque(maxlen=POLL_HISTORY))
                ring.append(
                    PollRecord(
                        at=event.at,
                        kind=event.kind,
                        status=event.status,
                        latency_ms=event.latency_s * 1000.0,
                        bytes_wire=event.bytes_wire,
                        update="failed" if event.error is not None else None,
                        error=event.error,
                    )
                )

    def _poll_done(self, event: GameUpdated) -> None:
        """Say on the game's last request what its poll did: a diff with how many operations
        (and how many diffs, past one), a whole feed, or nothing new; and on its earlier
        requests, that they were steps of it."""
        if isinstance(event, ScheduleGameUpdated):
            return  # a schedule read, not a poll of the feed
        before = self._versions.get(event.game_pk, 0)
        self._versions[event.game_pk] = event.row.versions
        ring = self._polls.get(event.game_pk)
        if not ring or ring[-1].update is not None:
            return
        new = max(0, event.row.versions - before)
        if event.update == "diff":
            ops = f"{event.operations} operation{'' if event.operations == 1 else 's'}"
            # Short enough for the game screen's Result column at 120 columns.
            update = f"diff with {ops}" if new <= 1 else f"{new} diffs, {ops}"
        elif event.update == "full":
            update = "whole feed"
        else:
            update = "nothing new"
        ring[-1] = replace(ring[-1], update=update)
        # The poll's earlier requests fetched what lay between (the version list, versions of a
        # gap or of the game's history, a second copy): said so, never left blank.
        for i in range(len(ring) - 2, -1, -1):
            if ring[i].update is not None:
                break
            step = "version list" if ring[i].kind == "timestamps" else "catch-up step"
            ring[i] = replace(ring[i], update=step)

    def per_second(self, now: datetime, span: int = 60) -> tuple[float, ...]:
        """Wire requests in each of the last ``span`` clock seconds, oldest first."""
        end = int(now.timestamp())
        counts = {second: count for second, count, *_ in self._seconds}
        return tuple(float(counts.get(s, 0)) for s in range(end - span + 1, end + 1))

    def latency_ms_per_second(self, now: datetime, span: int = 60) -> tuple[float, ...]:
        """Mean answer time (ms) of the wire requests answered (their answering attempt alone,
        not the waits before it), for each of the last ``span`` clock seconds, oldest first;
        0 for a second without any."""
        end = int(now.timestamp())
        means = {
            second: 1000.0 * total / timed for second, _, total, timed, _ in self._seconds if timed
        }
        return tuple(means.get(s, 0.0) for s in range(end - span + 1, end + 1))

    def waited_ms_per_second(self, now: datetime, span: int = 60) -> tuple[float, ...]:
        """The longest wait (ms) before an answering attempt (the budget's queue, a Retry-After
        pause, earlier attempts) of the requests answered in each of the last ``span`` clock
        seconds, oldest first."""
        end = int(now.timestamp())
        longest = {second: 1000.0 * waited for second, *_, waited in self._seconds}
        return tuple(longest.get(s, 0.0) for s in range(end - span + 1, end + 1))

    def forget(self, game_pk: int) -> None:
        """Drop a game's poll history (a game no tracked date lists any more)."""
        self._polls.pop(game_pk, None)

    def polls_of(self, game_pk: int) -> tuple[PollRecord, ...]:
        return tuple(self._polls.get(game_pk, ()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_kind": dict(sorted(self.by_kind.items())),
            "retries": self.retries,
            "errors": self.errors,
            "bytes_wire": self.bytes_wire,
            "bytes_decoded": self.bytes_decoded,
        }


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """The end-of-run report; ``as_dict`` is the ``ingest --json`` object."""

    started_at: datetime
    stopped_at: datetime
    stop_reason: str  # done, duration, interrupted, terminated, stopped
    dates: tuple[str, ...]
    games: tuple[GameRow, ...]  # versions, final and timecode as the database holds them
    requests: dict[str, Any]
    updates: dict[str, int]
    findings: dict[str, int]
    alerts: dict[str, Any]
    coverage: float | None  # None: some date's schedule was never read
    coverage_by_date: dict[str, Any]
    gaps: tuple[dict[str, Any], ...]
    degraded: dict[str, float]
    sla: dict[str, Any]
    complete: bool  # every game terminal, its final stored and audited; nothing left unstored
    # Seconds from a version's metaData.timeStamp to stored: versions, p50_s, p95_s, p99_s.
    freshness: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """130 after SIGINT, 143 after SIGTERM (128 + the signal, as shells expect); else 0
        when complete, 1 when not."""
        if self.stop_reason in STOP_SIGNALS:
            return 128 + STOP_SIGNALS[self.stop_reason]
        return 0 if self.complete else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "stopped_at": self.stopped_at.isoformat(),
            "stop_reason": self.stop_reason,
            "dates": list(self.dates),
            "games": [g.as_dict() for g in self.games],
            "requests": self.requests,
            "updates": self.updates,
            "findings": self.findings,
            "alerts": self.alerts,
            "coverage": self.coverage,
            "coverage_by_date": self.coverage_by_date,
            "gaps": list(self.gaps),
            "degraded": self.degraded,
            "sla": self.sla,
            "complete": self.complete,
            "freshness": self.freshness,
            **self.extra,
        }
