"""``mlbdash replay serve`` as a user runs it: a subprocess on loopback."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest
from replay_helpers import FIXTURES

from mlbdash.commands.replay import _is_loopback
from mlbdash.errors import MlbdashError
from mlbdash.replay import replay_subprocess


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlbdash", "replay", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_prints_its_url_first_and_stops_cleanly_on_sigterm() -> None:
    process = _serve("--data", str(FIXTURES), "--speed", "60", "--rebase-date", "2026-11-25")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        clock = httpx.get(url.removesuffix("/api") + "/replay/clock", timeout=10).json()
        assert clock["speed"] == 60.0
        schedule = httpx.get(f"{url}/v1/schedule", params={"date": "2026-11-25"}, timeout=10)
        assert schedule.json()["totalGames"] > 10, "every game moved onto the rebase date"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err


def test_sigint_exits_zero_too() -> None:
    process = _serve("--demo")
    assert process.stdout is not None
    assert process.stdout.readline().startswith("http://127.0.0.1:")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 0 and "Traceback" not in err


def test_bad_input_is_one_line_and_exit_2(tmp_path: object) -> None:
    for args, says in (
        (["--data", "/no/such/dir"], "--data /no/such/dir: not a directory"),
        (["--data", str(FIXTURES), "--faults", "boom=1"], "unknown fault 'boom'"),
        (["--data", str(FIXTURES), "--rebase-date", "tomorrow"], "--rebase-date"),
        (["--data", str(FIXTURES), "--speed", "0"], "--speed"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mlbdash", "replay", "serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, args
        assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""


def test_help_documents_the_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlbdash", "replay", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for word in ("latency=50ms", "429=0.02:retry-after=2", "outage=@00:40+90s", "drift"):
        assert word in result.stdout


def test_loopback_detection() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.5")


def test_replay_subprocess_helper_starts_and_stops_the_server() -> None:
    with replay_subprocess("--demo", "--clone", "5") as server:
        schedule = httpx.get(f"{server.base_url}/v1/schedule", params={"gamePk": 9000004})
        assert schedule.json()["totalGames"] == 1
        process = server.process
    assert process.returncode == 0


def test_replay_subprocess_helper_reports_a_failed_start() -> None:
    with pytest.raises(MlbdashError, match="not a directory"), replay_subprocess("--data", "/nope"):
        pass
