"""diffPatch shapes and the tolerant applier, on the recorded MLB pairs and on each quirk."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from mlbdash.mlb.patch import (
    DiffShapeError,
    PatchError,
    RetypedValue,
    apply_diff_blocks,
    classify_diff_answer,
    copy_json,
    last_block_timecode,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(relative: str) -> Any:
    path = FIXTURES / relative
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(raw)


def test_count_change_pair_lands_on_041302_with_count_1_2_two_outs() -> None:
    feed = load("feed/feed_746139_live_t7_20240612_041248.json.gz")
    blocks = load("diffpatch/diffpatch_746139_20240612_041248_to_041302.json")
    assert classify_diff_answer(blocks) == "blocks"
    assert last_block_timecode(blocks) == "20240612_041302"

    out = apply_diff_blocks(feed, blocks)

    assert out["metaData"]["timeStamp"] == "20240612_041302"
    linescore = out["liveData"]["linescore"]
    assert (linescore["balls"], linescore["strikes"], linescore["outs"]) == (1, 2, 2)
    assert out["liveData"]["plays"]["currentPlay"]["count"] == {
        "balls": 1,
        "strikes": 2,
        "outs": 2,
    }
    assert out["metaData"]["logicalEvents"] == ["countChange", "count12"]


def test_pitching_change_pair_lands_on_042758_with_new_pitcher() -> None:
    feed = load("feed/feed_746139_live_b7_20240612_042717.json.gz")
    before = feed["liveData"]["linescore"]["defense"]["pitcher"]["id"]
    blocks = load("diffpatch/diffpatch_746139_20240612_042717_to_042758.json")
    ops = [op["op"] for op in blocks[0]["diff"]]
    assert ops.count("copy") == 94 and ops.count("move") == 1

    out = apply_diff_blocks(feed, blocks)

    assert out["metaData"]["timeStamp"] == "20240612_042758"
    assert out["metaData"]["gameEvents"] == ["pitching_substitution"]
    pitcher = out["liveData"]["linescore"]["defense"]["pitcher"]
    assert pitcher["id"] != before
    assert pitcher["fullName"] == "Andrew Knizner"


def test_copied_values_are_independent_of_their_source() -> None:
    doc: dict[str, Any] = {"a": {"n": [1]}, "b": None}
    apply_diff_blocks(doc, [{"diff": [{"op": "copy", "from": "/a", "path": "/b"}]}])
    doc["a"]["n"].append(2)
    assert doc["b"] == {"n": [1]}


def test_no_start_answer_is_a_whole_feed() -> None:
    body = load("diffpatch/diffpatch_776567_noparams_fullgame.json.gz")
    assert "copyright" not in body
    assert classify_diff_answer(body) == "full"


def test_empty_answer_is_empty() -> None:
    body = load("diffpatch/diffpatch_776567_20230827_153000_to_154000_empty.json")
    assert body == []
    assert classify_diff_answer(body) == "empty"
    assert last_block_timecode([]) is None


@pytest.mark.parametrize(
    "body",
    [{"message": "Internal error"}, [{"op": "add"}], [1, 2], "text", None, 3],
    ids=["error-object", "bare-ops", "numbers", "string", "null", "number"],
)
def test_unknown_shapes_are_typed_errors(body: object) -> None:
    with pytest.raises(DiffShapeError):
        classify_diff_answer(body)


def patch(doc: dict[str, Any], *ops: dict[str, Any]) -> dict[str, Any]:
    return apply_diff_blocks(doc, [{"diff": list(ops)}])


def test_add_past_the_end_appends() -> None:
    doc = patch({"a": [1, 2]}, {"op": "add", "path": "/a/7", "value": 3})
    assert doc == {"a": [1, 2, 3]}


def test_replace_past_the_end_appends() -> None:
    doc = patch({"a": [1]}, {"op": "replace", "path": "/a/1", "value": 9})
    assert doc == {"a": [1, 9]}


def test_add_inserts_and_dash_appends() -> None:
    doc = patch(
        {"a": [1, 3]},
        {"op": "add", "path": "/a/1", "value": 2},
        {"op": "add", "path": "/a/-", "value": 4},
    )
    assert doc == {"a": [1, 2, 3, 4]}


def test_remove_of_missing_key_or_index_is_skipped() -> None:
    doc = patch(
        {"a": {"x": 1}, "b": [1]},
        {"op": "remove", "path": "/a/y"},
        {"op": "remove", "path": "/b/4"},
        {"op": "remove", "path": "/a/x"},
    )
    assert doc == {"a": {}, "b": [1]}


def test_move_and_escaped_pointers() -> None:
    doc = patch(
        {"a/b": {"c~d": 1}, "x": [5, 6]},
        {"op": "move", "from": "/a~1b/c~0d", "path": "/x/0"},
        {"op": "test", "path": "/x", "value": [1, 5, 6]},
    )
    assert doc == {"a/b": {}, "x": [1, 5, 6]}


@pytest.mark.parametrize(
    "op",
    [
        {"op": "add", "path": "/missing/child", "value": 1},
        {"op": "replace", "path": "no-slash", "value": 1},
        {"op": "copy", "from": "/nowhere", "path": "/a"},
        {"op": "move", "from": "/a/9", "path": "/b"},
        {"op": "add", "path": "/a/x", "value": 1},
        {"op": "test", "path": "/a", "value": []},
        {"op": "frobnicate", "path": "/a"},
        {"op": "add", "path": "/a/0"},
        {"op": "move", "from": "/a", "path": "/a/0"},
        {"op": "remove", "path": ""},
    ],
    ids=[
        "missing-parent",
        "bad-pointer",
        "copy-from-nowhere",
        "move-from-past-end",
        "non-numeric-index",
        "test-failed",
        "unknown-op",
        "no-value",
        "move-into-child",
        "remove-root",
    ],
)
def test_inconsistent_ops_raise_patch_error(op: dict[str, Any]) -> None:
    with pytest.raises(PatchError, match="op 0"):
        patch({"a": [1], "b": 0}, op)


def test_block_without_diff_list_is_an_error() -> None:
    with pytest.raises(PatchError):
        apply_diff_blocks({}, [{"nodiff": []}])


def test_copy_json_copies_nested_containers() -> None:
    value = {"a": [{"b": 1}]}
    copied = copy_json(value)
    assert copied == value and copied["a"][0] is not value["a"][0]


def test_check_types_doubts_a_number_sent_as_a_string_and_nothing_else() -> None:
    doc = {"outs": 1, "name": "Ohtani", "pitchIndex": [0, 1], "innings": []}
    retyped = [
        {"op": "replace", "path": "/outs", "value": "2"},
        {"op": "add", "path": "/name", "value": 7},
        {"op": "add", "path": "/pitchIndex/2", "value": "2"},
        {"op": "replace", "path": "/pitchIndex/0", "value": "0"},
    ]
    for op in retyped:
        with pytest.raises(RetypedValue):
            apply_diff_blocks(json.loads(json.dumps(doc)), [{"diff": [op]}], check_types=True)
        # A rebuild of stored ops applies what was stored, whatever it holds.
        apply_diff_blocks(json.loads(json.dumps(doc)), [{"diff": [op]}])
    fine = [
        {"op": "replace", "path": "/outs", "value": 2},
        {"op": "add", "path": "/pitchIndex/2", "value": 2},
        {"op": "add", "path": "/innings/0", "value": {"num": 1}},
        {"op": "add", "path": "/new", "value": "7"},
        {"op": "replace", "path": "/name", "value": None},
    ]
    patched = apply_diff_blocks(doc, [{"diff": fine}], check_types=True)
    assert patched["pitchIndex"] == [0, 1, 2] and patched["name"] is None
