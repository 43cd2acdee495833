"""Running ``mlbdash replay serve`` in its own process (benchmarks: server and client on
separate cores), with the same options as the command line."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlbdash.errors import MlbdashError


@dataclass(frozen=True)
class ReplayProcess:
    base_url: str
    """What the server printed first: ``http://127.0.0.1:PORT/api``."""
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def clock_url(self) -> str:
        return self.base_url.removesuffix("/api") + "/replay/clock"


@contextmanager
def replay_subprocess(*args: str, stop_timeout: float = 15.0) -> Iterator[ReplayProcess]:
    """Start ``mlbdash replay serve ARGS...``; yield once it listens; SIGTERM it on exit.

    ``args`` are the command's flags, e.g. ``("--demo", "--speed", "600", "--clone", "300")``.
    A server that fails to start raises MlbdashError with its one-line message.
    """
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlbdash", "replay", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if not line.startswith("http"):
                process.wait(timeout=stop_timeout)
                errors.seek(0)
                message = errors.read().strip().splitlines() or ["no output"]
                raise MlbdashError(f"replay server did not start: {message[-1]}")
            yield ReplayProcess(line, process)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
