"""``mlbdash bench``: flags, and a short whole run over real processes (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbdash.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--minutes", "0"], "--minutes must be between 0 and 90"),
        (["--minutes", "200"], "--minutes must be between 0 and 90"),
        (["--speed", "-1"], "--speed must be between 0 and 100"),
        (["--scale-seconds", "0"], "--scale-seconds must be positive"),
        (["--whole-games", "--speed", "600"], "--speed must be between 0 and 120 with"),
        (["--whole-games", "--repeats", "0"], "--repeats must be between 1 and 20"),
    ],
)
def test_bad_flags_are_one_line_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["bench", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"mlbdash: {message}")
    assert err.count("\n") == 1


def test_a_bad_scale_list_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "--scale", "100,lots"])
    assert exited.value.code == 2
    assert "use numbers such as 100,300,1000" in capsys.readouterr().err


@pytest.mark.slow
def test_a_short_bench_runs_every_part_and_prints_one_json_object(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlbdash",
            "bench",
            "--json",
            "--minutes",
            "1",
            # Speed 20 (default 10) halves the comparison's real time; B still keeps up (p99
            # freshness well under a second, every version seen, bytes ratio ~0.05 measured).
            "--speed",
            "20",
            "--scale",
            "12",
            "--scale-seconds",
            "4",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["failed"] == []
    compare = result["compare"]
    assert compare["window"]["live_games"] == 15
    a, b = compare["a"], compare["b"]
    # A fetched whole feeds, B patches: both saw every version of the window.
    assert a["requests"] > 0 and b["requests"] > 0
    assert a["freshness"]["versions"] == b["freshness"]["versions"] > 0
    assert b["freshness"]["missed"] == 0
    assert compare["ratio_b_over_a"]["bytes_wire"] < 0.2
    assert b["validation"]["updates_timed"] > 0
    [scale] = result["scale"]
    assert scale["live_games"] == 12
    assert scale["cpu_s"] is not None and scale["peak_rss_bytes"] > 0
    assert {t["target"].split(" ")[0] for t in result["targets"]} == {"bytes", "freshness"}
    # Both clients logged; the replay server ran as its own process.
    assert (tmp_path / "common_way.jsonl").stat().st_size > 0
    assert (tmp_path / "scale-12" / "b.sqlite3").is_file()
