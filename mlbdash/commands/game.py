"""``mlbdash game GAMEPK``: one game's state, score, inning and feed version; ``--follow`` to watch.

Following goes through diffPatch (a few KB per version instead of the whole feed), one line per
new version, sleeping the feed's own ``metaData.wait`` between polls, until the game is over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from mlbdash.config import Settings, load_settings, settings_flags
from mlbdash.errors import MlbdashError, UsageError
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.errors import ApiError, NotFound
from mlbdash.ingest.events import Event, RequestRetried
from mlbdash.ingest.follower import FollowUpdate, GameFollower
from mlbdash.ingest.replay_clock import discover_clock
from mlbdash.mlb.clock import Clock
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.status import Lifecycle, is_terminal

DEFAULT_WAIT_S = 10.0
MIN_WAIT_S = 1.0


@dataclass(frozen=True, slots=True)
class GameLine:
    """What one printed line says about a version of a game."""

    game_pk: int
    away: str
    home: str
    state: str  # Lifecycle value
    detailed_state: str
    away_score: int | None
    home_score: int | None
    inning: int | None
    inning_half: str | None
    outs: int | None
    timecode: str | None
    update: str  # full, diff

    def text(self) -> str:
        score = ""
        if self.away_score is not None and self.home_score is not None:
            score = f"  {self.away} {self.away_score} - {self.home} {self.home_score}"
        inning = ""
        if self.inning is not None and self.state != Lifecycle.final:
            inning = f"  {self.inning_half or ''} {self.inning}".rstrip()
            if self.outs is not None:
                inning += f", {self.outs} out"
        return (
            f"{self.game_pk} {self.away} @ {self.home}  {self.state} ({self.detailed_state})"
            f"{score}{inning}  ts {self.timecode or '-'}"
        )


def summarize(
    game_pk: int, feed: dict[str, Any] | None, update: FollowUpdate
) -> tuple[GameLine, Lifecycle, float]:
    """The line for a feed version, its lifecycle and the server's poll hint in seconds."""
    if feed is None:  # pragma: no cover - update() returned, so the follower holds a feed
        raise MlbdashError(f"game {game_pk}: no feed")
    facts = version_facts(feed)
    line = GameLine(
        game_pk=game_pk,
        away=facts.away,
        home=facts.home,
        state=facts.lifecycle.value,
        detailed_state=facts.status.detailed_state or "?",
        away_score=facts.away_score,
        home_score=facts.home_score,
        inning=facts.inning,
        inning_half=facts.inning_half,
        outs=facts.outs,
        timecode=update.timecode,
        update=update.kind,
    )
    wait = facts.wait_s or DEFAULT_WAIT_S
    return line, facts.lifecycle, max(MIN_WAIT_S, wait)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "game",
        help="show one game's state, score and inning (--follow to keep watching)",
        description="Show one game's state, score, inning and feed timeStamp from the live feed.",
    )
    parser.add_argument("game_pk", metavar="GAMEPK", type=int, help="the game's gamePk")
    parser.add_argument("--api-url", dest="api_url", help="MLB Stats API base URL")
    parser.add_argument(
        "--follow", action="store_true", help="print a line per new version until the game ends"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.game_pk <= 0:
        raise UsageError(f"GAMEPK must be a positive number, got {args.game_pk}")
    settings = load_settings(cli=settings_flags(args, "api_url"))
    return asyncio.run(follow_game(settings, args.game_pk, follow=args.follow, as_json=args.json))


async def follow_game(
    settings: Settings,
    game_pk: int,
    *,
    follow: bool,
    as_json: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Clock | None = None,
    client: MlbApiClient | None = None,
) -> int:
    """Print the game once, or until it is over with ``follow``. Returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    clock = clock or await discover_clock(settings.api_url)
    client = client or MlbApiClient.from_settings(
        settings, clock=clock, sink=RetryNotes(err, game_pk)
    )
    async with client:
        follower = GameFollower(client, game_pk, clock=clock)
        try:
            update = await follower.update()
        except NotFound:
            raise MlbdashError(f"game {game_pk} not found at {settings.api_url}") from None
        line, lifecycle, wait = summarize(game_pk, follower.feed, update)
        _print(out, line, as_json)
        while follow and not is_terminal(lifecycle):
            await clock.sleep(wait)
            try:
                update = await follower.update()
            except ApiError as exc:
                # A failed poll never ends the watch: say so and try again after the wait.
                print(f"mlbdash: {exc.message}; trying again in {wait:g}s", file=err, flush=True)
                continue
            if update.kind == "none":
                continue
            line, lifecycle, wait = summarize(game_pk, follower.feed, update)
            _print(out, line, as_json)
    return 0


class RetryNotes:
    """Says each retry on stderr as it happens: with the API down, the retries take seconds,
    and a person waiting must see what is going on (stdout keeps only the game's lines)."""

    def __init__(self, err: TextIO, game_pk: int) -> None:
        self.err = err
        self.game_pk = game_pk

    def __call__(self, event: Event) -> None:
        if isinstance(event, RequestRetried):
            print(
                f"mlbdash: game {self.game_pk}: attempt {event.attempt} failed "
                f"({event.reason}); trying again in {event.wait_s:.1f}s",
                file=self.err,
                flush=True,
            )


def _print(out: TextIO, line: GameLine, as_json: bool) -> None:
    text = json.dumps(asdict(line)) if as_json else line.text()
    print(text, file=out, flush=True)
