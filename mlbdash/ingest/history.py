"""A game's history, one stored version at a time (the game screen's time travel).

Any stored version is rebuilt from the archive (the nearest checkpoint and the diffs after it),
with how it came (the diff's operations, or a whole feed), its linescore, count and current
play, and the findings first seen on it.
"""

from __future__ import annotations

from typing import Any

from mlbdash.errors import UsageError
from mlbdash.ingest.scheduler.views import finding_row
from mlbdash.ingest.store import Store
from mlbdash.ingest.views import VersionOp, VersionView
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.text import terminal_safe

VALUE_CHARS = 60


async def version_view(store: Store, game_pk: int, timecode: str) -> VersionView:
    """The version of ``game_pk`` stored under ``timecode``; UsageError if there is none."""
    versions = await store.list_versions(game_pk)
    number = next((i for i, v in enumerate(versions) if v.timecode == timecode), None)
    if number is None:
        raise UsageError(f"game {game_pk} has no stored version {timecode}")
    info = versions[number]
    feed = await store.load_version(game_pk, timecode)
    blocks = await store.version_blocks(game_pk, timecode) if info.kind == "diff" else None
    records = await store.findings_first_seen(game_pk, timecode)
    facts = version_facts(feed) if feed else None
    return VersionView(
        game_pk=game_pk,
        number=number + 1,
        count=len(versions),
        timecode=timecode,
        stored_at=info.stored_at,
        kind=info.kind,
        ops=tuple(_ops(blocks or [])),
        linescore=facts.linescore if facts else None,
        current_play=facts.current_play if facts else None,
        findings=tuple(finding_row(r) for r in records),
        feed=feed,
    )


def _ops(blocks: list[Any]) -> list[VersionOp]:
    ops: list[VersionOp] = []
    for block in blocks:
        for op in block.get("diff", []) if isinstance(block, dict) else []:
            if not isinstance(op, dict):
                continue
            name = str(op.get("op", "?"))
            if name in ("copy", "move"):
                value = f"from {op.get('from', '?')}"
            elif name == "remove":
                value = ""
            else:
                value = _short(op.get("value"))
            ops.append(
                VersionOp(name, terminal_safe(str(op.get("path", ""))), terminal_safe(value))
            )
    return ops


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} keys}}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"
