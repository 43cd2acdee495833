"""How long ``mlbdash --help`` takes, from process start to exit (target: under 0.3 s).

Run ``python -m mlbdash.bench.help_time [RUNS]``: starts the installed console script RUNS
times (default 10) and prints the median and the slowest wall-clock time. A measurement, not a
test: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(runs: int = 10) -> list[float]:
    script = Path(sys.executable).with_name("mlbdash")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "mlbdash"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*command, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    times = measure(runs)
    print(
        f"mlbdash --help: median {statistics.median(times):.3f} s, "
        f"slowest {max(times):.3f} s over {runs} runs"
    )


if __name__ == "__main__":
    main()
