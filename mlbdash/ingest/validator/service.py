"""The validator's entry points: validate a feed version or a schedule response.

``validate_feed`` runs on every stored version (up to ~100 a second across a full slate), so
it reads the raw dict once: fast schema checks of the fields mlbdash acts on, the consistency
rules, the status code, and (given the previous version's summary) the consecutive-version
checks. The full model parse with drift reporting is opt-in through ``FeedContext.full``,
meant for full fetches, Final versions and a sample of the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlbdash.ingest.findings import Finding
from mlbdash.ingest.validator import consistency, crossref, schedule_rules, schema
from mlbdash.ingest.validator import drift as drift_check
from mlbdash.ingest.validator import rules as R
from mlbdash.mlb.touched import Touched

ResponseKind = Literal["feed", "schedule"]


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What the caller knows about this version.

    ``previous``: the summary of the version stored before (enables TIMECODE_INCREASES and
    SCORE_DROP_UNEXPLAINED). ``full``: also parse the whole feed through the domain models
    and report drift (costs a full parse; use on full fetches, Final and sampled versions).
    """

    previous: crossref.VersionSummary | None = None
    full: bool = False
    model: drift_check.ModelCheck | None = None
    """The feed's model parse when the caller already made it (``feed_model_check``)."""
    parts: consistency.PartsCache | None = None
    """The game's parts cache (kept from one version to the next): with ``touched``, only
    what the version's diff ops wrote is read again; the findings are the same."""
    touched: Touched | None = None
    """What the ops that patched the cache's last feed (the same object) into this one wrote."""


# Which rules a validate_feed call evaluated: findings of these rules that are not raised
# again on a new version of the game may be marked resolved.
FEED_RULES: tuple[str, ...] = (
    R.SCHEMA_INVALID.id,
    R.STATUS_UNKNOWN.id,
    *consistency.CHECKED_RULES,
)
CONSECUTIVE_RULES: tuple[str, ...] = (R.TIMECODE_INCREASES.id, R.SCORE_DROP_UNEXPLAINED.id)
MODEL_RULES: tuple[str, ...] = (R.SCHEMA_MODEL.id, R.FIELDS_DRIFTED.id)


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """One version validated: its findings, the rules evaluated, and its summary (the next
    version's ``FeedContext.previous``), all from one read of the feed."""

    findings: list[Finding]
    checked: tuple[str, ...]
    summary: crossref.VersionSummary
    is_final: bool


def check_version(feed: Mapping[str, Any], *, context: FeedContext | None = None) -> FeedCheck:
    """Validate one version of a live feed, reading it once; the pipeline's entry point."""
    ctx = context or FeedContext()
    if ctx.parts is not None:
        parts = ctx.parts.parts(feed, ctx.touched)
    else:
        parts = consistency.FeedParts.of(feed)
    summary = crossref.summarize_feed(feed, parts)
    return FeedCheck(
        _findings(feed, parts, ctx, summary), rules_checked(ctx), summary, parts.is_final
    )


def feed_model_check(feed: Mapping[str, Any]) -> drift_check.ModelCheck:
    """The model parse of a whole feed (tens of milliseconds): the findings a full
    ``validate_feed`` adds and the marks of where it differs from what the models read; pass
    it on as ``FeedContext.model`` so the same feed is not parsed twice."""
    return drift_check.feed_model_check(feed, consistency.FeedParts.of(feed))


def validate_feed(feed: Mapping[str, Any], *, context: FeedContext | None = None) -> list[Finding]:
    """Every finding on one version of a live feed; [] when it is sound."""
    return _findings(feed, consistency.FeedParts.of(feed), context or FeedContext())


def _findings(
    feed: Mapping[str, Any],
    parts: consistency.FeedParts,
    ctx: FeedContext,
    summary: crossref.VersionSummary | None = None,
) -> list[Finding]:
    out = schema.check_feed_fields(feed, parts)
    out.extend(
        schedule_rules.status_findings(
            schema.feed_status(feed),
            game_pk=parts.game_pk,
            timecode=parts.timecode,
            path="/gameData/status",
        )
    )
    out.extend(consistency.check_feed(feed, parts))
    if ctx.previous is not None:
        current = summary if summary is not None else crossref.summarize_feed(feed, parts)
        out.extend(crossref.check_consecutive(ctx.previous, current))
    if ctx.full:
        # The fast field checks already name these paths; one finding per problem is enough.
        fast = {f.path for f in out if f.rule == R.SCHEMA_INVALID.id}
        model = ctx.model or drift_check.feed_model_check(feed, parts)
        out.extend(f for f in model.findings if f.path not in fast)
    return _unique(out)


def rules_checked(context: FeedContext | None = None) -> tuple[str, ...]:
    """The rule ids validate_feed evaluates under this context."""
    ctx = context or FeedContext()
    checked = FEED_RULES
    if ctx.previous is not None:
        checked = (*checked, *CONSECUTIVE_RULES)
    if ctx.full:
        checked = (*checked, *MODEL_RULES)
    return checked


def validate_schedule(schedule: Mapping[str, Any], *, full: bool = False) -> list[Finding]:
    """Every finding on one schedule response (either shape); [] when it is sound."""
    out = schedule_rules.check_schedule(schedule)
    if full:
        out.extend(model_findings("schedule", schedule))
    return _unique(out)


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per fingerprint (the fast field checks and the model parse can overlap)."""
    seen: set[str] = set()
    out: list[Finding] = []
    for f in findings:
        if f.fingerprint not in seen:
            seen.add(f.fingerprint)
            out.append(f)
    return out


def model_findings(kind: ResponseKind, body: Mapping[str, Any]) -> list[Finding]:
    """Schema findings from a tolerant parse of the whole response through the domain models.

    A needed field (``drift.FEED_REQUIRED`` once a game is under way, the schedule game ids)
    that is missing or mistyped is a SCHEMA_INVALID error; every other difference from what
    the models know (new fields, retyped optional fields) is summarised in one FIELDS_DRIFTED
    info finding for the response's endpoint. Costs a full parse (tens of milliseconds).
    """
    return drift_check.model_findings(kind, body)


def detect_kind(body: Any) -> ResponseKind | None:
    """'feed' or 'schedule' from the shape of a parsed response, else None.

    A feed has ``gameData`` and ``liveData`` (the diffPatch full-game answer too, which lacks
    only ``copyright``); a schedule has ``dates`` (or ``series`` for the postseason shape) and
    ``totalGames``.
    """
    if not isinstance(body, Mapping):
        return None
    if isinstance(body.get("gameData"), Mapping) and isinstance(body.get("liveData"), Mapping):
        return "feed"
    if "totalGames" in body and (
        isinstance(body.get("dates"), list) or isinstance(body.get("series"), list)
    ):
        return "schedule"
    return None
