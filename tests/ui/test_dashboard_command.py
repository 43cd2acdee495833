"""``mlbdash`` with no subcommand: flags, one-line errors, and the demo in a real terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import struct
import sys
import time
from pathlib import Path

import pytest

from mlbdash import cli

SCRIPT = Path(sys.executable).with_name("mlbdash")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--speed", "5"], "--speed only applies with --demo"),
        (["--demo", "--speed", "0"], "--speed must be positive"),
        (["--demo", "--api-url", "http://127.0.0.1:1/api"], "--demo serves its own API"),
        (["--date", "2024-13-01"], "--date '2024-13-01': use YYYY-MM-DD"),
        (["--demo"], "the dashboard needs a terminal"),
    ],
)
def test_bad_dashboard_flags_are_one_line_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mlbdash: {message}")
    assert err.count("\n") == 1


def test_dashboard_flags_are_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for flag in ("--demo", "--speed N", "--api-url URL", "--db PATH", "--date", "--config PATH"):
        assert flag in out


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    seen = b""
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_demo_runs_in_a_terminal_and_q_quits(tmp_path: Path) -> None:
    """The real thing: replay server, runtime and dashboard in a pseudo-terminal."""
    db = tmp_path / "demo.sqlite3"
    pid, fd = pty.fork()
    if pid == 0:  # the child: become mlbdash
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.execve(str(SCRIPT), [str(SCRIPT), "--demo", "--speed", "20", "--db", str(db)], env)
    try:
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        screen = _read_until(fd, b" live ", time.monotonic() + 60)
        assert b" live " in screen, screen[-2000:]
        assert b"Games" in screen and b"Rate limit" in screen
        os.write(fd, b"q")
        _read_until(fd, b"\x00never", time.monotonic() + 30)
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert db.exists(), "--db keeps the demo's database"
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
