from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.mlb.feed import Boxscore, Linescore, LiveFeed
from mlbdash.mlb.status import Lifecycle

FEEDS = [*fixture_files("feed"), "diffpatch/diffpatch_776567_noparams_fullgame.json.gz"]


def _feed(name: str) -> LiveFeed:
    return LiveFeed.model_validate(load_fixture(f"feed/{name}.json.gz"))


@pytest.mark.parametrize("rel", FEEDS)
def test_every_real_feed_parses(rel: str) -> None:
    raw = load_fixture(rel)
    feed = LiveFeed.model_validate(raw)
    assert feed.game_pk == raw["gamePk"]
    assert feed.game_data is not None and feed.live_data is not None
    assert feed.game_data.game is not None and feed.game_data.game.pk == raw["gamePk"]
    assert feed.meta_data is not None
    assert feed.meta_data.time_stamp == raw["metaData"]["timeStamp"]
    assert feed.meta_data.timecode is not None
    status = feed.game_data.status
    assert status is not None and status.info.known
    linescore = feed.live_data.linescore
    assert linescore is not None and linescore.teams is not None
    # Every played half inning adds up to the team's total.
    for side in ("away", "home"):
        total = getattr(linescore.teams, side).runs
        halves = [getattr(i, side) for i in linescore.innings]
        assert sum(h.runs or 0 for h in halves if h is not None) == total
    plays = feed.live_data.plays
    assert plays is not None
    assert len(plays.all_plays) == len(raw["liveData"]["plays"]["allPlays"])
    box = feed.live_data.boxscore
    assert box is not None and box.teams is not None and box.teams.home is not None
    assert len(box.teams.home.players) == len(
        raw["liveData"]["boxscore"]["teams"]["home"]["players"]
    )


def test_744914_final_hou_3_at_tor_1() -> None:
    feed = _feed("feed_744914_final")
    assert feed.meta_data is not None and feed.game_data is not None and feed.live_data is not None
    assert feed.meta_data.time_stamp == "20240701_214404"
    assert feed.meta_data.timecode == datetime(2024, 7, 1, 21, 44, 4, tzinfo=UTC)
    assert feed.meta_data.wait == 10
    assert feed.meta_data.game_events == ["field_out", "game_finished"]
    gd = feed.game_data
    assert gd.teams is not None and gd.teams.away is not None and gd.teams.home is not None
    assert (gd.teams.away.abbreviation, gd.teams.home.abbreviation) == ("HOU", "TOR")
    assert gd.status is not None and gd.status.detailed_state == "Final"
    assert gd.status.lifecycle is Lifecycle.final
    assert gd.game is not None
    assert (gd.game.season, gd.game.double_header, gd.game.game_number) == (2024, "N", 1)
    assert gd.datetime is not None
    assert gd.datetime.date_time == datetime(2024, 7, 1, 19, 7, tzinfo=UTC)
    assert gd.datetime.official_date == date(2024, 7, 1)
    assert gd.venue is not None and gd.venue.name == "Rogers Centre"
    assert gd.game_info is not None and gd.game_info.attendance == 39265
    ls = feed.live_data.linescore
    assert ls is not None and ls.teams is not None
    assert ls.teams.away is not None and ls.teams.home is not None
    assert (ls.teams.away.runs, ls.teams.home.runs) == (3, 1)
    assert (ls.teams.away.hits, ls.teams.home.hits) == (4, 4)
    assert len(ls.innings) == 9 and ls.scheduled_innings == 9
    dec = feed.live_data.decisions
    assert dec is not None and dec.winner is not None and dec.save is not None
    assert dec.winner.full_name == "Hunter Brown"
    assert dec.save.full_name == "Josh Hader"
    plays = feed.live_data.plays
    assert plays is not None and plays.current_play is not None
    assert plays.scoring_plays == [29, 61, 66]
    assert len(plays.all_plays) == 68
    result = plays.current_play.result
    assert result is not None and result.event == "Pop Out" and result.is_out is True


