"""Child processes of a bench: started with their output in files, sampled for CPU and memory.

CPU seconds and RSS come from psutil every ``SAMPLE_EVERY_S`` real seconds while a child runs
(so a window's CPU is the difference of two samples), and the totals from ``os.wait4`` when it
is reaped (exact user + system time and peak RSS of the whole life of the process).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from mlbdash.mlb.clock import Clock

SAMPLE_EVERY_S = 0.25


@dataclass(frozen=True, slots=True)
class Sample:
    virtual: float
    """Virtual epoch seconds when sampled."""
    cpu_s: float
    rss: int


@dataclass
class Child:
    """One child process; ``samples`` grow while ``sample`` is called."""

    name: str
    popen: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    samples: list[Sample] = field(default_factory=list)
    exit_code: int | None = None
    cpu_total_s: float | None = None
    peak_rss: int | None = None
    _ps: psutil.Process | None = None

    @property
    def running(self) -> bool:
        return self.exit_code is None

    def sample(self, clock: Clock) -> None:
        if self.exit_code is not None:
            return
        try:
            if self._ps is None:
                self._ps = psutil.Process(self.popen.pid)
            times = self._ps.cpu_times()
            rss = int(self._ps.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return
        self.samples.append(Sample(clock.now().timestamp(), times.user + times.system, rss))

    def reap(self) -> bool:
        """Collect the exit status and exact totals if the process has ended."""
        if self.exit_code is not None:
            return True
        pid, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
        if pid == 0:
            return False
        self._finish(status, usage)
        return True

    def _finish(self, status: int, usage: resource.struct_rusage) -> None:
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.popen.returncode = self.exit_code
        self.cpu_total_s = usage.ru_utime + usage.ru_stime
        # ru_maxrss is in kilobytes on Linux.
        self.peak_rss = int(usage.ru_maxrss) * 1024

    def signal(self, signum: int) -> None:
        if self.exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signum)

    async def wait(self, timeout_s: float) -> bool:
        """Wait (real seconds) for the process to end; False if it is still running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self.reap():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it does not end in time."""
        if self.exit_code is not None:
            return
        self.signal(signal.SIGTERM)
        if not await self.wait(timeout_s):
            self.signal(signal.SIGKILL)
            await self.wait(timeout_s)

    def cpu_between(self, start: float, end: float) -> float | None:
        """CPU seconds spent between two virtual instants (interpolated between samples)."""
        a, b = self._cpu_at(start), self._cpu_at(end)
        return None if a is None or b is None else max(0.0, b - a)

    def _cpu_at(self, moment: float) -> float | None:
        samples = self.samples
        if not samples or moment < samples[0].virtual or moment > samples[-1].virtual:
            return None
        times = [s.virtual for s in samples]
        i = bisect.bisect_left(times, moment)
        if samples[i].virtual == moment or i == 0:
            return samples[i].cpu_s
        lo, hi = samples[i - 1], samples[i]
        share = (moment - lo.virtual) / (hi.virtual - lo.virtual)
        return lo.cpu_s + share * (hi.cpu_s - lo.cpu_s)

    def rss_peak_between(self, start: float, end: float) -> int | None:
        values = [s.rss for s in self.samples if start <= s.virtual <= end]
        return max(values) if values else None

    def stderr_text(self) -> str:
        try:
            return self.stderr.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def start_child(
    name: str,
    module_args: list[str],
    workdir: Path,
    env: dict[str, str] | None = None,
) -> Child:
    """Run ``python -m MODULE_ARGS...`` with stdout and stderr in files under ``workdir``."""
    stdout, stderr = workdir / f"{name}.out", workdir / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        popen = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
    return Child(name, popen, stdout, stderr)


async def first_line(child: Child, timeout_s: float = 60.0) -> str | None:
    """The first line the child writes to stdout, or None if it ends or times out first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        text = child.stdout.read_text(encoding="utf-8", errors="replace")
        if "\n" in text:
            return text.split("\n", 1)[0].strip()
        if child.reap():
            return None
        await asyncio.sleep(0.05)
    return None


def isolated_env(workdir: Path) -> dict[str, str]:
    """Environment for an ingest child: no user config file, data under ``workdir``."""
    return {
        "MLBDASH_CONFIG": str(workdir / "no-config.toml"),
        "MLBDASH_DATA_DIR": str(workdir / "data"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
