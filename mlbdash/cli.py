"""Argument parsing and wiring only: the work lives in mlb/, ingest/, replay/ and ui/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Collection, Sequence
from importlib import import_module
from typing import NoReturn

from mlbdash import __version__
from mlbdash.commands import dashboard
from mlbdash.errors import MlbdashError

# Subcommand modules under mlbdash.commands, in the order --help lists them, with the line
# --help shows for each (the same as the module's own add_parser help; a test keeps them so).
COMMANDS: dict[str, str] = {
    "ingest": "archive the games of some dates, without the dashboard",
    "validate": "check recorded responses or stored games against the validation rules",
    "export": "write stored data to a file (validation findings as CSV)",
    "game": "show one game's state, score and inning (--follow to keep watching)",
    "replay": "serve recorded MLB data over HTTP (virtual time, faults)",
    "bench": "measure mlbdash against the common way of polling (replay, ~9 min)",
    "db": "back up and check the database",
    "report": "daily report of a league date from the database (text, markdown or JSON)",
    "archive": "hand a stored league date on: export it as a replay data folder",
}

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


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``commands``, only those subcommands' modules are imported
    (each imports what it needs to run) and the others are listed by name and help line, so
    ``mlbdash --help`` does not pay for the runtime, aiohttp and the validator."""
    parser = Parser(
        prog="mlbdash",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mlbdash {__version__}")
    dashboard.add_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if commands is None or name in commands:
            import_module(f"mlbdash.commands.{name}").register(sub)
        else:
            sub.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    tokens = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(commands={token for token in tokens if token in COMMANDS})
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
