"""The alert book: episodes of alerts moving pending -> firing -> resolved, deduplicated.

Each ``apply(conditions, now)`` compares the active conditions with the open episodes: a new
(rule, key) opens a pending episode, one that has held for its rule's ``for_s`` fires, and an
open episode whose condition has been gone for its rule's ``clear_s`` resolves. A condition
that comes back within ``clear_s`` carries on the same episode: with both times (hysteresis) a
condition that comes and goes is one incident, not a dozen. There is at most one open episode
per (rule, key). Every change is queued as an ``AlertWrite`` for the store and returned as an
``AlertChanged`` event (none while silenced).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from mlbdash.ingest.events import AlertChanged
from mlbdash.ingest.monitor.rules import AlertRule, Condition
from mlbdash.ingest.views import AlertRow

PENDING = "pending"
FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Alert:
    """One episode (a row of ``alerts``)."""

    id: int
    rule: str
    key: str
    severity: str
    state: str
    message: str
    pending_since: datetime
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    silenced_until: datetime | None = None
    clearing_since: datetime | None = None  # the condition went away then; held open a while

    def silenced(self, now: datetime) -> bool:
        return self.silenced_until is not None and self.silenced_until > now

    def row(self) -> AlertRow:
        """The dashboard's view of this episode."""
        since = self.fired_at if self.state == FIRING and self.fired_at else self.pending_since
        if self.state == RESOLVED and self.resolved_at:
            since = self.resolved_at
        return AlertRow(
            id=self.id,
            rule=self.rule,
            key=self.key,
            severity=self.severity,
            state=self.state,
            message=self.message,
            since=since,
            acknowledged=self.acknowledged_at is not None,
            silenced_until=self.silenced_until,
        )


@dataclass(frozen=True, slots=True)
class AlertWrite:
    """A change to persist: the episode as it now is, plus the history line (if any)."""

    alert: Alert
    at: datetime
    event_state: str  # pending, firing, resolved, acknowledged or silenced
    message: str


