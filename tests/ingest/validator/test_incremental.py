"""A diff version derived again only where its ops wrote gives what reading it whole gives.

The facts (``version_facts(before=, touched=)``) and the validator's parts and findings
(``PartsCache``) of every version of a real game, each derived from the version before and
its diff block, are compared with a reading of the whole feed: over the replay server's
versions of a recorded final game, over MLB's own diffPatch blocks (copy and move ops), and
over ops that insert into or remove from ``allPlays`` (derived: written here, applied to a
real feed).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from conftest import load_fixture

from mlbdash.ingest.validator.consistency import FeedParts, PartsCache
from mlbdash.ingest.validator.service import FeedContext, check_version
from mlbdash.mlb.facts import version_facts
from mlbdash.mlb.patch import apply_diff_blocks
from mlbdash.mlb.touched import Touched
from mlbdash.replay.timeline import FinalTimeline


@functools.cache
def _cached(rel: str) -> Any:
    return load_fixture(rel)


def _parts_equal(cached: FeedParts, whole: FeedParts) -> None:
    assert cached.plays == whole.plays
    assert cached.halves == whole.halves
    assert cached.batting_sums == whole.batting_sums
    assert cached.players is whole.players and cached.linescore is whole.linescore


class _Follower:
    """Derives each version the way the runtime does: from the version before and its ops."""

    def __init__(self, feed: dict[str, Any]) -> None:
        self.feed = feed
        self.cache = PartsCache()
        self.facts = version_facts(feed)
        self.check = check_version(feed, context=FeedContext(full=False, parts=self.cache))

    def apply(self, blocks: list[Any]) -> None:
        self.feed = apply_diff_blocks(self.feed, blocks)
        touched = Touched.of(blocks)
        assert touched is not None
        previous = self.check.summary
        self.facts = version_facts(self.feed, before=self.facts, touched=touched)
        self.check = check_version(
            self.feed, context=FeedContext(previous=previous, parts=self.cache, touched=touched)
        )
        assert self.facts == version_facts(self.feed)
        assert self.check == check_version(self.feed, context=FeedContext(previous=previous))
        _parts_equal(
            self.cache.parts(self.feed, Touched(frozenset(), (), ())), FeedParts.of(self.feed)
        )


def test_every_version_of_a_recorded_game_reads_the_same_incrementally() -> None:
    timeline = FinalTimeline(_cached("feed/feed_718322_final.json.gz"))
    follower = _Follower(copy.deepcopy(timeline.build(0)))
    for index in range(len(timeline.times) - 1):
        follower.apply([{"diff": timeline.diff_ops(index)}])
    assert follower.facts.is_final and len(timeline.times) > 400
    assert follower.check.summary.plays == len(timeline.final["liveData"]["plays"]["allPlays"])


@pytest.mark.parametrize(
    ("base", "answer"),
    [
        (
            "feed/feed_746139_live_t7_20240612_041248.json.gz",
            "diffpatch/diffpatch_746139_20240612_041248_to_041302.json",
        ),
        (
            "feed/feed_746139_live_b7_20240612_042717.json.gz",
            "diffpatch/diffpatch_746139_20240612_042717_to_042758.json",
        ),
    ],
)
def test_mlb_diff_blocks_read_the_same_incrementally(base: str, answer: str) -> None:
    follower = _Follower(copy.deepcopy(_cached(base)))
    follower.apply(copy.deepcopy(_cached(answer)))


PLAYS = "/liveData/plays/allPlays"


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "remove", "path": f"{PLAYS}/3"}],
        [{"op": "add", "path": f"{PLAYS}/2", "value": {"result": {"awayScore": 7}}}],
        [{"op": "move", "from": f"{PLAYS}/10", "path": f"{PLAYS}/1"}],
        [{"op": "copy", "from": f"{PLAYS}/4", "path": f"{PLAYS}/0"}],
        [{"op": "replace", "path": f"{PLAYS}/5/about/halfInning", "value": "bottom"}],
        [{"op": "remove", "path": "/liveData/boxscore/teams/home/players/ID605141"}],
        [{"op": "replace", "path": "/liveData/plays", "value": {"allPlays": []}}],
        [{"op": "replace", "path": "/gameData/teams/away/abbreviation", "value": "XYZ"}],
    ],
)
def test_inserts_removals_and_whole_parts_read_the_same(ops: list[Any]) -> None:
    follower = _Follower(copy.deepcopy(_cached("feed/feed_744914_final.json.gz")))
    follower.apply([{"diff": ops}])


def test_touched_names_what_ops_wrote() -> None:
    touched = Touched.of(
        [
            {
                "diff": [
                    {"op": "replace", "path": "/liveData/plays/allPlays/7/count/outs"},
                    {"op": "add", "path": "/liveData/plays/allPlays/9"},
                    {"op": "test", "path": "/gameData"},
                    {"op": "move", "from": "/a~1b/2", "path": "/a~1b/0"},
                ]
            }
        ]
    )
    assert touched is not None
    assert touched.items(("liveData", "plays", "allPlays")) == {"7", "9"}
    assert touched.first_shift(("liveData", "plays", "allPlays")) == 9
    assert touched.first_shift(("a/b",)) == 0
    assert touched.items(("liveData", "plays", "allPlays", "7", "count", "outs")) is None
    assert touched.reaches(("liveData",)) and not touched.reaches(("gameData",))
    assert Touched.of([{"diff": [{"op": "add", "path": "no-slash"}]}]) is None
