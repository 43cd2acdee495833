"""What schedule reads and feed polls both record: state changes, findings, game rows, failed
writes. Plain functions of the shared ``RuntimeState``: each writes through the store, then
tells the rest of mlbdash by an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from mlbdash.ingest.events import GameStateChanged, GameUpdated, WorkerHeartbeat, WriteFailed
from mlbdash.ingest.findings import Finding
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.scheduler import Transition
from mlbdash.ingest.store import findings as finding_rows
from mlbdash.ingest.store.games import StateRecord
from mlbdash.ingest.validator.review import findings_to_events


async def record_transitions(state: RuntimeState, changes: list[Transition]) -> None:
    """Store the status changes (history rows and the games' rows, one transaction), then
    announce each."""
    records = []
    for change in changes:
        status = state.scheduler.tracks[change.game_pk].status
        records.append(
            StateRecord(
                change.game_pk,
                state=change.new,
                detailed_state=status.detailed_state,
                status_code=status.status_code,
                source=change.source,
                fields={
                    "state": change.new,
                    "detailed_state": status.detailed_state,
                    "abstract_game_state": status.abstract,
                    "coded_game_state": status.coded,
                    "status_code": status.status_code,
                    "status_reason": status.reason,
                },
            )
        )
    await state.store.record_states(records)
    for change in changes:
        state.emit(
            GameStateChanged(
                at=change.at,
                game_pk=change.game_pk,
                old=change.old,
                new=change.new,
                detailed_state=change.detailed_state,
                source=change.source,
            )
        )


async def record_findings(
    state: RuntimeState,
    findings: list[Finding],
    *,
    official_date: date | None,
    game_pk: int | None = None,
    checked: tuple[str, ...] = (),
) -> None:
    """Upsert findings (and resolve the ``checked`` rules' ones no longer raised), then
    announce them."""
    if not findings and not checked:
        return
    async with state.store.transaction() as conn:
        recorded = await finding_rows.record_findings(
            conn,
            findings,
            now=state.clock.now(),
            official_date=official_date,
            game_pk=game_pk,
            checked_rules=checked,
        )
    announce_findings(state, findings, recorded)


def announce_findings(
    state: RuntimeState, findings: Sequence[Finding], recorded: finding_rows.RecordResult
) -> None:
    for event in findings_to_events(findings, recorded, state.clock.now()):
        state.emit(event)


def game_updated(
    state: RuntimeState,
    game_pk: int,
    update: str,
    *,
    kind: type[GameUpdated] = GameUpdated,
    operations: int = 0,
) -> None:
    """The row of a game: after a successful poll (``GameUpdated``), or after a schedule read
    changed it (``ScheduleGameUpdated``, which the monitor does not count as a poll)."""
    row = state.game_row(game_pk)
    state.emit(kind(at=state.clock.now(), row=row, update=update, operations=operations))


def write_failed(state: RuntimeState, what: str, error: str, *, lost: int = 0) -> None:
    """A write failed: counted, shown at once (monitor check and alert, progress line);
    ``lost`` items of ``what`` will never be stored."""
    state.write_failures[what] += 1
    if lost:
        state.unstored[what] += lost
    state.write_error = f"{what}: {error}"
    state.emit(WriteFailed(state.clock.now(), what, error))


def beat(state: RuntimeState, worker: str) -> None:
    """A long-lived worker is still going (the monitor's workers check watches)."""
    state.emit(WorkerHeartbeat(state.clock.now(), worker))
