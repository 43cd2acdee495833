"""derived: real recorded feeds with terminal escapes put into strings a hostile API could send.

The escapes are the ones of issue 13: ``ESC [ 2 J`` (clear the screen), an OSC 8 hyperlink to
a local file, and a carriage return; Rich markup rides along to show it stays literal.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from conftest import load_fixture

CLEAR = "\x1b[2J"
LINK = "\x1b]8;;file:///etc/passwd\x07"
MARKUP = "[bold red]X[/bold red]"
# How each is shown once made safe.
SHOWN_CLEAR = "\\x1b[2J"
SHOWN_LINK = "\\x1b]8;;file:///etc/passwd\\a"

GAME = 662751
AWAY = f"CWS{CLEAR}"
HOME = f"{LINK}HOU"
PLAY = f"{LINK}click me\x1b]8;;\x07\rfly ball {CLEAR}{MARKUP}"


def hostile_feed(rel: str = "feed/feed_662751_final.json.gz") -> dict[str, Any]:
    """A real final feed whose team names, status and last play carry escapes."""
    feed: dict[str, Any] = load_fixture(rel)
    teams = feed["gameData"]["teams"]
    teams["away"]["abbreviation"] = AWAY
    teams["home"]["abbreviation"] = HOME
    teams["away"]["name"] = f"{CLEAR}{teams['away']['name']}"
    feed["gameData"]["status"]["detailedState"] += f"\r{MARKUP}"
    plays = feed["liveData"]["plays"]
    plays["allPlays"][-1]["result"]["description"] = PLAY
    plays["currentPlay"]["result"]["description"] = PLAY
    return feed


def assert_terminal_safe(text: str) -> None:
    """No escape, bell or carriage return reaches the terminal; what was sent is still shown."""
    for raw in ("\x1b", "\x07", "\r", "\x9b"):
        assert raw not in text, f"{raw!r} reaches the terminal in {text!r}"


def write_hostile_data(root: Path) -> Path:
    """A replay data folder serving the hostile feed of game 662751."""
    (root / "feed").mkdir(parents=True)
    body = json.dumps(hostile_feed()).encode()
    (root / "feed" / f"feed_{GAME}_final.json.gz").write_bytes(gzip.compress(body))
    return root
