"""Shared test helpers: real MLB API responses from tests/fixtures (see tests/fixtures/SOURCES.md).

Import the helpers with ``from conftest import fixture_path, load_fixture``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(rel: str) -> Path:
    """The path of a fixture file, e.g. ``fixture_path("feed/feed_744914_final.json.gz")``."""
    path = FIXTURES / rel
    if not path.is_file():
        raise FileNotFoundError(f"no fixture {rel!r} under {FIXTURES}")
    return path


def fixture_bytes(rel: str) -> bytes:
    """The fixture's JSON bytes, gunzipped when the file ends in ``.gz``."""
    raw = fixture_path(rel).read_bytes()
    return gzip.decompress(raw) if rel.endswith(".gz") else raw


def load_fixture(rel: str) -> Any:
    """The fixture's parsed JSON (``.json`` or ``.json.gz``)."""
    return json.loads(fixture_bytes(rel))


def fixture_files(folder: str) -> list[str]:
    """Every fixture under ``folder`` as a path relative to tests/fixtures, sorted."""
    return sorted(
        p.relative_to(FIXTURES).as_posix()
        for p in (FIXTURES / folder).iterdir()
        if p.name.endswith((".json", ".json.gz"))
    )
