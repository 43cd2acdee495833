"""The SLA of a league date from the database alone (``mlbdash report``), after the fact.

The monitor measures its SLA live, from events. Here the stored rows are turned back into those
events and run through the monitor's own ``GameLedger`` and ``sla_report``, so the definitions
of poll success and live freshness stay in ``games.py`` and ``sla.py``:

- a poll request of the request log (kinds feed and diff_patch, the game in its URL) that
  failed becomes a ``RequestFinished``; a poll (see below) a ``GameUpdated``, carrying the
  newest version stored after it began (before the game's next poll), else update 'none';
- a ``game_states`` row becomes a ``GameStateChanged``.

The log has requests, not polls: a poll that catches up on several versions makes several
requests, back to back. Successful requests of a game less than one ``wait`` apart are taken
as one poll, so polls and failed requests are counted as the monitor counts them.

Coverage comes from the schedule rows and stored finals (``store.schedule.coverage``), as in
``Monitor.sla_stored``; ``with_stored_coverage`` is the one place that puts it into a report
(``Monitor.sla_stored`` computes the same three fields and could call it).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import aiosqlite

from mlbdash.ingest.events import Event, GameStateChanged, GameUpdated, RequestFinished
from mlbdash.ingest.monitor.games import POLL_KINDS, GameLedger, game_pk_in_url, request_failed
from mlbdash.ingest.monitor.sla import SlaReport, sla_report
from mlbdash.ingest.store import reads
from mlbdash.ingest.store.codec import parse_iso
from mlbdash.ingest.store.schedule import NOT_PLAYED_CODES, Coverage, coverage
from mlbdash.ingest.views import GameRow
from mlbdash.mlb.dates import LEAGUE_DAY_ROLLOVER, LEAGUE_TIMEZONE, league_today
from mlbdash.mlb.status import Lifecycle

# A date's games are polled from their pre-game, which can start before the league day turns
# over (06:00 ET), until the recheck of their final, which can fall on the next day.
POLLS_BEFORE = timedelta(hours=12)
POLLS_AFTER = timedelta(hours=36)


def league_day(official_date: date) -> tuple[datetime, datetime]:
    """The UTC instants a league date runs between: [06:00 ET that day, 06:00 ET the next)."""
    start = datetime.combine(official_date, LEAGUE_DAY_ROLLOVER, tzinfo=LEAGUE_TIMEZONE)
    end = datetime.combine(
        official_date + timedelta(days=1), LEAGUE_DAY_ROLLOVER, tzinfo=LEAGUE_TIMEZONE
    )
    return start.astimezone(UTC), end.astimezone(UTC)


def with_stored_coverage(report: SlaReport, stored: Coverage) -> SlaReport:
    """The report with its coverage from the database: stored finals over games due final."""
    due = stored.expected_final
    return replace(
        report,
        games_due_final=due,
        finals_stored=stored.final_stored,
        coverage=stored.final_stored / due if due else None,
        missing=stored.missing,
    )


@dataclass(frozen=True, slots=True)
class StoredState:
    game_pk: int
    at: datetime
    state: str
    detailed_state: str | None
    source: str


@dataclass(frozen=True, slots=True)
class StoredVersion:
    game_pk: int
    timecode: str
    kind: str  # full, diff
    stored_at: datetime


@dataclass(frozen=True, slots=True)
class StoredSla:
    """The SLA of one date and what it was measured on.

    ``polls_logged`` counts the poll requests found in the log for the date's games. When
    versions were stored but no poll is logged (the request log was pruned), poll success and
    freshness cannot be measured: they are None and ``note`` says why.
    """

    report: SlaReport
    wait_s: float
    as_of: datetime
    polls_logged: int
    note: str | None


def ledger_events(
    official_date: date,
    polls: Sequence[RequestFinished],
    states: Sequence[StoredState],
    versions: Sequence[StoredVersion],
    *,
    wait_s: float,
    split_by_day: Iterable[int] = (),
) -> list[Event]:
    """The events the monitor would have seen for a date's played games, in time order.

    ``split_by_day`` names games listed on several dates (suspended and resumed, say): of
    those, only what happened during this league date is kept.
    """
    day = official_date.isoformat()
    split = set(split_by_day)

    def kept(game_pk: int, at: datetime) -> bool:
        return game_pk not in split or league_today(at) == official_date

    history: dict[int, list[StoredState]] = {}
    for state in states:
        history.setdefault(state.game_pk, []).append(state)
    by_game: dict[int, list[StoredVersion]] = {}
    for version in versions:
        by_game.setdefault(version.game_pk, []).append(version)
    requests: dict[int, list[RequestFinished]] = {}
    # (time, order at equal times, sequence, event): a state change goes before the update
    # of the poll that caused it, as the runtime emits them.
    keyed: list[tuple[datetime, int, int, Event]] = []
    for poll in polls:
        game_pk = game_pk_in_url(poll.url)
        if game_pk is None or not kept(game_pk, poll.at):
            continue
        requests.setdefault(game_pk, []).append(poll)
        if request_failed(poll):
            keyed.append((poll.at, 0, len(keyed), poll))
    for game_pk, game_states in history.items():
        for state in game_states:
            if kept(game_pk, state.at):
                event = GameStateChanged(
                    state.at, game_pk, None, state.state, state.detailed_state or "", state.source
                )
                keyed.append((state.at, 1, len(keyed), event))
    for game_pk, logged in requests.items():
        spans = _polls(logged, wait_s)
        starts = [first for first, _ in spans]
        brought: dict[int, StoredVersion] = {}
        for version in by_game.get(game_pk, []):
            # The poll that stored a version is the last one that began before it was stored.
            i = bisect.bisect_right(starts, version.stored_at) - 1
            if i >= 0 and (i not in brought or version.stored_at >= brought[i].stored_at):
                brought[i] = version
        game_history = history.get(game_pk, [])
        stamps = [s.at for s in game_history]
        for i, (_, last) in enumerate(spans):
            stored = brought.get(i)
            when = max(last, stored.stored_at) if stored else last
            j = bisect.bisect_right(stamps, when) - 1
            now_state = game_history[j].state if j >= 0 else Lifecycle.unknown.value
            keyed.append((when, 2, len(keyed), _update(game_pk, day, when, now_state, stored)))
    keyed.sort(key=lambda item: item[:3])
    return [event for *_, event in keyed]


def _polls(logged: Sequence[RequestFinished], wait_s: float) -> list[tuple[datetime, datetime]]:
    """(first, last) request time of each successful poll of one game.

    One poll can make several requests (a diffPatch per version while catching up); they
    follow each other with no wait, while polls are at least ``wait_s`` apart. A failed
    request ends a poll.
    """
    spans: list[tuple[datetime, datetime]] = []
    open_poll = False
    for request in sorted(logged, key=lambda r: r.at):
        if request_failed(request):
            open_poll = False
            continue
        if open_poll and (request.at - spans[-1][1]).total_seconds() < wait_s:
            spans[-1] = (spans[-1][0], request.at)
        else:
            spans.append((request.at, request.at))
            open_poll = True
    return spans


def _update(
    game_pk: int, day: str, at: datetime, state: str, version: StoredVersion | None
) -> GameUpdated:
    # The ledger reads the game, date, state, timecode, update and time of a GameUpdated; the
    # display fields (teams, score, counters) are not rebuilt.
    return GameUpdated(
        at=at,
        row=GameRow(
            game_pk=game_pk,
            official_date=day,
            away="",
            home="",
            state=state,
            detailed_state="",
            timecode=version.timecode if version else None,
        ),
        update=version.kind if version else "none",
    )


async def stored_sla(
    conn: aiosqlite.Connection,
    official_date: date,
    *,
    now: datetime,
    wait_s: float,
    max_game_s: float,
) -> StoredSla:
    """The SLA of ``official_date`` from the rows in ``conn`` (inside ``Store.read()``).

    ``wait_s`` and ``max_game_s`` are the monitor's (``MonitorSettings``).

    Measured up to the last thing the database recorded (``now`` when it recorded nothing),
    and no later than ``max_game_s`` after the date's last first pitch: a game left live when
    tracking stopped counts as stale from its last poll until then, not for ever.
    """
    listed = await reads.listed_games(conn, official_date)
    played = sorted({int(r[0]) for r in listed if r[1] not in NOT_PLAYED_CODES})
    first_pitches = [_instant(r[2]) for r in listed if r[1] not in NOT_PLAYED_CODES and r[2]]
    split: list[int] = []
    polls: list[RequestFinished] = []
    states: list[StoredState] = []
    versions: list[StoredVersion] = []
    if played:
        split = await reads.games_listed_twice(conn, played)
        states = [
            StoredState(int(r[0]), _instant(r[1]), str(r[2]), r[3], str(r[4]))
            for r in await reads.state_rows(conn, played)
        ]
        versions = [
            StoredVersion(int(r[0]), str(r[1]), str(r[2]), _instant(r[3]))
            for r in await reads.version_rows(conn, played)
        ]
        polls = await _poll_requests(conn, official_date, played)
    ledger = GameLedger(wait_s=wait_s)
    day = official_date.isoformat()
    for game_pk in played:
        # The schedule says which date a game belongs to: a game whose every poll failed
        # still counts against this date's poll success.
        ledger.book(game_pk).official_date = day
    events = ledger_events(
        official_date, polls, states, versions, wait_s=wait_s, split_by_day=split
    )
    for event in events:
        ledger.handle(event)
    # The database's own last instant, not the reader's clock: a database written against a
    # replay server holds virtual times, possibly ahead of the wall clock.
    as_of = await reads.last_recorded(conn) or now
    if first_pitches:
        # A game left live when tracking stopped is owed no more than a whole game's time,
        # but what was recorded for the date's games is all measured.
        cap = max(first_pitches) + timedelta(seconds=max_game_s)
        as_of = min(as_of, max(cap, events[-1].at) if events else cap)
    totals = ledger.date_totals(day, as_of)
    report = sla_report(day, totals, None, as_of, max_game_s=max_game_s)
    report = with_stored_coverage(report, await coverage(conn, official_date))
    note = None
    if versions and not polls:
        note = "no poll requests logged for these games (request log pruned?)"
        report = replace(report, polls=0, polls_failed=0, poll_success=None, live_freshness=None)
    return StoredSla(report, wait_s, as_of, len(polls), note)


async def _poll_requests(
    conn: aiosqlite.Connection, official_date: date, game_pks: Sequence[int]
) -> list[RequestFinished]:
    start, end = league_day(official_date)
    kinds = sorted(POLL_KINDS)
    wanted = set(game_pks)
    rows = await reads.request_rows(conn, start - POLLS_BEFORE, end + POLLS_AFTER, kinds)
    out = []
    for r in rows:
        if game_pk_in_url(str(r[2])) not in wanted:
            continue
        out.append(
            RequestFinished(
                at=_instant(r[0]),
                kind=str(r[1]),
                url=str(r[2]),
                status=r[3],
                latency_s=(r[4] or 0.0) / 1000.0,
                bytes_wire=r[5] or 0,
                bytes_decoded=r[6] or 0,
                cache_hit=bool(r[7]),
                coalesced=bool(r[8]),
                not_modified=bool(r[9]),
                retries=int(r[10]),
                error=r[11],
            )
        )
    return out


def _instant(text: object) -> datetime:
    at = parse_iso(str(text))
    assert at is not None
    return at
