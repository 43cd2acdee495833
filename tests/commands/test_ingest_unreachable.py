"""``mlbdash ingest --until-done`` against an API that refuses every connection.

Port 9 (discard) on the loopback: nothing listens, so every connection is refused at once, as a
real unreachable API would be; the run must name the cause and give up after
``--give-up-after`` seconds with exit 1, coverage unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlbdash.cli import main

REFUSING = "http://127.0.0.1:9/api"


def test_until_done_gives_up_naming_the_cause(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MLBDASH_RETRY_ATTEMPTS", "1")
    code = main(
        [
            "ingest",
            "--date",
            "2024-08-13",
            "--until-done",
            "--give-up-after",
            "1",
            "--json",
            "--api-url",
            REFUSING,
            "--db",
            str(tmp_path / "db.sqlite3"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    summary = json.loads(captured.out)
    assert summary["stop_reason"] == "gave_up"
    assert summary["gave_up"].startswith("no successful request for ")
    assert summary["gave_up"].endswith(": connection refused by 127.0.0.1:9")
    assert summary["coverage"] is None  # the schedule was never read: unknown, not 100%
    assert summary["coverage_by_date"]["2024-08-13"]["coverage"] is None
    assert summary["coverage_by_date"]["2024-08-13"]["schedule_read"] is False
    assert summary["complete"] is False
    err = captured.err.splitlines()
    assert err[-1].startswith("mlbdash: gave up: no successful request for ")
    progress = [line for line in err if "| requests " in line]
    assert progress, captured.err
    assert "schedule not read yet" in progress[-1]
    assert "coverage -" in progress[-1]
    assert "schedule 2024-08-13 never read: connection refused by 127.0.0.1:9" in progress[-1]
    assert "Traceback" not in captured.err
