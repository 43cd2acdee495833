"""``mlbdash ingest`` against the replay server over real loopback HTTP, in real processes.

A slate of two recorded games (CWS @ HOU 2022-06-19, MIN @ CWS 2023-05-03, both moved onto
2026-05-01 with their first pitches about 23:10 UTC) runs at 600x: Pre-Game to Final in about
25 seconds, while a second ingest beside the first is killed and restarted, and a third starts
late, once both games are well under way.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import load_fixture
from e2etools import (
    IngestRun,
    finish,
    make_data,
    replay_server,
    server_feed,
    server_timestamps,
    start_ingest,
    stop,
    wait_for_line,
    write_config,
)

from mlbdash.ingest.follower import HISTORY_MAX_VERSIONS
from mlbdash.ingest.store import Store
from mlbdash.mlb.clock import SystemClock

SLATE = {
    662751: "feed/feed_662751_final.json.gz",
    718322: "feed/feed_718322_final.json.gz",
}
# The server starts 2 h 10 min (13 real seconds) before first pitch: an ingest that meets a game
# more than HISTORY_MAX_VERSIONS in archives it from the present, so a slow start on a loaded
# machine must still find both games in pre-game.
SLATE_ARGS = ("--rebase-date", "2026-05-01", "--start", "2026-05-01T21:00:00Z", "--speed", "600")
SLATE_INGEST = ("--date", "2026-05-01")


def _recorded_score(rel: str) -> tuple[int, int]:
    teams = load_fixture(rel)["liveData"]["linescore"]["teams"]
    return teams["away"]["runs"], teams["home"]["runs"]


async def _stored(db: Path) -> dict[int, tuple[list[str], dict[str, Any] | None]]:
    """Per game: the stored version timecodes in order, and the latest stored feed."""
    out: dict[int, tuple[list[str], dict[str, Any] | None]] = {}
    async with Store.open(db, clock=SystemClock()) as store:
        for game_pk in SLATE:
            versions = [v.timecode for v in await store.list_versions(game_pk)]
            latest = await store.load_latest_feed(game_pk)
            out[game_pk] = (versions, latest[1] if latest else None)
    return out


@dataclass(frozen=True)
class SlateRuns:
    clean: IngestRun  # ran start to finish
    clean_db: Path
    restarted: IngestRun  # the run after the SIGKILL
    killed_db: Path
    midway: dict[int, tuple[list[str], dict[str, Any] | None]]  # stored when killed
    timestamps: dict[int, list[str]]  # the server's own version lists at the end
    finals: dict[int, dict[str, Any]]  # the server's final feeds
    late: IngestRun  # started once both games were past HISTORY_MAX_VERSIONS versions
    late_db: Path
    listed_at_late_start: dict[int, int]  # versions the server listed just before it started
    late_audit: subprocess.CompletedProcess[str]  # mlbdash db audit --json on late_db


@pytest.fixture(scope="module")
def slate(tmp_path_factory: pytest.TempPathFactory) -> SlateRuns:
    """Two ingests of the slate against one server, side by side: one runs to the end, the
    other is SIGKILLed mid-game and started again. Both store every version from each game's
    first, so they must end with the same data whatever moment each began."""
    root = tmp_path_factory.mktemp("slate")
    data, config = make_data(root / "data", list(SLATE.values())), write_config(root)
    clean_db, killed_db = root / "clean.sqlite3", root / "killed.sqlite3"
    late_db = root / "late.sqlite3"
    with replay_server(data, *SLATE_ARGS) as url:
        clean = start_ingest(url, clean_db, config, *SLATE_INGEST, "--until-done")
        victim = start_ingest(url, killed_db, config, *SLATE_INGEST, "--until-done")
        procs = [clean, victim]
        try:
            wait_for_line(victim, "| live 2 |")  # both games under way
            victim.send_signal(signal.SIGKILL)
            assert victim.wait(10) == -signal.SIGKILL
            midway = asyncio.run(_stored(killed_db))
            again = start_ingest(url, killed_db, config, *SLATE_INGEST, "--until-done")
            procs.append(again)
            # A user who starts mlbdash with the games under way: the restarted run's progress
            # lines pace the wait until one is past HISTORY_MAX_VERSIONS (not later: on a
            # loaded machine a game must still be live when the late run meets it).
            listed = {pk: len(server_timestamps(url, pk)) for pk in SLATE}
            while max(listed.values()) <= HISTORY_MAX_VERSIONS + 10:
                wait_for_line(again, "| live")
                listed = {pk: len(server_timestamps(url, pk)) for pk in SLATE}
            late = start_ingest(url, late_db, config, *SLATE_INGEST, "--until-done")
            procs.append(late)
            restarted = finish(again)
            clean_run = finish(clean)
            late_run = finish(late)
        finally:
            for proc in procs:
                stop(proc)
        timestamps = {pk: server_timestamps(url, pk) for pk in SLATE}
        finals = {pk: server_feed(url, pk) for pk in SLATE}
        audit = subprocess.run(
            [
                *(sys.executable, "-m", "mlbdash", "db", "audit", "--db", str(late_db)),
                *("--api-url", url, "--config", str(config), "--json"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    return SlateRuns(
        clean_run,
        clean_db,
        restarted,
        killed_db,
        midway,
        timestamps,
        finals,
        late_run,
        late_db,
        listed,
        audit,
    )


def test_whole_slate_from_pregame_to_final(slate: SlateRuns) -> None:
    run = slate.clean
    summary = run.summary
    assert run.returncode == 0, run.stderr[-2000:]
    assert summary["coverage"] == 1.0
    assert summary["stop_reason"] == "done"
    games = {g["game_pk"]: g for g in summary["games"]}
    assert set(games) == set(SLATE)
    for game_pk, rel in SLATE.items():
        game = games[game_pk]
        assert game["state"] == "final" and game["final_stored"]
        assert (game["away_score"], game["home_score"]) == _recorded_score(rel)
        assert game["official_date"] == "2026-05-01"
    # The promised shape of --json.
    assert set(summary["requests"]) >= {"total", "by_kind", "retries", "bytes_wire"}
    assert summary["requests"]["errors"] == 0
    # Versions stored by applying diffs, not by fetching whole feeds.
    versions = sum(g["versions"] for g in summary["games"])
    assert summary["updates"]["full"] + summary["updates"]["diff"] == versions
    assert summary["updates"]["diff"] > 0.9 * versions
    assert summary["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert set(summary["alerts"]) == {"fired", "firing"}
    assert summary["sla"]["2026-05-01"]["coverage"]["value"] == 1.0
    # Every game was followed live to its end, as the progress lines show.
    for game_pk in SLATE:
        assert f"game {game_pk}: live -> final" in run.stderr


async def test_every_server_version_is_stored_and_the_final_feed_is_the_recorded_one(
    slate: SlateRuns,
) -> None:
    stored = await _stored(slate.clean_db)
    for game_pk, rel in SLATE.items():
        versions, latest = stored[game_pk]
        # From the first version (scheduled, hours before first pitch) to the last: no gap.
        assert versions == slate.timestamps[game_pk]
        # The stored final, rebuilt from checkpoints and diffs, is the server's final feed.
        assert latest is not None
        assert latest == slate.finals[game_pk]
        recorded = load_fixture(rel)
        assert latest["liveData"]["linescore"] == recorded["liveData"]["linescore"]
        plays = latest["liveData"]["plays"]["allPlays"]
        assert len(plays) == len(recorded["liveData"]["plays"]["allPlays"])


async def test_sigkill_mid_game_then_restart_stores_the_same_data(slate: SlateRuns) -> None:
    # Killed mid-game: versions stored, no final yet.
    for versions, feed in slate.midway.values():
        assert versions and feed is not None
        assert feed["gameData"]["status"]["abstractGameState"] == "Live"
    assert slate.restarted.returncode == 0, slate.restarted.stderr[-2000:]
    assert slate.restarted.summary["coverage"] == 1.0
    again = await _stored(slate.killed_db)
    clean = await _stored(slate.clean_db)
    for game_pk in SLATE:
        midway_versions = slate.midway[game_pk][0]
        assert again[game_pk][0][: len(midway_versions)] == midway_versions
        assert again[game_pk][0] == clean[game_pk][0]  # same versions, none lost or doubled
        final_again, final_clean = again[game_pk][1], clean[game_pk][1]
        assert final_again is not None and final_clean is not None
        assert final_again == final_clean  # same final feed


async def test_an_ingest_started_late_archives_each_game_whole_present_first(
    slate: SlateRuns,
) -> None:
    """Met well under way, each game is archived from the present first and its history
    after: the run ends complete only with every version the server lists, each the same as
    the run that saw them all as they came, and ``db audit`` finds nothing missing."""
    run = slate.late
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.summary["complete"] is True and run.summary["coverage"] == 1.0
    late, clean = await _stored(slate.late_db), await _stored(slate.clean_db)
    async with (
        Store.open(slate.late_db, clock=SystemClock()) as late_store,
        Store.open(slate.clean_db, clock=SystemClock()) as clean_store,
    ):
        met_late = 0
        for game_pk in SLATE:
            assert late[game_pk][0] == slate.timestamps[game_pk]  # none missing, in order
            record = await late_store.get_game(game_pk)
            assert record is not None
            if slate.listed_at_late_start[game_pk] <= HISTORY_MAX_VERSIONS:
                continue  # met early: archived from its first version as it came
            assert record.history_before is not None
            met = slate.timestamps[game_pk].index(record.history_before)
            assert met >= slate.listed_at_late_start[game_pk]
            met_late += 1
            assert late[game_pk][1] == clean[game_pk][1]  # the same final feed
            for timecode in slate.timestamps[game_pk][: met : max(1, met // 8)]:
                mine = await late_store.load_version(game_pk, timecode)
                assert mine == await clean_store.load_version(game_pk, timecode), timecode
        assert met_late >= 1
    assert slate.late_audit.returncode == 0, slate.late_audit.stdout + slate.late_audit.stderr
    audit = json.loads(slate.late_audit.stdout)
    assert audit["complete"] and all(not g["history"] for g in audit["games"])


SCHEDULE_ARGS = ("--start", "2025-07-01T00:00:00Z", "--speed", "60")
POSTPONED_DAY = ("--date", "2022-04-07", "--duration", "1")
MAKEUP_DAYS = ("--start", "2025-06-18", "--end", "2025-06-19", "--team", "134", "--duration", "1")


@pytest.fixture(scope="module")
def schedule_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestRun, IngestRun]:
    """Real schedules with postponed, rescheduled and doubleheader games (no feeds recorded)."""
    root = tmp_path_factory.mktemp("schedules")
    files = [
        "schedule/schedule_2022-04-07_2postponed.json",
        "schedule/schedule_team_pirates_2025_season.json.gz",
    ]
    data, config = make_data(root / "data", files), write_config(root)
    with replay_server(data, *SCHEDULE_ARGS) as url:
        postponed = start_ingest(url, root / "a.sqlite3", config, *POSTPONED_DAY)
        makeup = start_ingest(url, root / "b.sqlite3", config, *MAKEUP_DAYS)
        try:
            return finish(postponed), finish(makeup)
        finally:
            stop(postponed)
            stop(makeup)


def test_postponed_games_are_terminal_and_excluded_from_coverage(
    schedule_runs: tuple[IngestRun, IngestRun],
) -> None:
    run = schedule_runs[0]
    summary = run.summary
    games = {g["game_pk"]: g for g in summary["games"]}
    assert len(games) == 9
    postponed = {pk for pk, g in games.items() if g["state"] == "postponed"}
    assert postponed == {661333, 661750}
    assert all(games[pk]["official_date"] == "2022-04-08" for pk in postponed)
    day = summary["coverage_by_date"]["2022-04-07"]
    assert (day["scheduled"], day["excluded"], day["should_finish"]) == (9, 2, 7)
    # The recordings hold no feed for these games: every Final one is a gap, with the reason,
    # and the run says coverage is incomplete.
    assert {g["game_pk"] for g in summary["gaps"]} == set(games) - postponed
    assert all("404" in g["reason"] for g in summary["gaps"])
    assert run.returncode == 1


def test_rescheduled_game_is_tracked_on_its_makeup_date(
    schedule_runs: tuple[IngestRun, IngestRun],
) -> None:
    """gamePk 777464: postponed 2025-06-18, played 2025-06-19 as game 2 of a doubleheader."""
    run = schedule_runs[1]
    summary = run.summary
    games = {g["game_pk"]: g for g in summary["games"]}
    assert set(games) == {777451, 777464}
    makeup = games[777464]
    assert (makeup["official_date"], makeup["state"]) == ("2025-06-19", "final")
    assert (makeup["away_score"], makeup["home_score"]) == (8, 4)
    by_date = summary["coverage_by_date"]
    assert (by_date["2025-06-18"]["excluded"], by_date["2025-06-18"]["should_finish"]) == (1, 0)
    assert by_date["2025-06-19"]["should_finish"] == 2
    assert "game 777464: postponed -> final (Final, schedule)" in run.stderr
