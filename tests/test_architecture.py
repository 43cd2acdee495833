"""Dependencies point one way: ui -> ingest -> mlb, replay -> mlb. Checked in fresh interpreters.

Each check imports a package and every module under it in a new subprocess, then looks at
``sys.modules``: what got imported, directly or through another module, is what counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

PROBE = """
import importlib, json, pkgutil, sys
errors = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            errors.append(f"{info.name}: {exc!r}")
print(json.dumps({"modules": sorted(sys.modules), "errors": errors}))
"""


def imported_by(*packages: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *packages],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == [], "modules that fail to import hide their dependencies"
    return set(report["modules"])


def under(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("packages", [("mlbdash.mlb",), ("mlbdash.ingest",), ("mlbdash.replay",)])
def test_core_packages_never_import_textual(packages: tuple[str, ...]) -> None:
    modules = imported_by(*packages)
    assert under(modules, *packages), "the probe imported nothing"
    assert under(modules, "textual") == []


def test_mlb_is_pure() -> None:
    modules = imported_by("mlbdash.mlb")
    assert (
        under(modules, "mlbdash.ingest", "mlbdash.replay", "mlbdash.ui", "mlbdash.commands") == []
    )
    # No I/O libraries either: mlb/ describes the API, it does not talk to it.
    assert under(modules, "httpx", "aiohttp", "aiosqlite", "sqlite3") == []


def test_replay_does_not_reach_into_ingest_or_ui() -> None:
    modules = imported_by("mlbdash.replay")
    assert under(modules, "mlbdash.ingest", "mlbdash.ui", "mlbdash.commands") == []


def test_ingest_does_not_reach_into_ui_or_replay() -> None:
    modules = imported_by("mlbdash.ingest")
    assert under(modules, "mlbdash.ui", "mlbdash.replay", "mlbdash.commands") == []


def test_the_probe_would_notice_textual() -> None:
    """Control: the UI package does import textual, so the probe can see it."""
    modules = imported_by("mlbdash.ui")
    assert "textual" in modules
