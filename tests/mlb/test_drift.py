from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import fixture_files, load_fixture

from mlbdash.mlb.drift import (
    FEED_REQUIRED,
    SCHEDULE_GAME_REQUIRED,
    DriftField,
    ShapeError,
    missing_fields,
    parse_tolerant,
    unknown_fields,
)
from mlbdash.mlb.feed import LiveFeed
from mlbdash.mlb.schedule import Schedule

FEEDS = [*fixture_files("feed"), "diffpatch/diffpatch_776567_noparams_fullgame.json.gz"]


def _raw_feed() -> dict[str, Any]:
    return copy.deepcopy(load_fixture("feed/feed_744914_final.json.gz"))


@pytest.mark.parametrize("rel", FEEDS)
def test_real_feeds_show_no_drift(rel: str) -> None:
    feed = LiveFeed.model_validate(load_fixture(rel))
    assert unknown_fields(feed) == []
    assert missing_fields(feed, FEED_REQUIRED) == []


@pytest.mark.parametrize("rel", fixture_files("schedule"))
def test_real_schedules_show_no_drift(rel: str) -> None:
    schedule = Schedule.model_validate(load_fixture(rel))
    assert unknown_fields(schedule) == []
    for _, game in schedule.games():
        missing = missing_fields(game, SCHEDULE_GAME_REQUIRED)
        # The 2022 postseason range really sent two games with "teams": {}.
        assert {m.path for m in missing} <= {"/teams/away", "/teams/home"}


def test_known_but_unread_fields_are_listed_on_request() -> None:
    feed = LiveFeed.model_validate(load_fixture("feed/feed_823163_final_2026_abs.json.gz"))
    paths = {d.path for d in unknown_fields(feed, include_known=True)}
    assert "/gameData/absChallenges" in paths
    assert "/liveData/plays/allPlays/[]/playEvents/[]/pitchData" in paths
    assert "/gameData/players/*/birthCity" in paths


def test_new_fields_are_reported_once_per_path_with_their_type() -> None:
    raw = _raw_feed()  # derived: new keys added to a real feed
    raw["liveData"]["linescore"]["pitchClock"] = 15
    for play in raw["liveData"]["plays"]["allPlays"]:
        play["about"]["batSpeed"] = 71.5
    first_key = next(iter(raw["liveData"]["boxscore"]["teams"]["home"]["players"]))
    raw["liveData"]["boxscore"]["teams"]["home"]["players"][first_key]["stats"]["batting"][
        "swings"
    ] = "12"
    drift = unknown_fields(LiveFeed.model_validate(raw))
    assert drift == [
        DriftField("/liveData/boxscore/teams/home/players/*/stats/batting/swings", "str"),
        DriftField("/liveData/linescore/pitchClock", "int"),
        DriftField("/liveData/plays/allPlays/[]/about/batSpeed", "float"),
    ]


def test_missing_required_fields_are_reported_at_the_first_absent_step() -> None:
    raw = _raw_feed()  # derived: fields removed from a real feed
    del raw["metaData"]["timeStamp"]
    del raw["liveData"]["linescore"]["teams"]["home"]
    del raw["liveData"]["plays"]["allPlays"][5]["about"]["atBatIndex"]
    missing = missing_fields(LiveFeed.model_validate(raw), FEED_REQUIRED)
    assert [(m.path, m.kind) for m in missing] == [
        ("/liveData/linescore/teams/home", "missing"),
        ("/liveData/plays/allPlays/[]/about/atBatIndex", "missing"),
        ("/metaData/timeStamp", "missing"),
    ]


def test_tolerant_parse_of_a_real_feed_drops_nothing() -> None:
    parsed = parse_tolerant(LiveFeed, load_fixture("feed/feed_744914_final.json.gz"))
    assert parsed.invalid == []
    assert parsed.model.game_pk == 744914


def test_tolerant_parse_drops_only_the_bad_values() -> None:
    raw = _raw_feed()  # derived: values of the wrong type put into a real feed
    original = copy.deepcopy(raw)
    raw["liveData"]["linescore"]["outs"] = "three"
    raw["liveData"]["plays"]["allPlays"][3]["about"]["inning"] = {"n": 1}
    raw["liveData"]["plays"]["allPlays"][7]["count"] = [1, 2]
    raw["gameData"]["status"] = "Final"
    before = copy.deepcopy(raw)
    with pytest.raises(ValueError):
        LiveFeed.model_validate(raw)
    parsed = parse_tolerant(LiveFeed, raw)
    assert raw == before  # the caller's dict is untouched
    assert raw != original
    outs = next(d for d in parsed.invalid if d.path == "/liveData/linescore/outs")
    assert outs.detail.endswith(": 'three'")
    feed = parsed.model
    assert {(d.path, d.type_name, d.kind) for d in parsed.invalid} == {
        ("/liveData/linescore/outs", "str", "invalid"),
        ("/liveData/plays/allPlays/[]/about/inning", "dict", "invalid"),
        ("/liveData/plays/allPlays/[]/count", "list", "invalid"),
        ("/gameData/status", "str", "invalid"),
    }
    assert feed.live_data is not None and feed.live_data.linescore is not None
    assert feed.live_data.linescore.outs is None
    assert feed.live_data.linescore.current_inning == 9  # the rest is intact
    assert feed.live_data.plays is not None
    assert len(feed.live_data.plays.all_plays) == 68
    assert feed.live_data.plays.all_plays[3].about is not None
    assert feed.live_data.plays.all_plays[3].about.inning is None
    assert feed.live_data.plays.all_plays[4].about is not None
    assert feed.live_data.plays.all_plays[4].about.inning == 1
    assert feed.game_data is not None and feed.game_data.status is None


@pytest.mark.parametrize("answer", [[], [{"diff": []}], "oops", None])
def test_an_answer_of_the_wrong_shape_is_one_clear_error(answer: Any) -> None:
    with pytest.raises(ShapeError, match="LiveFeed: answer has the wrong shape"):
        parse_tolerant(LiveFeed, answer)
