"""Argument parsing and wiring only: the work lives in mlb/, ingest/, replay/ and ui/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import NoReturn

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
    "archive",
)

DESCRIPTION = """\
mlbdash keeps a complete, correct, live archive of MLB games from the MLB Stats API
and shows, in a terminal dashboard, that the pipeline feeding it is healthy.
"""


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (``mlbdash: argument --port: ...``), exit 2.

    Subcommand parsers are made of the same class, so every command reports bad flags alike.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"mlbdash: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    tokens = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(tokens)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    misplaced = _dashboard_flags_before(tokens, getattr(args, "command", None))
    if misplaced:
        # argparse would let the subcommand's own defaults silently replace them.
        flag, command = misplaced[0], args.command
        print(
            f"mlbdash: {flag} goes after the command: mlbdash {command} {flag} ...", file=sys.stderr
        )
        return 2
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


def _dashboard_flags_before(tokens: list[str], command: str | None) -> list[str]:
    """Dashboard flags written before a subcommand's name (``mlbdash --db X ingest``)."""
    if command is None or command not in tokens:
        return []
    return [
        token.split("=", 1)[0]
        for token in tokens[: tokens.index(command)]
        if token.startswith("--") and token.split("=", 1)[0] != "--version"
    ]
