"""The bench's default settings, importable without loading the bench (the CLI's --help)."""

from __future__ import annotations

DEFAULT_MINUTES = 10.0
"""Virtual minutes of the A/B window."""
DEFAULT_SPEED = 10.0
"""Replay speed of the A/B comparison."""
DEFAULT_SCALE = (100, 300, 1000)
"""Live games of the scale runs."""
SCALE_SECONDS = 45.0
"""Virtual (= real, at speed 1) seconds measured per scale run."""
WHOLE_SPEED = 60.0
"""Replay speed of ``--whole-games`` (two games with their pre-game: ~7 real minutes)."""
WHOLE_REPEATS = 3
"""Repeats of ``--whole-games``, so the spread shows."""
