"""The bench table: every figure of the result shows, and a missed target says MISS."""

from __future__ import annotations

import io
from typing import Any

from mlbdash.bench.report import write_table


def client(requests: int, wire: float, p99: float, cpu: float) -> dict[str, Any]:
    return {
        "requests": requests,
        "requests_per_game_hour": requests / 2,
        "bytes_wire_per_game_hour": wire,
        "bytes_decoded_per_game_hour": wire * 6,
        "freshness": {"p50_s": 5.0, "p95_s": 9.5, "p99_s": p99, "missed": 0},
        "cpu_s": cpu,
        "cpu_s_per_game_hour": cpu / 2,
        "peak_rss_bytes": 80_000_000,
        "validation": {"median_ms": 0.144, "source": "timed in the bench process"},
    }


def test_table_shows_both_clients_ratios_scale_and_targets() -> None:
    result: dict[str, Any] = {
        "compare": {
            "window": {
                "virtual_start": "2025-07-01T19:02:45-04:00",
                "virtual_end": "2025-07-01T19:12:45-04:00",
                "minutes": 10.0,
                "speed": 10.0,
                "live_games": 15,
                "live_game_hours": 2.5,
                "b_request_budget_per_real_s": 50.0,
            },
            "a": client(900, 8_000_000, 9.9, 6.0),
            "b": client(880, 170_000, 11.3, 5.0),
            "ratio_b_over_a": {
                "requests": 880 / 900,
                "bytes_wire": 0.021,
                "bytes_decoded": 0.015,
                "cpu_s": 5 / 6,
                "peak_rss_bytes": 1.0,
                "freshness_p50_s": 1.0,
                "freshness_p95_s": 1.0,
                "freshness_p99_s": 11.3 / 9.9,
            },
        },
        "scale": [
            {
                "games": 1000,
                "live_games": 1000,
                "speed": 1.0,
                "window_s": 60.0,
                "warm_up_s": 89.0,
                "warm_up_complete": False,
                "request_budget_per_s": 150.0,
                "freshness": {"p99_s": 62.1},
                "freshness_holds": False,
                "cores_at_real_speed": 0.86,
                "cpu_s_per_game_hour": 3.1,
                "peak_rss_bytes": 313_000_000,
                "rss_bytes_per_game": 313_000,
            }
        ],
        "targets": [
            {
                "target": "bytes on the wire at most 1/40 of A",
                "value": 0.021,
                "limit": 0.025,
                "pass": True,
            },
            {
                "target": "1000 live games with the ingest under one core",
                "value": 0.86,
                "limit": 1.0,
                "pass": False,
            },
        ],
        "failed": [],
        "real_seconds": 512.0,
    }
    out = io.StringIO()
    write_table(result, out)
    text = out.getvalue()
    assert "15 live games, 2.50 live game-hours" in text
    assert "wire bytes / game-hour" in text and "8.00 MB" in text and "0.17 MB" in text
    assert "freshness p99 (virtual s)" in text and "11.3" in text
    assert "  1000     62.1     no   0.86" in text
    assert "    89s*    150/s" in text
    assert "PASS  bytes on the wire at most 1/40 of A: 0.021" in text
    assert "MISS  1000 live games with the ingest under one core: 0.860" in text
    assert "bench took 512 real seconds" in text
