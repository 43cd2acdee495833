"""Per-update cost of validation: ``python -m mlbdash.ingest.validator.bench FEED ...``.

For each feed file (.json or .json.gz) prints the median time of ``validate_feed`` as the
pipeline runs it on every stored version (with the previous version's summary), and of the
opt-in full model parse. Numbers only; nothing is stored.
"""

from __future__ import annotations

import functools
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mlbdash.ingest.validator.crossref import summarize_feed
from mlbdash.ingest.validator.service import FeedContext, validate_feed


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _load(path: Path) -> tuple[Any, int]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    compact = json.dumps(json.loads(raw), separators=(",", ":"))
    return json.loads(compact), len(compact)


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m mlbdash.ingest.validator.bench FEED.json[.gz] ...")
        return 2
    print(f"{'feed':<48} {'KB':>6} {'per update ms':>14} {'full parse ms':>14}")
    per_update: list[float] = []
    for path in paths:
        feed, size = _load(path)
        context = FeedContext(previous=summarize_feed(feed))
        fast = _median_ms(functools.partial(validate_feed, feed, context=context), 200)
        full_context = FeedContext(full=True)
        full = _median_ms(functools.partial(validate_feed, feed, context=full_context), 5)
        per_update.append(fast)
        print(f"{path.name:<48} {size // 1024:>6} {fast:>14.3f} {full:>14.1f}")
    print(
        f"median per update: {statistics.median(per_update):.3f} ms, max {max(per_update):.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
