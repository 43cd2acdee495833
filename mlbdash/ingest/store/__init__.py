"""The mlbdash database (SQLite through aiosqlite): games, feed versions, schedule, requests.

Findings, alerts and metric rollups have their tables here too; their repositories live next
to this module and run their statements through ``Store.transaction()`` / ``Store.read()``.
"""

from mlbdash.ingest.store.database import Store
from mlbdash.ingest.store.errors import StoreError
from mlbdash.ingest.store.feeds import AppendResult, VersionInfo, VersionKind
from mlbdash.ingest.store.games import GAME_FIELDS, GameRecord, StateChange
from mlbdash.ingest.store.requests import RequestBuffer
from mlbdash.ingest.store.schedule import Coverage, ScheduleEntry
from mlbdash.ingest.store.schema import SCHEMA_VERSION

__all__ = [
    "GAME_FIELDS",
    "SCHEMA_VERSION",
    "AppendResult",
    "Coverage",
    "GameRecord",
    "RequestBuffer",
    "ScheduleEntry",
    "StateChange",
    "Store",
    "StoreError",
    "VersionInfo",
    "VersionKind",
]
