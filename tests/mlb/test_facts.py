"""mlb.facts: what a feed version says, derived once; and the one rule that names a team."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import load_fixture

from mlbdash.mlb.common import Team
from mlbdash.mlb.facts import raw_team_label, team_label, version_facts
from mlbdash.mlb.status import Lifecycle

LIVE_B7 = "feed/feed_746139_live_b7_20240612_042717.json.gz"
FINAL = "feed/feed_662751_final.json.gz"


def test_a_live_version_in_the_words_every_reader_uses() -> None:
    facts = version_facts(load_fixture(LIVE_B7))
    assert (facts.away, facts.home, facts.lifecycle) == ("TEX", "LAD", Lifecycle.live)
    assert (facts.away_score, facts.home_score) == (2, 14)
    assert (facts.inning, facts.inning_half, facts.outs) == (7, "Bottom", 1)
    assert facts.timecode == "20240612_042717" and not facts.is_final
    assert facts.current_play == "Bottom 7th, 0-0, 1 out: Mound Visit."
    assert facts.linescore is not None
    first = facts.linescore.innings[0]
    assert (first.num, first.away_runs, first.home_runs, first.home_hits) == (1, 0, 3, 2)


def test_a_final_version() -> None:
    facts = version_facts(load_fixture(FINAL))
    assert facts.is_final and facts.lifecycle is Lifecycle.final
    assert (facts.away, facts.home, facts.away_score, facts.home_score) == ("CWS", "HOU", 3, 4)
    assert facts.official_date == "2022-06-19"


def test_facts_are_frozen_and_never_share_the_feed() -> None:
    feed = load_fixture(LIVE_B7)
    facts = version_facts(feed)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.away_score = 3  # type: ignore[misc]
    feed["liveData"]["linescore"]["innings"][0]["home"]["runs"] = 9
    assert facts.linescore is not None and facts.linescore.innings[0].home_runs == 3


def test_a_feed_missing_its_parts_gives_none_not_an_error() -> None:
    facts = version_facts({"gamePk": 1, "gameData": {"teams": "drifted"}, "liveData": []})
    assert (facts.away, facts.home) == ("?", "?")
    assert facts.lifecycle is Lifecycle.unknown
    assert facts.linescore is None and facts.current_play is None and facts.timecode is None


def test_one_rule_names_a_team() -> None:
    # As the feed and a schedule asked with hydrate=team send it: MLB's abbreviation.
    feed_team = load_fixture(LIVE_B7)["gameData"]["teams"]["away"]
    assert raw_team_label(feed_team) == "TEX"
    # A schedule asked without the hydrate lists id, name and link only: the name.
    listed = load_fixture("schedule/schedule_2022-04-07_2postponed.json")["dates"][0]["games"][0]
    assert raw_team_label(listed["teams"]["away"]["team"]) == "Milwaukee Brewers"
    assert team_label(None) == "?" and raw_team_label("not a team") == "?"
    assert team_label(Team.model_validate(json.loads('{"id": 1}'))) == "?"
