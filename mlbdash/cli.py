"""Argument parsing and wiring only: the work lives in mlb/, ingest/, replay/ and ui/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from mlbdash import __version__
from mlbdash.commands import dashboard
from mlbdash.errors import MlbdashError

# Subcommand modules under mlbdash.commands, in the order --help lists them.
COMMANDS: tuple[str, ...] = (
    "ingest",
    "validate",
    "export",
    "game",
    "replay",
    "bench",
    "db",
    "report",
)

DESCRIPTION = """\
mlbdash keeps a complete, correct, live archive of MLB games from the MLB Stats API
and shows, in a terminal dashboard, that the pipeline feeding it is healthy.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlbdash",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mlbdash {__version__}")
    dashboard.add_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = import_module(f"mlbdash.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        if dashboard.wants_help(args):
            parser.print_help()
            return 0
        run = dashboard.run_dashboard
    try:
        return run(args)
    except MlbdashError as exc:
        print(f"mlbdash: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def settings_flags(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The subset of parsed flags that are Settings fields, for config.load_settings(cli=...)."""
    return {name: getattr(args, name, None) for name in names}