def test_744914_boxscore_and_numbers_sent_as_strings() -> None:
    feed = _feed("feed_744914_final")
    assert feed.game_data is not None and feed.live_data is not None
    assert feed.game_data.weather is not None
    assert feed.game_data.weather.temp == 69  # "69" in the feed
    box = feed.live_data.boxscore
    assert box is not None and box.teams is not None and box.teams.away is not None
    stats = box.teams.away.team_stats
    assert stats is not None and stats.batting is not None and stats.pitching is not None
    assert stats.batting.runs == 3 and stats.batting.hits == 4
    assert stats.batting.avg == pytest.approx(0.264)  # ".264"
    assert stats.pitching.innings_pitched == "9.0"
    assert stats.fielding is not None and stats.fielding.errors == 0
    # Hunter Brown won: his boxscore line is keyed "ID686613".
    brown = box.teams.away.players["ID686613"]
    assert brown.person is not None and brown.person.full_name == "Hunter Brown"
    assert brown.stats is not None and brown.stats.pitching is not None
    assert brown.stats.pitching.innings_pitched is not None
    assert "ID686613" in feed.game_data.players


def test_662751_home_did_not_bat_in_the_ninth() -> None:
    feed = _feed("feed_662751_final")
    assert feed.live_data is not None and feed.live_data.linescore is not None
    ninth = feed.live_data.linescore.innings[8]
    assert ninth.num == 9
    assert ninth.away is not None and ninth.away.runs == 0
    assert ninth.home is not None and ninth.home.runs is None
    assert ninth.home.hits == 0
    teams = feed.live_data.linescore.teams
    assert teams is not None and teams.away is not None and teams.home is not None
    assert (teams.away.runs, teams.home.runs) == (3, 4)


def test_mid_game_top_7th_two_outs_0_2() -> None:
    feed = _feed("feed_746139_live_t7_20240612_041248")
    assert feed.game_data is not None and feed.live_data is not None
    assert feed.game_data.status is not None
    assert feed.game_data.status.lifecycle is Lifecycle.live
    ls = feed.live_data.linescore
    assert ls is not None
    assert (ls.current_inning, ls.inning_half, ls.is_top_inning) == (7, "Top", True)
    assert (ls.balls, ls.strikes, ls.outs) == (0, 2, 2)
    assert feed.live_data.decisions is None
    cp = feed.live_data.plays.current_play if feed.live_data.plays else None
    assert cp is not None and cp.count is not None and cp.matchup is not None
    assert (cp.count.balls, cp.count.strikes, cp.count.outs) == (0, 2, 2)
    assert cp.matchup.batter is not None and cp.matchup.batter.full_name == "Davis Wendzel"
    # A late game: first pitch on the next UTC day, official date the day it was played.
    dt = feed.game_data.datetime
    assert dt is not None
    assert dt.date_time == datetime(2024, 6, 12, 2, 10, tzinfo=UTC)
    assert dt.official_date == date(2024, 6, 11)


def test_mid_at_bat_current_play_has_no_event() -> None:
    feed = _feed("feed_633860_live_b7_20210603_213045")
    assert feed.live_data is not None and feed.live_data.plays is not None
    cp = feed.live_data.plays.current_play
    assert cp is not None and cp.result is not None and cp.about is not None
    assert cp.result.event is None and cp.result.description is None
    assert (cp.about.inning, cp.about.half_inning, cp.about.is_complete) == (7, "bottom", False)
    # The bottom 7th is under way and no run has scored: no runs key yet.
    assert feed.live_data.linescore is not None
    last = feed.live_data.linescore.innings[-1]
    assert last.home is not None and last.home.runs is None
    # 2021 feeds carry no officialDate.
    assert feed.game_data is not None and feed.game_data.datetime is not None
    assert feed.game_data.datetime.official_date is None


