"""The database schema as a list of migrations keyed on ``PRAGMA user_version``.

``MIGRATIONS[i]`` brings a database from version ``i`` to ``i + 1``; each runs in its own
transaction together with the version bump, so a crash leaves the schema at a whole version.
Add a new step at the end; never edit a step that has shipped.
"""

from __future__ import annotations

# "MLBd" as a 32-bit integer: marks the file as mlbdash's, so we never migrate a stranger's
# database.
APPLICATION_ID = 0x4D4C4264

_V1: tuple[str, ...] = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    # One row per game: the latest known state, what the dashboard lists.
    """
    CREATE TABLE games (
        game_pk INTEGER PRIMARY KEY,
        game_type TEXT,
        season TEXT,
        away_team_id INTEGER,
        away_name TEXT,
        away_abbrev TEXT,
        home_team_id INTEGER,
        home_name TEXT,
        home_abbrev TEXT,
        venue TEXT,
        state TEXT,
        detailed_state TEXT,
        abstract_game_state TEXT,
        coded_game_state TEXT,
        status_code TEXT,
        status_reason TEXT,
        away_score INTEGER,
        home_score INTEGER,
        inning INTEGER,
        inning_half TEXT,
        outs INTEGER,
        last_timecode TEXT,
        versions INTEGER NOT NULL DEFAULT 0,
        polls INTEGER NOT NULL DEFAULT 0,
        full_updates INTEGER NOT NULL DEFAULT 0,
        diff_updates INTEGER NOT NULL DEFAULT 0,
        last_poll_at TEXT,
        last_success_at TEXT,
        final_stored INTEGER NOT NULL DEFAULT 0,
        final_stored_at TEXT,
        done INTEGER NOT NULL DEFAULT 0,
        recheck_at TEXT,
        updated_at TEXT
    )
    """,
    # A gamePk can sit on several league dates (postponed then made up, suspended then resumed).
    # official_date is the date the schedule lists the game under (dates[].date); the game's
    # own officialDate can differ (a postponed game's points at its makeup date).
    """
    CREATE TABLE schedule_games (
        game_pk INTEGER NOT NULL,
        official_date TEXT NOT NULL,
        game_date TEXT,
        game_type TEXT,
        game_number INTEGER,
        double_header TEXT,
        start_time_tbd INTEGER,
        status_code TEXT,
        coded_game_state TEXT,
        detailed_state TEXT,
        abstract_game_state TEXT,
        reason TEXT,
        game_official_date TEXT,
        reschedule_date TEXT,
        reschedule_game_date TEXT,
        rescheduled_from TEXT,
        rescheduled_from_date TEXT,
        rescheduled_to TEXT,
        resumed_from TEXT,
        resume_date TEXT,
        description TEXT,
        scheduled_innings INTEGER,
        seen_at TEXT,
        PRIMARY KEY (game_pk, official_date)
    )
    """,
    "CREATE INDEX schedule_games_by_date ON schedule_games (official_date)",
    """
    CREATE TABLE game_states (
        id INTEGER PRIMARY KEY,
        game_pk INTEGER NOT NULL,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        detailed_state TEXT,
        status_code TEXT,
        source TEXT NOT NULL CHECK (source IN ('schedule', 'feed'))
    )
    """,
    "CREATE INDEX game_states_by_game ON game_states (game_pk, id)",
    # Append-only log of every stored version; a diff row keeps the blocks that were applied.
    """
    CREATE TABLE feed_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        game_pk INTEGER NOT NULL,
        timecode TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'diff')),
        ops BLOB,
        stored_at TEXT NOT NULL,
        UNIQUE (game_pk, timecode),
        CHECK ((kind = 'diff') = (ops IS NOT NULL))
    )
    """,
    "CREATE INDEX feed_versions_by_game ON feed_versions (game_pk, id)",
    # Whole feeds (gzip of compact JSON); version_id orders them against the diff log.
    """
    CREATE TABLE feed_checkpoints (
        game_pk INTEGER NOT NULL,
        timecode TEXT NOT NULL,
        version_id INTEGER NOT NULL UNIQUE REFERENCES feed_versions (id),
        feed BLOB NOT NULL,
        json_bytes INTEGER NOT NULL,
        stored_at TEXT NOT NULL,
        PRIMARY KEY (game_pk, timecode)
    )
    """,
    "CREATE INDEX feed_checkpoints_by_game ON feed_checkpoints (game_pk, version_id)",
    """
    CREATE TABLE schedule_snapshots (
        id INTEGER PRIMARY KEY,
        fetched_at TEXT NOT NULL,
        query TEXT NOT NULL,
        body BLOB NOT NULL,
        sha256 TEXT NOT NULL
    )
    """,
    "CREATE INDEX schedule_snapshots_by_query ON schedule_snapshots (query, id)",
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        status INTEGER,
        latency_ms REAL,
        bytes_wire INTEGER,
        bytes_decoded INTEGER,
        cache_hit INTEGER NOT NULL DEFAULT 0,
        coalesced INTEGER NOT NULL DEFAULT 0,
        not_modified INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
        error TEXT
    )
    """,
    "CREATE INDEX requests_by_time ON requests (at)",
    """
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        game_pk INTEGER,
        official_date TEXT,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        category TEXT NOT NULL,
        timecode TEXT,
        path TEXT,
        expected TEXT,
        actual TEXT,
        message TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        occurrences INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'acknowledged', 'resolved', 'ignored')),
        correction TEXT,
        recheck_at TEXT
    )
    """,
    "CREATE INDEX findings_by_game ON findings (game_pk)",
    "CREATE INDEX findings_by_status ON findings (status, severity)",
    # One row per alert episode (pending -> firing -> resolved); history in alert_events.
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        key TEXT NOT NULL DEFAULT '',
        severity TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
        message TEXT,
        pending_since TEXT,
        fired_at TEXT,
        resolved_at TEXT,
        acknowledged_at TEXT,
        silenced_until TEXT
    )
    """,
    "CREATE INDEX alerts_by_rule ON alerts (rule, key, state)",
    """
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT
    )
    """,
    "CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id)",
    """
    CREATE TABLE metric_rollups (
        minute TEXT NOT NULL,
        name TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL,
        sum REAL,
        min REAL,
        max REAL,
        p50 REAL,
        p95 REAL,
        p99 REAL,
        PRIMARY KEY (minute, name, labels)
    )
    """,
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
)

# The version a finding was first seen on (``timecode`` moves on when it is seen again), for
# the game screen's time travel. A finding seen on one version only was first seen there.
_V2: tuple[str, ...] = (
    "ALTER TABLE findings ADD COLUMN first_timecode TEXT",
    "UPDATE findings SET first_timecode = timecode WHERE occurrences = 1",
    "CREATE INDEX findings_by_first_version ON findings (game_pk, first_timecode)",
)

# A game met mid-game is archived from the present first; the version it began at is kept, so
# the history before it is fetched in the background (across restarts) and, until it is all
# stored, the audit names it and the game is not complete.
_V3: tuple[str, ...] = ("ALTER TABLE games ADD COLUMN history_before TEXT",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)

# The schema version this mlbdash writes.
SCHEMA_VERSION = len(MIGRATIONS)
