"""Validation in the pipeline: validate a stored version, record it, decide the corrections.

The review queue is the findings table; this module is what the runtime and the dashboard
call on it, each call one store transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mlbdash.errors import UsageError
from mlbdash.ingest.events import IssueFound
from mlbdash.ingest.findings import Finding
from mlbdash.ingest.store import Store
from mlbdash.ingest.store import findings as repo
from mlbdash.ingest.validator.corrections import (
    DEFAULT_RECHECK_DELAY_S,
    Correction,
    cleared_on,
    decide_corrections,
)
from mlbdash.ingest.validator.crossref import VersionSummary
from mlbdash.ingest.validator.service import FeedCheck, FeedContext, check_version


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What validating one version produced. ``summary`` is the next call's ``previous``."""

    findings: tuple[Finding, ...]
    corrections: tuple[Correction, ...]
    recorded: repo.RecordResult
    summary: VersionSummary


async def validate_and_record(
    store: Store,
    feed: Mapping[str, Any],
    *,
    context: FeedContext | None = None,
    official_date: date | str | None = None,
    recheck_delay_s: float = DEFAULT_RECHECK_DELAY_S,
    cleared_by: str | None = None,
    check: FeedCheck | None = None,
) -> FeedOutcome:
    """Validate a version, upsert its findings, resolve the ones it no longer raises.

    ``check``: the version already validated (``check_version`` under ``context``), so it is
    not validated a second time.

    The corrections are for the caller to act on: "refetch" now, "recheck" at ``recheck_at``
    (also written on the game's findings). ``cleared_by`` says how cleared findings were fixed,
    e.g. ``corrections.CORRECTED_BY_RECHECK`` when this version is the delayed re-check of a
    Final game; by default "cleared on version <timecode>".
    """
    if check is None:
        check = check_version(feed, context=context)
    found, summary = check.findings, check.summary
    now = store.clock.now()
    corrections = decide_corrections(
        found, is_final=check.is_final, now=now, recheck_delay_s=recheck_delay_s
    )
    recheck_at = next((c.recheck_at for c in corrections if c.action == "recheck"), None)
    if official_date is None:
        official = (
            feed.get("gameData", {}).get("datetime", {}).get("officialDate")
            if isinstance(feed.get("gameData"), Mapping)
            else None
        )
        official_date = official if isinstance(official, str) else None
    async with store.transaction() as conn:
        recorded = await repo.record_findings(
            conn,
            found,
            now=now,
            official_date=official_date,
            game_pk=summary.game_pk,
            checked_rules=check.checked,
            cleared_by=cleared_by or cleared_on(summary.timecode),
            recheck_at=recheck_at,
        )
    return FeedOutcome(tuple(found), tuple(corrections), recorded, summary)


def issue_events(outcome: FeedOutcome, at: datetime) -> list[IssueFound]:
    """The IssueFound events of one validated version (see :func:`findings_to_events`)."""
    return findings_to_events(outcome.findings, outcome.recorded, at)


def findings_to_events(
    findings: Sequence[Finding], recorded: repo.RecordResult, at: datetime
) -> list[IssueFound]:
    """The one mapping from recorded findings to IssueFound events: one per finding raised
    for the first time, and one per error-level finding each time it recurs (a recurring
    warning is not news); ``occurrences`` is the count the store holds."""
    new = set(recorded.new)
    return [
        IssueFound(
            at=at,
            game_pk=f.game_pk,
            rule=f.rule,
            severity=f.severity,
            category=f.category,
            path=f.path or "",
            message=f.message,
            occurrences=recorded.occurrences.get(f.fingerprint, 1),
            new=f.fingerprint in new,
        )
        for f in findings
        if f.fingerprint in new or f.severity == "error"
    ]


async def set_review_status(
    store: Store, finding_id: int, status: str, *, correction: str | None = None
) -> bool:
    """Acknowledge, resolve, ignore or reopen a finding; False if there is no such finding."""
    if status not in repo.STATUSES:
        raise UsageError(f"unknown status {status!r}; use one of {', '.join(repo.STATUSES)}")
    async with store.transaction() as conn:
        return await repo.set_status(conn, finding_id, status, correction=correction)
