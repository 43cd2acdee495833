"""The default command: the live dashboard, against the MLB API or (``--demo``) a replay of the
bundled slate. Textual, the runtime and the replay server are imported only when it runs."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbdash.errors import UsageError
from mlbdash.flags import check_date

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from mlbdash.config import Settings
    from mlbdash.ingest.scheduler import TrackedDates

FLAG_DESTS = ("demo", "speed", "api_url", "db_path", "date", "config")


def add_flags(parser: argparse.ArgumentParser) -> None:
    """Top-level flags: they apply when ``mlbdash`` runs with no subcommand."""
    group = parser.add_argument_group("dashboard (when no COMMAND is given)")
    group.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="replay the bundled demo slate on a local server and watch it",
    )
    group.add_argument(
        "--speed",
        type=float,
        metavar="N",
        help="with --demo: virtual seconds per real second (default 1)",
    )
    group.add_argument("--api-url", dest="api_url", metavar="URL", help="MLB Stats API base URL")
    group.add_argument(
        "--db",
        dest="db_path",
        type=Path,
        metavar="PATH",
        help="database file (with --demo the default is a throwaway file)",
    )
    group.add_argument(
        "--date", metavar="YYYY-MM-DD", help="league date to watch (default: today, following on)"
    )
    group.add_argument("--config", type=Path, metavar="PATH", help="settings file (TOML)")


def flags_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) not in (None, False) for name in FLAG_DESTS)


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def wants_help(args: argparse.Namespace) -> bool:
    """Plain ``mlbdash`` with no terminal to draw on (a pipe, a script): print help instead."""
    return not flags_given(args) and not has_terminal()


def run_dashboard(args: argparse.Namespace) -> int:
    """Start the dashboard; returns the exit code. Bad flags raise UsageError/ConfigError."""
    demo = bool(getattr(args, "demo", False))
    speed: float | None = getattr(args, "speed", None)
    if speed is not None and not demo:
        raise UsageError("--speed only applies with --demo")
    if speed is not None and not (math.isfinite(speed) and speed > 0):
        raise UsageError("--speed must be positive and finite")
    if demo and getattr(args, "api_url", None):
        raise UsageError("--demo serves its own API; leave out --api-url")
    from mlbdash.config import load_settings

    league_date = _parse_date(getattr(args, "date", None))
    settings = load_settings(
        cli={"api_url": getattr(args, "api_url", None), "db_path": getattr(args, "db_path", None)},
        config_file=getattr(args, "config", None),
    )
    if not has_terminal():
        raise UsageError("the dashboard needs a terminal; for headless runs use a subcommand")
    import asyncio

    return asyncio.run(_dashboard(settings, league_date, demo=demo, speed=speed or 1.0))


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return check_date(date.fromisoformat(text))
    except ValueError:
        raise UsageError(f"--date {text!r}: use YYYY-MM-DD") from None
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--date {text!r}: {exc}") from None


def _tracked(league_date: date | None) -> TrackedDates:
    from mlbdash.ingest.scheduler import TrackedDates

    if league_date is None:
        return TrackedDates(follow=True)
    return TrackedDates.single(league_date)


async def _dashboard(
    settings: Settings, league_date: date | None, *, demo: bool, speed: float
) -> int:
    from contextlib import AsyncExitStack

    from mlbdash.ingest.runtime import Runtime
    from mlbdash.ui.app import MlbdashApp
    from mlbdash.ui.format import DisplayClock

    async with AsyncExitStack() as stack:
        tracked = _tracked(league_date)
        if demo:
            settings = await _start_demo(stack, settings, league_date, speed)
            # The demo lays its slate out on one date; watch exactly that one.
            tracked = _tracked(None)
        runtime = await stack.enter_async_context(Runtime(settings, tracked=tracked))
        app = MlbdashApp(
            runtime,
            clock=runtime.clock,
            follow=tracked.follow,
            display=DisplayClock.named(settings.display.clock),
            screenshot_dir=settings.display.screenshot_dir,
        )
        await app.run_async()
    return app.return_code or 0


async def _start_demo(
    stack: AsyncExitStack, settings: Settings, league_date: date | None, speed: float
) -> Settings:
    """Serve the bundled slate on 127.0.0.1 and point the settings at it."""
    from mlbdash.mlb.dates import league_today
    from mlbdash.replay.demo import DEMO_ALERTS, demo_server_options
    from mlbdash.replay.server import ReplayServer, start_replay_server

    day = league_date or league_today(datetime.now(UTC))
    try:
        server: ReplayServer = await stack.enter_async_context(
            start_replay_server(options=demo_server_options(day, speed=speed))
        )
    except OSError as exc:
        raise UsageError(f"cannot start the demo server: {exc.strerror or exc}") from None
    # The demo's alerts should fire and resolve within minutes, not quarter hours.
    alerts = settings.alerts.model_copy(update=DEMO_ALERTS)
    update: dict[str, Any] = {"api_url": server.base_url, "alerts": alerts}
    if settings.db_path is None:
        # A demo must not mix replayed games into the real archive.
        import tempfile

        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="mlbdash-demo-"))
        update["db_path"] = Path(folder) / "demo.sqlite3"
    return settings.model_copy(update=update)
