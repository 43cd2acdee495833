"""Game timelines: what each version of a replayed game shows, and that diffs chain exactly."""

from __future__ import annotations

from typing import Any

import pytest

from mlbdash.mlb.patch import apply_diff_blocks, copy_json
from mlbdash.replay.data import load_data
from mlbdash.replay.demo import demo_data_path
from mlbdash.replay.timeline import ClonedTimeline, FinalTimeline, Phase, RecordedTimeline

DEMO = load_data(demo_data_path())
FINALS = sorted(DEMO.finals)
HITS = {"single", "double", "triple", "home_run"}


@pytest.fixture(scope="module")
def timelines() -> dict[int, FinalTimeline]:
    return {pk: FinalTimeline(DEMO.finals[pk]) for pk in FINALS}


def _same(doc: Any, target: Any, before: Any, path: str, touched: set[str], hit: set[str]) -> bool:
    """``doc == target``, skipping subtrees no op touched whose target is the previous target.

    Exact, not sampled: the patched doc equalled the previous target everywhere, so a subtree
    no op reached still equals it, and it equals the new target when that is the same object.
    """
    if path in hit or path not in touched:
        return bool(target is before or doc == target)
    if isinstance(target, dict) and isinstance(doc, dict) and isinstance(before, dict):
        if doc.keys() != target.keys():
            return False
        return all(
            _same(doc[k], target[k], before.get(k), f"{path}/{k}", touched, hit) for k in target
        )
    if isinstance(target, list) and isinstance(doc, list) and isinstance(before, list):
        if len(doc) != len(target):
            return False
        return all(
            _same(d, t, before[i] if i < len(before) else None, f"{path}/{i}", touched, hit)
            for i, (d, t) in enumerate(zip(doc, target, strict=True))
        )
    return bool(doc == target)


def _chain_check(timeline: Any) -> int:
    doc = copy_json(timeline.build(0))
    for index in range(len(timeline.times) - 1):
        ops = timeline.diff_ops(index)
        assert ops[0] == {
            "op": "replace",
            "path": "/metaData/timeStamp",
            "value": timeline.timecode(index + 1),
        }
        doc = apply_diff_blocks(doc, [{"diff": ops}])
        hit = {op["path"] for op in ops}
        touched = {""} | {
            p[:i] for p in hit for i in range(1, len(p) + 1) if p[i : i + 1] in ("/", "")
        }
        before, target = timeline.build(index), timeline.build(index + 1)
        assert _same(doc, target, before, "", touched, hit), f"version {index + 1}"
    assert doc == timeline.build(len(timeline.times) - 1)
    return len(timeline.times)


@pytest.mark.parametrize("game_pk", FINALS)
def test_diffs_chain_to_every_version_exactly(
    timelines: dict[int, FinalTimeline], game_pk: int
) -> None:
    assert _chain_check(timelines[game_pk]) > 300


@pytest.mark.parametrize("game_pk", sorted(DEMO.snapshots))
def test_recorded_snapshot_games_are_served_as_recorded(game_pk: int) -> None:
    timeline = RecordedTimeline(DEMO.snapshots[game_pk])
    assert timeline.build(0) is DEMO.snapshots[game_pk][0]
    assert timeline.timecode(0) == DEMO.snapshots[game_pk][0]["metaData"]["timeStamp"]


def test_clone_chain_applies_and_carries_its_own_game_pk(
    timelines: dict[int, FinalTimeline],
) -> None:
    clone = ClonedTimeline(timelines[744914], 9_000_001, 3600)
    first = clone.build(0)
    assert first["gamePk"] == 9_000_001
    assert first["gameData"]["game"]["pk"] == 9_000_001
    assert clone.times[0] == timelines[744914].times[0] + 3600
    final = clone.build(len(clone.times) - 1)
    assert final["liveData"] is DEMO.finals[744914]["liveData"]
    doc = copy_json(first)
    for index in range(40):
        doc = apply_diff_blocks(doc, [{"diff": clone.diff_ops(index)}])
    assert doc == clone.build(40)


@pytest.mark.parametrize("game_pk", FINALS)
def test_status_goes_scheduled_pregame_warmup_live_final(
    timelines: dict[int, FinalTimeline], game_pk: int
) -> None:
    timeline = timelines[game_pk]
    states: list[str] = []
    for index in range(len(timeline.times)):
        state = timeline.status(index)["detailedState"]
        if not states or states[-1] != state:
            states.append(state)
    assert states == ["Scheduled", "Pre-Game", "Warmup", "In Progress", "Final"]
    assert list(timeline.times) == sorted(set(timeline.times)), "timecodes strictly increase"
    final = timeline.build(len(timeline.times) - 1)
    assert final is DEMO.finals[game_pk], "the final version is the recorded feed itself"
    assert timeline.timecode(len(timeline.times) - 1) == final["metaData"]["timeStamp"]


