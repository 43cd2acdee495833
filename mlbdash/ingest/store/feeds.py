"""Feed versions: an append-only log per game plus whole-feed checkpoints to rebuild from.

Any stored version is the latest checkpoint at or before it (in log order) with the later
diff versions' blocks applied in order. A checkpoint is written for every full version, for
the first version of a game, for every Final version, and once ``checkpoint_every`` diff
versions have piled up since the last one, so a rebuild applies fewer than that many diffs.
"""

from __future__ import annotations

import asyncio
import bisect
import gzip
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from mlbdash.ingest.store.codec import compact_json, gunzip_json, gzip_bytes, iso
from mlbdash.ingest.store.errors import StoreError
from mlbdash.mlb.status import abstract_final as says_final

VersionKind = Literal["full", "diff"]

CHECKPOINT_EVERY = 128
"""The default ``checkpoint_every``. Encoding a whole feed costs 10-20 ms late in a game
(compact JSON and gzip of 400-800 KB), a diff version well under a millisecond: at one
checkpoint per 128 diffs under 1% of diff versions pay for one (about 0.1 ms a version on
average; it was 0.7 at every 25), an archive holds half the bytes, and a rebuild applies at
most 127 small diffs after the checkpoint it decodes (tens of milliseconds)."""


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One row of the version log (without its payload)."""

    id: int
    game_pk: int
    timecode: str
    kind: VersionKind
    stored_at: datetime
    checkpoint: bool


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What ``append_version`` did: ``version_id`` is None when the version was already stored."""

    version_id: int | None
    checkpoint: bool


def abstract_final(feed: dict[str, Any]) -> bool:
    """The feed says ``abstractGameState: Final`` (postponed and cancelled games too)."""
    status = feed.get("gameData", {}).get("status", {})
    return isinstance(status, dict) and says_final(status.get("abstractGameState"))


def append_version(
    conn: sqlite3.Connection,
    *,
    game_pk: int,
    timecode: str,
    kind: VersionKind,
    feed: dict[str, Any],
    ops: Sequence[Any] | None,
    now: datetime,
    checkpoint_every: int,
    level: int,
) -> AppendResult:
    """Append one version inside the caller's transaction; a repeated timecode is a no-op.

    Runs on the connection's own thread (``Store.store_version`` hands the whole transaction
    over at once): a thread hand-off per statement cost more than the statements themselves.
    """
    if kind not in ("full", "diff"):
        raise ValueError(f"kind must be 'full' or 'diff', not {kind!r}")
    if (kind == "diff") != (ops is not None):
        raise ValueError("ops are given for 'diff' versions and only for them")
    ops_blob = None if ops is None else gzip_bytes(compact_json(list(ops)), level)
    stamp = iso(now)
    cursor = conn.execute(
        "INSERT INTO feed_versions (game_pk, timecode, kind, ops, stored_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (game_pk, timecode) DO NOTHING",
        (game_pk, timecode, kind, ops_blob, stamp),
    )
    inserted, version_id = cursor.rowcount, cursor.lastrowid
    cursor.close()
    if inserted == 0:
        return AppendResult(None, checkpoint=False)
    assert version_id is not None
    due = kind == "full" or abstract_final(feed)
    if not due:
        due = _diffs_since_checkpoint(conn, game_pk) >= checkpoint_every
    if not due:
        # A diff's ops apply to the version just before it in time among those stored (the
        # newest for a live diff, the one before for a backfilled piece of history); when the
        # version just before it in the log is another (one filled in late, a live version
        # stored amid a backfill), a rebuild in log order would apply them to the wrong feed,
        # so this version gets its own checkpoint.
        due = _base_is_not_before_it(conn, game_pk, version_id, timecode)
    if due:
        # ~20-30 ms for a 700 KB feed, on the connection's thread: the event loop goes on.
        # The caller awaits us, so the feed dict is not patched meanwhile.
        raw, blob = _encode_checkpoint(feed, level)
        conn.execute(
            "INSERT INTO feed_checkpoints "
            "(game_pk, timecode, version_id, feed, json_bytes, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (game_pk, timecode, version_id, blob, len(raw), stamp),
        ).close()
    return AppendResult(version_id, checkpoint=due)


