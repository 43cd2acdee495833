"""The runtime: wires the API client, scheduler, store, validator and monitor into one pipeline.

Use it as ``async with Runtime(settings) as rt: summary = await rt.run(until_done=True)``.
The class is built in layers, one module each: ``base`` (shared state and the event fan-out),
``versions`` (feed polls, storing and validating versions, the merge check), ``schedule``
(schedule reads and the driver's jobs), ``core`` (lifecycle, the long-lived loops and the
dashboard's calls) and ``summary`` (the run's summary).
"""

from mlbdash.ingest.runtime.base import (
    CROSSREF_RULES,
    FINDINGS_REFRESH_S,
    FOLLOW_CHECK_S,
    HEARTBEAT_S,
    LATE_REAL_S,
    MERGE_CHECK_RATE,
    MONITOR_MIN_TICK_S,
    REQUEST_FLUSH_MAX,
    REQUEST_FLUSH_S,
)
from mlbdash.ingest.runtime.core import Runtime

__all__ = [
    "CROSSREF_RULES",
    "FINDINGS_REFRESH_S",
    "FOLLOW_CHECK_S",
    "HEARTBEAT_S",
    "LATE_REAL_S",
    "MERGE_CHECK_RATE",
    "MONITOR_MIN_TICK_S",
    "REQUEST_FLUSH_MAX",
    "REQUEST_FLUSH_S",
    "Runtime",
]
