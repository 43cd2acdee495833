"""A finished minute bucket as ``metric_rollups`` rows."""

from __future__ import annotations

from datetime import UTC, datetime

from mlbdash.ingest.monitor.windows import Bucket, format_labels, summarize
from mlbdash.ingest.store.metrics import RollupRow


def minute_label(start_s: int) -> str:
    """Epoch second of a minute's start -> ``2024-07-01T17:05Z``."""
    return datetime.fromtimestamp(start_s, UTC).strftime("%Y-%m-%dT%H:%MZ")


def rollup_rows(bucket: Bucket) -> list[RollupRow]:
    """Counters as (count, sum); sampled series with their min, max and percentiles."""
    minute = minute_label(bucket.start)
    rows = [
        RollupRow(minute, name, format_labels(pairs), round(value), sum=value)
        for (name, pairs), value in sorted(bucket.counters.items())
    ]
    for (name, pairs), sample in sorted(bucket.samples.items()):
        dist = summarize([sample])
        if dist is None:
            continue
        rows.append(
            RollupRow(
                minute,
                name,
                format_labels(pairs),
                dist.count,
                sum=dist.total,
                min=dist.low,
                max=dist.high,
                p50=dist.p50,
                p95=dist.p95,
                p99=dist.p99,
            )
        )
    return rows
