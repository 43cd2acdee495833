"""The command line: console script, ``python -m mlbdash``, and one-line errors with exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from pathlib import Path

import pytest

import mlbdash
from mlbdash import cli
from mlbdash.errors import ConfigError, UsageError

SCRIPT = Path(sys.executable).with_name("mlbdash")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=120, check=False)


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"no console script at {SCRIPT}: is mlbdash installed?"


def test_version() -> None:
    result = run(str(SCRIPT), "--version")
    assert result.returncode == 0
    assert result.stdout == f"mlbdash {mlbdash.__version__}\n"


def test_help_describes_mlbdash_and_lists_commands() -> None:
    result = run(str(SCRIPT), "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: mlbdash")
    assert "live archive of MLB games" in result.stdout
    for name in cli.COMMANDS:
        assert name in result.stdout


def test_python_dash_m_does_the_same() -> None:
    script = run(str(SCRIPT), "--help")
    module = run(sys.executable, "-m", "mlbdash", "--help")
    assert module.returncode == 0
    assert module.stdout == script.stdout
    version = run(sys.executable, "-m", "mlbdash", "--version")
    assert version.stdout == f"mlbdash {mlbdash.__version__}\n"


def test_no_command_prints_help_and_succeeds() -> None:
    result = run(sys.executable, "-m", "mlbdash")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: mlbdash")


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run(sys.executable, "-m", "mlbdash", "no-such-command")
    assert result.returncode == 2
    assert "invalid choice: 'no-such-command'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def failing_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subcommand module (in sys.modules only) whose run raises what --raise names."""

    def run_command(args: argparse.Namespace) -> int:
        kind: str = args.kind
        if kind == "config":
            raise ConfigError("config.toml: burst: Input should be greater than or equal to 1")
        if kind == "usage":
            raise UsageError("--speed needs --replay")
        if kind == "interrupt":
            raise KeyboardInterrupt
        return 0

    def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        parser = sub.add_parser("failing", help="fails on purpose")
        parser.add_argument("kind")
        parser.set_defaults(run=run_command)

    module = types.ModuleType("mlbdash.commands.failing")
    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlbdash.commands.failing", module)
    monkeypatch.setattr(cli, "COMMANDS", {**cli.COMMANDS, "failing": "fails on purpose"})


@pytest.mark.usefixtures("failing_command")
@pytest.mark.parametrize(
    ("kind", "code", "stderr"),
    [
        ("config", 2, "mlbdash: config.toml: burst: Input should be greater than or equal to 1\n"),
        ("usage", 2, "mlbdash: --speed needs --replay\n"),
        ("interrupt", 130, ""),
        ("fine", 0, ""),
    ],
)
def test_errors_become_one_line_and_an_exit_code(
    kind: str, code: int, stderr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["failing", kind]) == code
    assert capsys.readouterr().err == stderr


def test_a_dashboard_flag_before_a_command_is_refused_not_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Otherwise `mlbdash --db mine.sqlite3 report` would silently read the default database.
    from mlbdash.cli import main

    assert main(["--db", "mine.sqlite3", "report"]) == 2
    assert "--db goes after the command: mlbdash report --db" in capsys.readouterr().err


def test_help_imports_no_command_module_or_heavy_library() -> None:
    """``mlbdash --help`` lists the commands without importing them (lazy imports keep it
    fast; ``python -m mlbdash.bench.help_time`` measures the time itself)."""
    code = (
        "import sys, contextlib, io\n"
        "from mlbdash import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('textual', 'aiohttp', 'httpx', 'pydantic', 'aiosqlite', 'mlbdash.ingest',\n"
        "         'mlbdash.replay', 'mlbdash.ui', 'mlbdash.config')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_lazy_help_lists_each_command_as_its_own_module_does() -> None:
    def listing(parser: argparse.ArgumentParser) -> str:
        return parser.format_help()

    assert listing(cli.build_parser(commands=())) == listing(cli.build_parser())


@pytest.mark.parametrize(
    "command", [[], ["ingest"], ["replay", "serve"], ["bench"], ["validate"], ["export"], ["db"]]
)
def test_help_texts_have_no_markup_artefacts(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main([*command, "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and "[/" not in out
