"""What the game screen says about the version time travel has selected.

``version 123 of 456  20261125_231502  stored 19:15:03 ET  diff: 7 operations``, then the
diff's first operations and the findings first seen on the version, in at most ``LINES``
lines (the panel's fixed height).
"""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text

from mlbdash.ingest.views import VersionMark, VersionView
from mlbdash.mlb.dates import LEAGUE_TIMEZONE
from mlbdash.ui import format as fmt

OPS_SHOWN = 3
LINES = 6
"""Always this many lines (header, operations, findings): a step never changes the layout."""


def travel_text(
    mark: VersionMark,
    index: int,
    count: int,
    version: VersionView | None,
    zone: tzinfo = LEAGUE_TIMEZONE,
) -> Text:
    """The selected version (``mark``, at ``index`` of ``count``); details once loaded."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"version {index + 1} of {count}", style="bold")
    text.append(f"  {mark.timecode}")
    stored = mark.stored_at.astimezone(zone)
    text.append(f"  stored {stored:%H:%M:%S} {stored:%Z}", style="dim")
    if version is None:
        text.append("  loading…", style="dim")
        return text
    if version.kind == "full":
        text.append("  whole feed", style="bold cyan")
    else:
        ops = len(version.ops)
        text.append(f"  diff: {ops} operation{'s' if ops != 1 else ''}", style="green")
    for op in version.ops[:OPS_SHOWN]:
        text.append("\n  ")
        text.append(f"{op.op:8}", style="dim")
        text.append(op.path)
        if op.value:
            text.append(f"  {op.value}", style="dim")
    if len(version.ops) > OPS_SHOWN:
        text.append(f"\n  … {len(version.ops) - OPS_SHOWN} more operations", style="dim")
    if version.findings:
        first = version.findings[0]
        text.append("\nfirst seen here: ", style="bold")
        text.append_text(fmt.severity(first.severity))
        text.append(f" {first.rule}: {first.message}")
        if len(version.findings) > 1:
            text.append(f" (+{len(version.findings) - 1} more)", style="dim")
    return text