def _mid_game(timeline: FinalTimeline) -> tuple[int, dict[str, Any]]:
    live = [i for i, v in enumerate(timeline.versions) if v.phase is Phase.LIVE]
    index = live[len(live) // 2]
    while timeline.versions[index].complete:
        index += 1
    return index, timeline.build(index)


@pytest.mark.parametrize("game_pk", FINALS)
def test_mid_game_version_shows_only_what_happened_so_far(
    timelines: dict[int, FinalTimeline], game_pk: int
) -> None:
    index, doc = _mid_game(timelines[game_pk])
    plays = doc["liveData"]["plays"]["allPlays"]
    current = doc["liveData"]["plays"]["currentPlay"]
    assert current is plays[-1]
    assert current["about"]["isComplete"] is False
    assert "event" not in current["result"] and "description" not in current["result"]
    recorded = DEMO.finals[game_pk]["liveData"]["plays"]["allPlays"]
    assert len(plays) < len(recorded)
    assert len(current["playEvents"]) <= len(recorded[len(plays) - 1]["playEvents"])
    line = doc["liveData"]["linescore"]
    done = [p for p in plays if p["about"]["isComplete"]]
    last = done[-1]["result"]
    assert line["teams"]["away"]["runs"] == current["result"]["awayScore"] >= last["awayScore"]
    assert line["teams"]["home"]["runs"] == current["result"]["homeScore"] >= last["homeScore"]
    for side in ("away", "home"):
        innings = sum(inning[side].get("runs", 0) for inning in line["innings"])
        assert innings == line["teams"][side]["runs"]
        hits = sum(
            1
            for p in done
            if p["result"].get("eventType") in HITS
            and p["about"]["isTopInning"] == (side == "away")
        )
        assert line["teams"][side]["hits"] == hits
        batting = doc["liveData"]["boxscore"]["teams"][side]["teamStats"]["batting"]
        assert batting == {"runs": line["teams"][side]["runs"], "hits": hits}
    assert line["currentInning"] == current["about"]["inning"]
    assert line["isTopInning"] == current["about"]["isTopInning"]
    if current["playEvents"]:
        count = current["playEvents"][-1]["count"]
        assert (line["balls"], line["strikes"], line["outs"]) == (
            count["balls"],
            count["strikes"],
            count["outs"],
        )
    if line["isTopInning"]:
        assert "runs" not in line["innings"][-1]["home"], "an unplayed half has no runs key"
    # What only exists at the end of the game is not shown with its end-of-game value.
    assert "decisions" not in doc["liveData"] and "leaders" not in doc["liveData"]
    assert "players" not in doc["liveData"]["boxscore"]["teams"]["home"]
    assert "attendance" not in doc["gameData"].get("gameInfo", {})
    assert doc["gameData"]["status"]["detailedState"] == "In Progress"
    assert doc["metaData"]["timeStamp"] == timelines[game_pk].timecode(index)


@pytest.mark.parametrize("game_pk", FINALS)
def test_last_live_version_agrees_with_the_recorded_linescore(
    timelines: dict[int, FinalTimeline], game_pk: int
) -> None:
    timeline = timelines[game_pk]
    before_final = timeline.build(len(timeline.times) - 2)["liveData"]["linescore"]
    recorded = DEMO.finals[game_pk]["liveData"]["linescore"]
    for key in ("runs", "hits", "errors"):
        for side in ("away", "home"):
            assert before_final["teams"][side][key] == recorded["teams"][side][key]
            assert [i[side].get(key) for i in before_final["innings"]] == [
                i[side].get(key) for i in recorded["innings"]
            ]


def test_pregame_versions_have_no_plays_or_score(timelines: dict[int, FinalTimeline]) -> None:
    doc = timelines[744914].build(1)
    assert doc["gameData"]["status"]["detailedState"] == "Pre-Game"
    assert doc["liveData"]["plays"]["allPlays"] == []
    assert doc["liveData"]["linescore"]["innings"] == []
    assert "currentPlay" not in doc["liveData"]["plays"]


def test_edited_versions_are_served_whole_and_as_diffs_that_apply() -> None:
    from datetime import datetime

    from mlbdash.replay.edits import EditedTimeline, FeedEdit
    from mlbdash.replay.timeutil import from_epoch

    base = FinalTimeline(DEMO.finals[744914])
    moments = base.times
    start: datetime = from_epoch(moments[10])
    end: datetime = from_epoch(moments[12])

    def mark(feed: dict[str, Any]) -> dict[str, Any]:
        return {**feed, "gameData": {**feed["gameData"], "edited": True}}

    timeline = EditedTimeline(base, [FeedEdit(start, end, mark, "marked")])
    assert "edited" not in timeline.build(9)["gameData"]
    assert timeline.build(10)["gameData"]["edited"] is True
    assert timeline.build(11)["gameData"]["edited"] is True
    assert "edited" not in timeline.build(12)["gameData"]
    assert "edited" not in base.build(10)["gameData"], "the recording is not changed"
    doc = copy_json(timeline.build(8))
    for index in range(8, 13):
        doc = apply_diff_blocks(doc, [{"diff": timeline.diff_ops(index)}])
        assert doc == timeline.build(index + 1)
