"""From logs and databases to figures: requests, bytes, freshness lag, validation time.

Freshness lag of a version v (virtual seconds): from v's timecode (the moment the server
publishes it) to the first moment the client had stored v or any later version of the game.
That counts a version a client never fetched (A only sees every 10th second's state) by when
its state was superseded, the same rule for A and B. Versions still unstored when the run
ends are counted as ``missed``.
"""

from __future__ import annotations

import bisect
import json
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlbdash.ingest.monitor.windows import percentile
from mlbdash.ingest.store import files as db_files
from mlbdash.mlb.timecode import parse_timecode


@dataclass(frozen=True, slots=True)
class Traffic:
    requests: int
    errors: int
    bytes_wire: int
    bytes_decoded: int


def _epoch(timecode: str) -> float | None:
    try:
        return parse_timecode(timecode).timestamp()
    except (ValueError, TypeError):
        return None


def freshness(
    published: Mapping[int, list[int]],
    stored: Mapping[int, list[tuple[float, float]]],
    start: float,
    end: float,
) -> tuple[list[float], int]:
    """Lags of every version published in [start, end) and how many were never stored.

    ``published``: per game, version instants. ``stored``: per game, (version instant,
    stored at) pairs, both virtual epoch seconds.
    """
    lags: list[float] = []
    missed = 0
    for game_pk, times in published.items():
        rows = sorted(stored.get(game_pk, []))
        keys = [version for version, _ in rows]
        # soonest[i]: earliest store time of version i or any later one.
        soonest = [0.0] * len(rows)
        best = float("inf")
        for i in range(len(rows) - 1, -1, -1):
            best = min(best, rows[i][1])
            soonest[i] = best
        for moment in times:
            if not start <= moment < end:
                continue
            i = bisect.bisect_left(keys, moment)
            if i == len(rows):
                missed += 1
                continue
            lags.append(max(0.0, soonest[i] - moment))
    return lags, missed


def lag_summary(lags: list[float], missed: int) -> dict[str, Any]:
    return {
        "versions": len(lags) + missed,
        "missed": missed,
        "p50_s": percentile(lags, 0.50),
        "p95_s": percentile(lags, 0.95),
        "p99_s": percentile(lags, 0.99),
        "max_s": max(lags) if lags else None,
    }


# -- client A: its own log ------------------------------------------------------------------


def read_common_way_log(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def common_way_traffic(rows: Iterable[dict[str, Any]], start: float, end: float) -> Traffic:
    picked = [r for r in rows if start <= r["at"] < end]
    return Traffic(
        requests=len(picked),
        errors=sum(1 for r in picked if "error" in r or r.get("status") != 200),
        bytes_wire=sum(int(r.get("wire") or 0) for r in picked),
        bytes_decoded=sum(int(r.get("decoded") or 0) for r in picked),
    )


def common_way_stored(rows: Iterable[dict[str, Any]]) -> dict[int, list[tuple[float, float]]]:
    out: dict[int, list[tuple[float, float]]] = {}
    for r in rows:
        if r.get("kind") != "feed" or not r.get("timecode") or r.get("game_pk") is None:
            continue
        version = _epoch(str(r["timecode"]))
        if version is not None:
            out.setdefault(int(r["game_pk"]), []).append((version, float(r["at"])))
    return out


# -- client B: the mlbdash database ----------------------------------------------------------


def _iso_epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def mlbdash_traffic(db: Path, start: float, end: float) -> Traffic:
    rows = db_files.request_rows(db)
    requests = errors = wire = decoded = 0
    for at, status, bytes_wire, bytes_decoded, cache_hit, coalesced, error in rows:
        if not start <= _iso_epoch(at) < end or cache_hit or coalesced:
            continue
        requests += 1
        errors += 1 if error or (status is not None and status >= 400) else 0
        wire += int(bytes_wire or 0)
        decoded += int(bytes_decoded or 0)
    return Traffic(requests, errors, wire, decoded)


def mlbdash_stored(db: Path) -> dict[int, list[tuple[float, float]]]:
    rows = db_files.version_stamps(db)
    out: dict[int, list[tuple[float, float]]] = {}
    for game_pk, timecode, stored_at in rows:
        version = _epoch(str(timecode))
        if version is not None:
            out.setdefault(int(game_pk), []).append((version, _iso_epoch(stored_at)))
    return out


def games_with_versions(db: Path) -> int:
    """How many games have at least one stored version (0 while the database is not there)."""
    return db_files.games_with_versions(db)


def validation_ms_per_update(
    db: Path, start: float, end: float, limit: int = 1500
) -> dict[str, Any]:
    """Time ``validate_feed`` as the pipeline calls it (previous version's summary in the
    context), in this process, on the versions B stored in [start, end)."""
    from mlbdash.ingest.store.codec import gunzip_json
    from mlbdash.ingest.validator.crossref import summarize_feed
    from mlbdash.ingest.validator.service import FeedContext, validate_feed
    from mlbdash.mlb.patch import apply_diff_blocks

    times: list[float] = []
    with db_files.read_only(db) as conn:
        for game_pk in db_files.stored_game_pks(conn):
            if len(times) >= limit:
                break
            doc: dict[str, Any] | None = None
            previous = None
            for timecode, kind, ops, checkpoint in db_files.version_chain(conn, game_pk):
                if checkpoint is not None:
                    doc = gunzip_json(checkpoint)
                elif kind == "diff" and doc is not None:
                    doc = apply_diff_blocks(doc, gunzip_json(ops))
                if doc is None:
                    continue
                moment = _epoch(str(timecode))
                if moment is not None and start <= moment < end and len(times) < limit:
                    context = FeedContext(previous=previous, full=kind == "full")
                    began = time.perf_counter()
                    validate_feed(doc, context=context)
                    times.append((time.perf_counter() - began) * 1000)
                previous = summarize_feed(doc)
    return {
        "updates_timed": len(times),
        "median_ms": statistics.median(times) if times else None,
        "p95_ms": percentile(times, 0.95),
        "source": "validate_feed timed in the bench process on the versions B stored "
        "(the ingest does not report its own validation time)",
    }