async def replace_version(
    conn: aiosqlite.Connection,
    *,
    game_pk: int,
    timecode: str,
    feed: dict[str, Any],
    now: datetime,
    level: int,
) -> VersionKind | None:
    """Make a stored version a whole one holding ``feed``, inside the caller's transaction:
    its row becomes 'full' and its checkpoint is ``feed``, so it and the diffs after it
    rebuild from the right content. The kind it had, or None when it is not stored."""
    cursor = await conn.execute(
        "SELECT id, kind FROM feed_versions WHERE game_pk = ? AND timecode = ?",
        (game_pk, timecode),
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        return None
    version_id, kind = int(row[0]), str(row[1])
    await conn.execute(
        "UPDATE feed_versions SET kind = 'full', ops = NULL WHERE id = ?", (version_id,)
    )
    raw, blob = await asyncio.to_thread(_encode_checkpoint, feed, level)
    await conn.execute(
        "INSERT INTO feed_checkpoints (game_pk, timecode, version_id, feed, json_bytes, stored_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (game_pk, timecode) DO UPDATE SET "
        "feed = excluded.feed, json_bytes = excluded.json_bytes, stored_at = excluded.stored_at",
        (game_pk, timecode, version_id, blob, len(raw), iso(now)),
    )
    return "full" if kind == "full" else "diff"


def _base_is_not_before_it(
    conn: sqlite3.Connection, game_pk: int, version_id: int, timecode: str
) -> bool:
    row = _one(
        conn,
        "SELECT (SELECT timecode FROM feed_versions WHERE game_pk = ?1 AND id < ?2 "
        "ORDER BY id DESC LIMIT 1), "
        "(SELECT MAX(timecode) FROM feed_versions WHERE game_pk = ?1 AND id < ?2 "
        "AND timecode < ?3)",
        (game_pk, version_id, timecode),
    )
    return row is not None and row[0] != row[1]


def _encode_checkpoint(feed: dict[str, Any], level: int) -> tuple[bytes, bytes]:
    raw = compact_json(feed)
    return raw, gzip_bytes(raw, level)


def _diffs_since_checkpoint(conn: sqlite3.Connection, game_pk: int) -> int:
    """Versions logged after the game's latest checkpoint; a large number when there is none."""
    row = _one(
        conn,
        """
        SELECT last.version_id,
               (SELECT COUNT(*) FROM feed_versions
                WHERE game_pk = ?1 AND id > COALESCE(last.version_id, -1))
        FROM (SELECT MAX(version_id) AS version_id FROM feed_checkpoints WHERE game_pk = ?1) AS last
        """,
        (game_pk,),
    )
    if row is None or row[0] is None:
        return 1 << 30
    return int(row[1])


def _one(conn: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> Any:
    cursor = conn.execute(sql, args)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


@dataclass(frozen=True, slots=True)
class _RebuildPlan:
    """The compressed payloads needed to rebuild one version, read in one read transaction."""

    version_id: int
    timecode: str
    checkpoint: bytes
    diffs: list[bytes]


async def plan_rebuild(
    conn: aiosqlite.Connection, game_pk: int, timecode: str | None
) -> _RebuildPlan | None:
    """Fetch the checkpoint and diff blobs for a version (the latest when timecode is None)."""
    if timecode is None:
        # The newest version is the one with the latest timecode: a version filled in late
        # is logged after newer ones.
        sql = (
            "SELECT id, timecode FROM feed_versions WHERE game_pk = ? "
            "ORDER BY timecode DESC, id DESC LIMIT 1"
        )
        args: tuple[object, ...] = (game_pk,)
    else:
        sql = "SELECT id, timecode FROM feed_versions WHERE game_pk = ? AND timecode = ?"
        args = (game_pk, timecode)
    cursor = await conn.execute(sql, args)
    target = await cursor.fetchone()
    await cursor.close()
    if target is None:
        return None
    version_id, found_timecode = int(target[0]), str(target[1])
    cursor = await conn.execute(
        "SELECT version_id, feed FROM feed_checkpoints WHERE game_pk = ? AND version_id <= ? "
        "ORDER BY version_id DESC LIMIT 1",
        (game_pk, version_id),
    )
    base = await cursor.fetchone()
    await cursor.close()
    if base is None:
        raise StoreError(f"game {game_pk} version {found_timecode}: no checkpoint to rebuild from")
    cursor = await conn.execute(
        "SELECT kind, ops, timecode FROM feed_versions WHERE game_pk = ? AND id > ? AND id <= ? "
        "ORDER BY id",
        (game_pk, base[0], version_id),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    diffs: list[bytes] = []
    for kind, ops, row_timecode in rows:
        if kind != "diff" or ops is None:
            raise StoreError(
                f"game {game_pk} version {row_timecode}: full version without its checkpoint"
            )
        diffs.append(bytes(ops))
    return _RebuildPlan(version_id, found_timecode, bytes(base[1]), diffs)


def rebuild(game_pk: int, plan: _RebuildPlan) -> dict[str, Any]:
    """Decompress the checkpoint and apply the diffs (CPU only; run it outside the store lock)."""
    # Imported here so opening a store does not pay for the patch module until a rebuild.
    from mlbdash.mlb.patch import PatchError, apply_diff_blocks

    loaded = gunzip_json(plan.checkpoint)
    if not isinstance(loaded, dict):
        raise StoreError(f"game {game_pk}: stored checkpoint is not a feed object")
    doc: dict[str, Any] = loaded
    for blob in plan.diffs:
        try:
            doc = apply_diff_blocks(doc, gunzip_json(blob))
        except PatchError as exc:
            raise StoreError(
                f"game {game_pk} version {plan.timecode}: stored diff does not apply ({exc})"
            ) from exc
    return doc


async def list_versions(conn: aiosqlite.Connection, game_pk: int) -> list[VersionInfo]:
    """A game's versions in time order (a version filled in late, or a game's history
    fetched after the present, sits where it belongs; ``id`` is the log order)."""
    cursor = await conn.execute(
        """
        SELECT v.id, v.game_pk, v.timecode, v.kind, v.stored_at, c.version_id IS NOT NULL
        FROM feed_versions v LEFT JOIN feed_checkpoints c ON c.version_id = v.id
        WHERE v.game_pk = ? ORDER BY v.timecode, v.id
        """,
        (game_pk,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [
        VersionInfo(
            id=int(r[0]),
            game_pk=int(r[1]),
            timecode=str(r[2]),
            kind="full" if r[3] == "full" else "diff",
            stored_at=datetime.fromisoformat(r[4]),
            checkpoint=bool(r[5]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class VersionPayload:
    """One stored version with what defines it, in log order.

    A 'full' version carries its whole feed (``feed``, compact JSON as stored); a 'diff'
    version the diffPatch blocks that led to it from the version before (``blocks``).
    """

    timecode: str
    kind: VersionKind
    feed: bytes | None
    blocks: list[Any] | None


async def version_payload_rows(
    conn: aiosqlite.Connection, game_pk: int
) -> list[tuple[str, str, bytes | None, bytes | None]]:
    """(timecode, kind, ops blob, checkpoint blob of a full version) per version, in timecode
    order: a version filled in late (always whole) sits where it belongs, and each diff follows
    the version its blocks were made on."""
    cursor = await conn.execute(
        """
        SELECT v.timecode, v.kind, v.ops, c.feed
        FROM feed_versions v
        LEFT JOIN feed_checkpoints c ON c.version_id = v.id AND v.kind = 'full'
        WHERE v.game_pk = ? ORDER BY v.timecode, v.id
        """,
        (game_pk,),
    )
    return await _version_blobs(cursor)


async def _version_blobs(
    cursor: aiosqlite.Cursor,
) -> list[tuple[str, str, bytes | None, bytes | None]]:
    """The (timecode, kind, ops blob, checkpoint blob) rows a version query selected."""
    rows = await cursor.fetchall()
    await cursor.close()
    return [
        (
            str(r[0]),
            str(r[1]),
            None if r[2] is None else bytes(r[2]),
            None if r[3] is None else bytes(r[3]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class LoggedVersion:
    """One stored version as the audit sees it: rebuilt in log order from the blobs."""

    timecode: str
    kind: VersionKind
    final: bool  # the rebuilt feed says abstractGameState Final
    problem: str | None  # why it does not rebuild to itself; None when it does
    # A diff with no checkpoint of its own logged right after a version that is not the one
    # before it in time: its ops were made for another base than the one a rebuild uses.
    out_of_order: bool = False


async def read_version_log(
    conn: aiosqlite.Connection, game_pk: int
) -> list[tuple[str, str, bytes | None, bytes | None]]:
    """(timecode, kind, ops blob, checkpoint blob) of every stored version, in log order."""
    cursor = await conn.execute(
        "SELECT v.timecode, v.kind, v.ops, c.feed FROM feed_versions v "
        "LEFT JOIN feed_checkpoints c ON c.version_id = v.id "
        "WHERE v.game_pk = ? ORDER BY v.id",
        (game_pk,),
    )
    return await _version_blobs(cursor)


def decode_payloads(
    game_pk: int, rows: Sequence[tuple[str, str, bytes | None, bytes | None]]
) -> list[VersionPayload]:
    """Decompress what ``version_payload_rows`` read (CPU only; run it outside the store lock)."""
    out: list[VersionPayload] = []
    for timecode, kind, ops, checkpoint in rows:
        if kind == "full":
            if checkpoint is None:
                raise StoreError(
                    f"game {game_pk} version {timecode}: full version without its checkpoint"
                )
            out.append(VersionPayload(timecode, "full", gzip.decompress(checkpoint), None))
        else:
            if ops is None:
                raise StoreError(f"game {game_pk} version {timecode}: diff version without ops")
            blocks = gunzip_json(ops)
            if not isinstance(blocks, list):
                raise StoreError(f"game {game_pk} version {timecode}: stored ops are not a list")
            out.append(VersionPayload(timecode, "diff", None, blocks))
    return out


async def version_blocks(conn: aiosqlite.Connection, game_pk: int, timecode: str) -> bytes | None:
    """The compressed diff blocks a version was stored with (None for a whole feed)."""
    cursor = await conn.execute(
        "SELECT ops FROM feed_versions WHERE game_pk = ? AND timecode = ?", (game_pk, timecode)
    )
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None or row[0] is None else bytes(row[0])


def walk_version_log(
    rows: list[tuple[str, str, bytes | None, bytes | None]],
) -> list[LoggedVersion]:
    """Rebuild every version in log order (CPU only), as ``plan_rebuild`` does: each
    checkpoint as stored, each other diff on the version logged just before it; a version
    whose rebuilt feed does not carry its own timecode, or that cannot be rebuilt at all, has
    a ``problem``. A diff's base is the version before it in time among those logged before
    it: the newest for a live diff, the one before for a backfilled piece of a game's history
    (logged after newer versions, in order among themselves)."""
    from mlbdash.mlb.patch import PatchError, apply_diff_blocks

    out: list[LoggedVersion] = []
    doc: Any = None  # the version logged just before, rebuilt
    previous: str | None = None
    logged: list[str] = []  # timecodes logged so far, sorted
    for timecode, kind, ops, checkpoint in rows:
        problem: str | None = None
        at = bisect.bisect_left(logged, timecode)
        base = logged[at - 1] if at else None
        disordered = kind == "diff" and checkpoint is None and previous not in (None, base)
        try:
            if checkpoint is not None:
                doc = gunzip_json(checkpoint)
            elif kind == "diff" and ops is not None and isinstance(doc, dict):
                doc = apply_diff_blocks(doc, gunzip_json(ops))
            elif kind == "diff":
                problem, doc = "a diff with no feed before it", None
            else:
                problem, doc = "a whole version without its checkpoint", None
        except (PatchError, OSError, ValueError) as exc:
            problem, doc = f"does not rebuild ({exc})", None
        if problem is None and not isinstance(doc, dict):
            problem, doc = "rebuilds to something that is not a feed", None
        if problem is None and isinstance(doc, dict):
            meta = doc.get("metaData")
            stamp = meta.get("timeStamp") if isinstance(meta, dict) else None
            if stamp != timecode:
                problem = f"rebuilds to timeStamp {stamp}"
        final = isinstance(doc, dict) and abstract_final(doc)
        version_kind: VersionKind = "diff" if kind == "diff" else "full"
        out.append(LoggedVersion(timecode, version_kind, final, problem, disordered))
        logged.insert(at, timecode)
        previous = timecode
    return out
