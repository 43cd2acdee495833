"""The validator: rules, findings, corrections, review queue and CSV export.

The pure parts are importable from here. The store-facing parts live in
``mlbdash.ingest.validator.review`` (record findings, review statuses, IssueFound events) and
``mlbdash.ingest.validator.export`` (CSV); they are not imported here so that the store can
import ``findings`` without a cycle.
"""

from mlbdash.ingest.findings import Finding, Rule, fingerprint, has_errors
from mlbdash.ingest.validator.corrections import Correction, decide_corrections
from mlbdash.ingest.validator.crossref import (
    MergeCheck,
    VersionSummary,
    check_consecutive,
    check_schedule_vs_feed,
    compare_merged_vs_full,
    sample_for_merge_check,
    summarize_feed,
)
from mlbdash.ingest.validator.rules import RULES, rule
from mlbdash.ingest.validator.service import (
    FeedContext,
    detect_kind,
    rules_checked,
    validate_feed,
    validate_schedule,
)

__all__ = [
    "RULES",
    "Correction",
    "FeedContext",
    "Finding",
    "MergeCheck",
    "Rule",
    "VersionSummary",
    "check_consecutive",
    "check_schedule_vs_feed",
    "compare_merged_vs_full",
    "decide_corrections",
    "detect_kind",
    "fingerprint",
    "has_errors",
    "rule",
    "rules_checked",
    "sample_for_merge_check",
    "summarize_feed",
    "validate_feed",
    "validate_schedule",
]
