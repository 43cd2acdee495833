"""terminal_safe: API strings made safe for a terminal, and the models applying it on parse."""

from __future__ import annotations

import pytest
from hostile import CLEAR, LINK, MARKUP, SHOWN_CLEAR, SHOWN_LINK, hostile_feed

from mlbdash.mlb.common import GameStatus, Team
from mlbdash.mlb.feed import LiveFeed
from mlbdash.mlb.schedule import Schedule
from mlbdash.mlb.text import terminal_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"NY{CLEAR}Y", f"NY{SHOWN_CLEAR}Y"),
        (f"{LINK}Final", f"{SHOWN_LINK}Final"),
        ("Final\rIn Progress", "Final\\rIn Progress"),
        ("a\tb\nc\x00d\x7f", "a\\tb\\nc\\x00d\\x7f"),
        ("\x9b2J", "\\x9b2J"),  # the one-byte CSI of C1
        ("abc\u202edcba", "abc\\u202edcba"),  # a bidi override reorders what a reader sees
        ("x\u2028y", "x\\u2028y"),
        ("lone \ud800", "lone \\ud800"),  # cannot be encoded for output at all
    ],
)
def test_control_and_escape_characters_are_shown_escaped(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown
    terminal_safe(raw).encode("utf-8")


def test_printable_text_and_markup_are_unchanged() -> None:
    for text in ("Acuña Jr.", "Pérez 二塁打", MARKUP, ""):
        assert terminal_safe(text) is text
    assert terminal_safe("a\u00a0b") == "a\u00a0b"  # a no-break space is not printable() but safe


def test_applying_it_twice_changes_nothing_more() -> None:
    once = terminal_safe(f"{LINK}{CLEAR}\r")
    assert terminal_safe(once) == once


def test_models_make_strings_safe_when_a_response_is_parsed() -> None:
    team = Team.model_validate({"abbreviation": f"NY{CLEAR}", "name": f"{LINK}Yankees"})
    assert (team.abbreviation, team.name) == (f"NY{SHOWN_CLEAR}", f"{SHOWN_LINK}Yankees")
    status = GameStatus.model_validate({"detailedState": "Final\r", "statusCode": "F"})
    assert status.detailed_state == "Final\\r"


def test_a_hostile_feed_parses_with_safe_teams_status_and_plays() -> None:
    feed = LiveFeed.model_validate(hostile_feed())
    assert feed.game_data is not None and feed.game_data.teams is not None
    away, home = feed.game_data.teams.away, feed.game_data.teams.home
    assert away is not None and away.abbreviation == f"CWS{SHOWN_CLEAR}"
    assert home is not None and home.abbreviation == f"{SHOWN_LINK}HOU"
    assert feed.game_data.status is not None
    assert feed.game_data.status.detailed_state == f"Final\\r{MARKUP}"
    assert feed.live_data is not None and feed.live_data.plays is not None
    last = feed.live_data.plays.all_plays[-1]
    assert last.result is not None and last.result.description is not None
    assert "\x1b" not in last.result.description and SHOWN_LINK in last.result.description


def test_a_schedule_parses_with_safe_strings() -> None:
    schedule = Schedule.model_validate(
        {
            "dates": [
                {
                    "date": "2024-07-01",
                    "games": [
                        {
                            "gamePk": 1,
                            "status": {"detailedState": f"Warmup{CLEAR}"},
                            "teams": {"away": {"team": {"name": f"{LINK}Astros"}}},
                        }
                    ],
                }
            ]
        }
    )
    [(_, game)] = list(schedule.games())
    assert game.status is not None and game.status.detailed_state == f"Warmup{SHOWN_CLEAR}"
    assert game.teams is not None and game.teams.away is not None
    assert game.teams.away.team is not None
    assert game.teams.away.team.name == f"{SHOWN_LINK}Astros"