def test_diffpatch_whole_game_answer_is_a_feed_without_copyright() -> None:
    raw = load_fixture("diffpatch/diffpatch_776567_noparams_fullgame.json.gz")
    feed = LiveFeed.model_validate(raw)
    assert "copyright" not in raw and feed.copyright is None
    same = _feed("feed_776567_live_t1_20250827_231301")
    assert feed.meta_data is not None and same.meta_data is not None
    assert feed.meta_data.time_stamp == same.meta_data.time_stamp
    assert feed.game_pk == same.game_pk == 776567


def test_unknown_fields_are_kept() -> None:
    raw: dict[str, Any] = copy.deepcopy(load_fixture("feed/feed_744914_final.json.gz"))
    # Derived from the real feed: one new top-level key and one new linescore key.
    raw["newThing"] = {"a": 1}
    raw["liveData"]["linescore"]["pitchClock"] = 15
    feed = LiveFeed.model_validate(raw)
    assert feed.model_extra == {"newThing": {"a": 1}}
    assert feed.live_data is not None and feed.live_data.linescore is not None
    assert feed.live_data.linescore.model_extra is not None
    assert feed.live_data.linescore.model_extra["pitchClock"] == 15


def test_placeholder_rates_become_none_and_numeric_text_stays_text() -> None:
    # Derived from a real boxscore: MLB writes an undefined rate as "-.--" (seen in
    # atBatsPerHomeRun); here a pitcher's era says so, and inningsPitched arrives as a number.
    raw = copy.deepcopy(load_fixture("feed/feed_744914_final.json.gz")["liveData"]["boxscore"])
    home = raw["teams"]["home"]
    key = f"ID{home['pitchers'][0]}"
    home["players"][key]["stats"]["pitching"]["era"] = "-.--"
    home["players"][key]["stats"]["pitching"]["inningsPitched"] = 6.2
    box = Boxscore.model_validate(raw)
    assert box.teams is not None and box.teams.home is not None
    line = box.teams.home.players[key]
    assert line.stats is not None and line.stats.pitching is not None
    assert line.stats.pitching.era is None
    assert line.stats.pitching.innings_pitched == "6.2"
    assert line.jersey_number == home["players"][key]["jerseyNumber"]


def test_counts_sent_as_text_parse() -> None:
    # Derived from a real linescore: the same totals written as strings.
    raw = copy.deepcopy(load_fixture("linescore/linescore_744914_final.json"))
    raw["teams"]["away"]["runs"] = "3"
    raw["currentInning"] = "9"
    ls = Linescore.model_validate(raw)
    assert ls.teams is not None and ls.teams.away is not None
    assert (ls.teams.away.runs, ls.current_inning) == (3, 9)


@pytest.mark.parametrize(
    "rel",
    ["linescore/linescore_744914_final.json", "linescore/linescore_747175_final_nocopyright.json"],
)
def test_linescore_endpoint_parses(rel: str) -> None:
    ls = Linescore.model_validate(load_fixture(rel))
    assert ls.teams is not None and ls.teams.home is not None
    assert ls.innings and ls.innings[0].num == 1


def test_linescore_endpoint_matches_the_feed() -> None:
    ls = Linescore.model_validate(load_fixture("linescore/linescore_744914_final.json"))
    feed = _feed("feed_744914_final")
    assert feed.live_data is not None and feed.live_data.linescore is not None
    feed_teams = feed.live_data.linescore.teams
    assert ls.teams is not None and feed_teams is not None
    for side in ("away", "home"):
        ours, theirs = getattr(ls.teams, side), getattr(feed_teams, side)
        assert (ours.runs, ours.hits, ours.errors) == (theirs.runs, theirs.hits, theirs.errors)
    assert [i.away for i in ls.innings] == [i.away for i in feed.live_data.linescore.innings]


@pytest.mark.parametrize("rel", fixture_files("boxscore"))
def test_boxscore_endpoint_parses(rel: str) -> None:
    box = Boxscore.model_validate(load_fixture(rel))
    assert box.teams is not None and box.teams.away is not None and box.teams.away.players
