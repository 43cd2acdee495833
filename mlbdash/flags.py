"""Checked flag values: argparse ``type=`` converters that refuse what would fail later.

Each raises ``argparse.ArgumentTypeError`` with the reason; the CLI's parser prints it as one
line (``mlbdash: argument --port: ...``) and exits 2, the code of every bad input.
"""

from __future__ import annotations

import argparse
import math
from datetime import date

# The MLB Stats API's history starts in 1876; the upper bound leaves room for the day-after
# and time-zone arithmetic every league date goes through.
FIRST_DATE = date(1876, 1, 1)
LAST_DATE = date(9998, 12, 31)


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from None


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    value = int(_number(text, int))
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {value}")
    return value


def count(text: str) -> int:
    """A whole number, 0 or more."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def positive_id(text: str) -> int:
    """An MLB id (sport, team, game): a whole number, 1 or more."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"an id is a whole number from 1, not {value}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number greater than 0 (a speed, a duration)."""
    value = float(_number(text, float))
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, not {text!r}")
    return value


def seconds(text: str) -> float:
    """A finite number, 0 or more."""
    value = float(_number(text, float))
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more, not {text!r}")
    return value


def host(text: str) -> str:
    """An address or host name to bind: not empty, no spaces."""
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


def check_date(value: date) -> date:
    """``value`` if it lies in the dates mlbdash can track; ArgumentTypeError otherwise."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise argparse.ArgumentTypeError(
            f"{value.isoformat()} is outside {FIRST_DATE.isoformat()}..{LAST_DATE.isoformat()}"
        )
    return value


def league_date(text: str) -> date:
    """A league date, YYYY-MM-DD, from 1876 on."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (want YYYY-MM-DD): {text!r}") from None
    return check_date(value)
