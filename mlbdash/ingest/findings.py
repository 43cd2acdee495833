"""What a validation rule reports: the Finding, its fingerprint, and the rule registry.

The findings contract: it sits below both the validator (which raises findings) and the
store (which records them), so neither imports the other for it.

A finding names one disagreement in one place of one game (or one response): the rule that
saw it, how bad it is, a JSON path into the raw response and the expected and actual values.
The same disagreement seen on the next version of the game has the same fingerprint, so the
store updates one row instead of adding another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from mlbdash.mlb.text import terminal_safe, terminal_safe_or_none

Severity = Literal["error", "warning", "info"]
Category = Literal["schema", "consistency", "cross-reference", "freshness", "drift"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
CATEGORIES: tuple[Category, ...] = (
    "schema",
    "consistency",
    "cross-reference",
    "freshness",
    "drift",
)


def severity_rank(severity: str) -> int:
    """0 for error, 1 for warning, 2 for info (sort key: worst first)."""
    return _RANK.get(severity, len(SEVERITIES))


def as_text(value: Any) -> str | None:
    """Expected/actual values as the text stored and shown (JSON for anything but str)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(rule: str, game_pk: int | None, path: str) -> str:
    """Identity of a finding across versions: rule, game and where, not the values seen.

    Values are left out on purpose: a runs total that is off by one on this version and by
    two on the next is still the same problem, so it stays one row with two occurrences.
    """
    key = f"{rule}\x1f{'' if game_pk is None else game_pk}\x1f{path}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    category: Category
    game_pk: int | None
    timecode: str | None  # metaData.timeStamp of the version it was seen on
    path: str  # JSON pointer into the raw response, e.g. /liveData/linescore/teams/home/runs
    expected: str | None
    actual: str | None
    message: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.game_pk, self.path)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `mlbdash validate --json` prints."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "category": self.category,
            "path": self.path,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """A check with a stable id; the id is what findings, the store and exports refer to."""

    id: str
    severity: Severity
    category: Category
    explanation: str  # one line: what must hold

    def finding(
        self,
        *,
        game_pk: int | None,
        timecode: str | None,
        path: str,
        expected: Any,
        actual: Any,
        message: str,
    ) -> Finding:
        # Rules read the raw response, so its strings (a drifted key in the path, a status in
        # the message) become terminal-safe here, where a finding is made.
        return Finding(
            rule=self.id,
            severity=self.severity,
            category=self.category,
            game_pk=game_pk,
            timecode=terminal_safe_or_none(timecode),
            path=terminal_safe(path),
            expected=terminal_safe_or_none(as_text(expected)),
            actual=terminal_safe_or_none(as_text(actual)),
            message=terminal_safe(message),
        )


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Grouped by game, then rule, then path: the order `mlbdash validate` prints."""
    return sorted(
        findings,
        key=lambda f: (
            -1 if f.game_pk is None else f.game_pk,
            severity_rank(f.severity),
            f.rule,
            f.path,
        ),
    )
