"""``mlbdash bench --whole-games``: the targets are judged on the worst repeat, and the table
shows every repeat of every client (the real run takes minutes: measured, not tested)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mlbdash.bench import report, whole
from mlbdash.replay.world import World


def _client(requests: float, wire: float, p50: float, p99: float) -> dict[str, Any]:
    return {
        "requests": requests,
        "request_errors": 0.0,
        "bytes_wire": wire,
        "bytes_decoded": 4 * wire,
        "freshness": {"versions": 400, "missed": 0, "p50_s": p50, "p95_s": p99, "p99_s": p99},
        "cpu_s": 3.0,
    }


def _repeat(push_requests: float, push_p99: float) -> dict[str, Any]:
    return {
        "a": _client(1200, 60e6, 5.0, 10.0),
        "b_poll": _client(900, 600e3, 5.0, 10.0),
        "b_push": _client(push_requests, 500e3, 0.3, push_p99),
        "b_push_over_b_poll_requests": push_requests / 900,
        "b_push_over_a_bytes_wire": 500e3 / 60e6,
    }


def test_a_target_met_in_one_repeat_but_missed_in_another_is_not_met() -> None:
    repeats = [_repeat(400, 2.0), _repeat(500, 3.5), _repeat(420, 2.5)]
    verdicts = {t["target"]: t for t in whole.targets(repeats)}
    assert verdicts["b_push_freshness_p50_s"]["pass"]
    assert verdicts["b_push_over_a_bytes_wire"]["pass"]
    assert verdicts["b_push_freshness_p99_s"] == {
        "target": "b_push_freshness_p99_s",
        "value": 3.5,
        "limit": 3.0,
        "pass": False,
    }
    assert not verdicts["b_push_over_b_poll_requests"]["pass"]
    assert verdicts["b_push_over_b_poll_requests"]["value"] == 500 / 900


def test_table_shows_each_repeat_of_each_client_and_the_verdicts() -> None:
    repeats = [_repeat(400, 2.0), _repeat(500, 3.5)]
    result = {
        "games": list(whole.WHOLE_GAMES),
        "speed": 60.0,
        "repeats": repeats,
        "failed": ["whole games repeat 3: client-a crashed: boom"],
        "targets": whole.targets(repeats),
    }
    out = io.StringIO()
    report.write_whole_games(result, out)
    text = out.getvalue()
    assert "run 1" in text and "run 2" in text
    line = next(row for row in text.splitlines() if row.startswith("B-push requests"))
    assert line.split()[-2:] == ["400", "500"]
    assert "b_push_freshness_p99_s: 3.500 <= 3 NOT met" in text
    assert "FAILED: whole games repeat 3: client-a crashed: boom" in text


def test_the_slate_is_two_whole_games_met_before_their_first_pitch(tmp_path: Path) -> None:
    layout = whole.layout_for(whole.slate(tmp_path / "slate"), 60.0)
    world = World(layout.options())
    assert set(world.games) == set(whole.WHOLE_GAMES)
    start = layout.start.timestamp()
    for game_pk in whole.WHOLE_GAMES:
        timeline = world.games[game_pk].timeline
        assert timeline is not None
        assert timeline.status(len(timeline.times) - 1)["abstractGameState"] == "Final"
        # The clients meet each game before its first pitch (Warmup), and follow it to Final.
        assert timeline.status(world.games[game_pk].index_at(start))["detailedState"] == "Warmup"
        seen = [t for t in timeline.times if t >= start + whole.FRESH_FROM_S]
        assert len(seen) > 300


def test_requests_are_told_apart_by_what_they_asked() -> None:
    base = "http://127.0.0.1:1/api/v1.1/game/1/feed/live"
    rows = [
        (f"{base}/diffPatch?startTimecode=20250701_230504", 900, 4000),
        (f"{base}/diffPatch?startTimecode=20250701_230504", 1100, 5000),
        (f"{base}/diffPatch?startTimecode=20250701_230519", 22, 2),
        (f"{base}/diffPatch?endTimecode=20250701_2306&startTimecode=20250701_2305", 800, 3000),
        (f"{base}?fields=metaData%2CtimeStamp&timecode=20250701_230504", 300, 900),
        (f"{base}?timecode=20250701_190504", 10000, 50000),
        (base, 120000, 700000),
        (f"{base}/timestamps", 50, 200),
        ("http://127.0.0.1:1/api/v1/schedule?date=2025-07-01&sportId=1", 700, 2000),
    ]
    kinds = whole.by_kind(rows, games=2)
    assert kinds["diffPatch"] == {"requests": 1.0, "bytes_wire": 1000.0}
    assert kinds["diffPatch, nothing new"] == {"requests": 0.5, "bytes_wire": 11.0}
    assert kinds["feed parts (merge check, fields=)"]["requests"] == 0.5
    assert kinds["feed by timecode"]["bytes_wire"] == 5000.0
    assert kinds["whole feed"]["bytes_wire"] == 60000.0
    assert next(iter(kinds)) == "whole feed"  # the costliest first
    assert {"timestamps", "schedule"} <= set(kinds)
    assert sum(k["requests"] for k in kinds.values()) == len(rows) / 2
