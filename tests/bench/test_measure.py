"""Freshness, traffic and percentile arithmetic of the bench, on small hand-made logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbdash.bench import measure
from mlbdash.ingest.monitor.windows import percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) is None


def test_a_version_never_fetched_counts_until_a_later_one_is_stored() -> None:
    # The server publishes versions at 100, 105 and 112; the client stored 100 at 103 and,
    # skipping 105, stored 112 at 118.
    published = {1: [100, 105, 112]}
    stored = {1: [(100.0, 103.0), (112.0, 118.0)]}
    lags, missed = measure.freshness(published, stored, 100.0, 200.0)
    assert sorted(lags) == [3.0, 6.0, 13.0]
    assert missed == 0


def test_versions_outside_the_window_are_left_out_and_unstored_ones_missed() -> None:
    published = {1: [90, 100, 150], 2: [120]}
    stored = {1: [(90.0, 91.0), (100.0, 104.0)]}
    lags, missed = measure.freshness(published, stored, 95.0, 160.0)
    assert lags == [4.0]
    assert missed == 2  # game 1 at 150 and game 2 at 120 were never stored
    summary = measure.lag_summary(lags, missed)
    assert summary["versions"] == 3
    assert summary["p99_s"] == 4.0


def test_a_later_version_stored_earlier_bounds_the_lag() -> None:
    # Back-filled: version 105 stored after 110 was; 105 is fresh as soon as 110 is stored.
    published = {1: [105, 110]}
    stored = {1: [(105.0, 130.0), (110.0, 112.0)]}
    lags, _ = measure.freshness(published, stored, 100.0, 200.0)
    assert sorted(lags) == [2.0, 7.0]


def test_common_way_log_traffic_and_versions(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    rows = [
        {"at": 10.0, "kind": "schedule", "game_pk": None, "status": 200, "wire": 500,
         "decoded": 4000, "timecode": None},
        {"at": 12.0, "kind": "feed", "game_pk": 7, "status": 200, "wire": 90000,
         "decoded": 700000, "timecode": "20250701_230000"},
        {"at": 13.0, "kind": "feed", "game_pk": 7, "error": "ReadTimeout"},
        {"at": 99.0, "kind": "feed", "game_pk": 7, "status": 200, "wire": 1, "decoded": 1,
         "timecode": "20250701_230100"},
    ]  # fmt: skip
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    read = measure.read_common_way_log(log)
    traffic = measure.common_way_traffic(read, 0.0, 50.0)
    assert traffic == measure.Traffic(requests=3, errors=1, bytes_wire=90500, bytes_decoded=704000)
    stored = measure.common_way_stored(read)
    assert [v for v, _ in stored[7]] == [1751410800.0, 1751410860.0]


@pytest.mark.parametrize("text", ["", "not json\n"])
def test_a_broken_log_line_is_an_error_not_a_silent_zero(tmp_path: Path, text: str) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text(text)
    if text:
        with pytest.raises(json.JSONDecodeError):
            measure.read_common_way_log(log)
    else:
        assert measure.read_common_way_log(log) == []