class AlertBook:
    """Open episodes by (rule, key) plus recent history, in memory; the store keeps it all."""

    def __init__(
        self, rules: Sequence[AlertRule], *, first_id: int = 1, history_limit: int = 500
    ) -> None:
        self.rules = {rule.name: rule for rule in rules}
        self._ids = itertools.count(first_id)
        self._open: dict[tuple[str, str], Alert] = {}
        self._history: list[Alert] = []
        self._history_limit = history_limit
        self._silences: dict[tuple[str, str], datetime] = {}
        self.outbox: list[AlertWrite] = []

    def restore(self, open_alerts: Iterable[Alert], next_id: int) -> None:
        """Carry on from a previous run's open episodes (loaded from the store).

        Episodes opened before the restore (not yet written) are numbered again from
        ``next_id`` so they never overwrite a stored row; a stored open episode for the same
        (rule, key) wins, keeping one open episode per (rule, key).
        """
        self._ids = itertools.count(max(next_id, 1))
        renumbered: dict[int, int] = {}
        early = self._open
        self._open = {}
        for alert in open_alerts:
            self._open[(alert.rule, alert.key)] = alert
            if alert.silenced_until is not None:
                self._silences[(alert.rule, alert.key)] = alert.silenced_until
        for ident, alert in early.items():
            if ident in self._open:
                renumbered[alert.id] = self._open[ident].id
            else:
                renumbered[alert.id] = next(self._ids)
                self._open[ident] = replace(alert, id=renumbered[alert.id])
        for alert in self._history:
            renumbered.setdefault(alert.id, next(self._ids))
        self._history = [replace(a, id=renumbered[a.id]) for a in self._history]
        self.outbox = [
            replace(w, alert=replace(w.alert, id=renumbered.get(w.alert.id, w.alert.id)))
            for w in self.outbox
        ]

    def apply(self, conditions: Iterable[Condition], now: datetime) -> list[AlertChanged]:
        """Move episodes to match the active conditions; returns the events to emit."""
        events: list[AlertChanged] = []
        active: dict[tuple[str, str], Condition] = {}
        for cond in conditions:
            active.setdefault((cond.rule, cond.key), cond)
        for ident, cond in active.items():
            current = self._open.get(ident)
            if current is None:
                current = Alert(
                    id=next(self._ids),
                    rule=cond.rule,
                    key=cond.key,
                    severity=cond.severity,
                    state=PENDING,
                    message=cond.message,
                    pending_since=now,
                    silenced_until=self._silence_of(ident, now),
                )
                self._open[ident] = current
                self._record(current, now, PENDING, cond.message, events)
            elif current.message != cond.message or current.clearing_since is not None:
                # Back within the hold: the same incident goes on. The newest wording (e.g. a
                # growing silence) is shown, but not written each second: the store gets it
                # with the next transition.
                current = replace(current, message=cond.message, clearing_since=None)
                self._open[ident] = current
            rule = self.rules.get(cond.rule)
            for_s = rule.for_s if rule else 0.0
            if current.state == PENDING and (now - current.pending_since).total_seconds() >= for_s:
                current = replace(current, state=FIRING, fired_at=now)
                self._open[ident] = current
                self._record(current, now, FIRING, current.message, events)
        for ident in [i for i in self._open if i not in active]:
            alert = self._open[ident]
            if alert.clearing_since is None:
                alert = replace(alert, clearing_since=now)
                self._open[ident] = alert
            rule = self.rules.get(alert.rule)
            hold = rule.clear_s if rule else 0.0
            assert alert.clearing_since is not None
            if (now - alert.clearing_since).total_seconds() < hold:
                continue
            # Resolved as of when the condition went away (the hold only made sure it had).
            ended = replace(self._open.pop(ident), state=RESOLVED, resolved_at=alert.clearing_since)
            self._remember(ended)
            self._record(ended, now, RESOLVED, ended.message, events)
        return events

    def acknowledge(self, alert_id: int, now: datetime) -> AlertChanged | None:
        """Mark an open episode seen by a person; None if no open episode has that id."""
        for ident, alert in self._open.items():
            if alert.id == alert_id:
                if alert.acknowledged_at is not None:
                    return None
                acked = replace(alert, acknowledged_at=now)
                self._open[ident] = acked
                self.outbox.append(AlertWrite(acked, now, "acknowledged", acked.message))
                return _event(acked, now)
        return None

    def silence(self, rule: str, key: str, until: datetime, now: datetime) -> None:
        """Hold back events for (rule, key) until ``until``; episodes are still recorded."""
        ident = (rule, key)
        self._silences[ident] = until
        alert = self._open.get(ident)
        if alert is not None:
            silenced = replace(alert, silenced_until=until)
            self._open[ident] = silenced
            self.outbox.append(
                AlertWrite(silenced, now, "silenced", f"silenced until {until.isoformat()}")
            )

    def open_alerts(self) -> list[Alert]:
        return sorted(self._open.values(), key=lambda a: a.id)

    def firing(self) -> list[Alert]:
        return [a for a in self.open_alerts() if a.state == FIRING]

    def pending(self) -> list[Alert]:
        return [a for a in self.open_alerts() if a.state == PENDING]

    def history(self) -> list[Alert]:
        """Resolved episodes of this run, newest first (the store holds older ones)."""
        return list(reversed(self._history))

    def take_writes(self) -> list[AlertWrite]:
        writes, self.outbox = self.outbox, []
        return writes

    def _silence_of(self, ident: tuple[str, str], now: datetime) -> datetime | None:
        until = self._silences.get(ident)
        if until is not None and until <= now:
            del self._silences[ident]
            return None
        return until

    def _record(
        self, alert: Alert, now: datetime, state: str, message: str, events: list[AlertChanged]
    ) -> None:
        self.outbox.append(AlertWrite(alert, now, state, message))
        if not alert.silenced(now):
            events.append(_event(alert, now))

    def _remember(self, alert: Alert) -> None:
        self._history.append(alert)
        if len(self._history) > self._history_limit:
            del self._history[: len(self._history) - self._history_limit]


def _event(alert: Alert, now: datetime) -> AlertChanged:
    return AlertChanged(
        at=now,
        rule=alert.rule,
        key=alert.key,
        severity=alert.severity,
        state=alert.state,
        message=alert.message,
        acknowledged=alert.acknowledged_at is not None,
    )
