"""The diff generator: its ops, applied by mlbdash's RFC 6902 applier, rebuild the target."""

from __future__ import annotations

from typing import Any

import pytest

from mlbdash.mlb.patch import apply_diff_blocks, copy_json
from mlbdash.replay.jsondiff import diff

CASES: list[tuple[Any, Any]] = [
    ({"a": 1, "b": [1, 2, 3]}, {"a": 2, "b": [1, 2], "c": {"d": None}}),
    ({"list": [1]}, {"list": [1, {"x": 2}, [3]]}),
    ({"flag": 1}, {"flag": True}),
    ({"n": 1}, {"n": 1.0}),
    ({"a/b": 1, "c~d": 2}, {"a/b": 3}),
    ({"x": {"y": [1, 2]}}, {"x": [1, 2]}),
    ({"keep": [{"k": 1}, {"k": 2}]}, {"keep": [{"k": 1, "j": 0}]}),
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_ops_turn_old_into_new(old: Any, new: Any) -> None:
    patched = apply_diff_blocks(copy_json(old), [{"diff": diff(old, new)}])
    assert patched == new
    assert type(patched.get("flag", patched.get("n"))) is type(new.get("flag", new.get("n")))


def test_shared_subtrees_cost_nothing_and_equal_docs_give_no_ops() -> None:
    shared = {"players": {"ID1": {"fullName": "A"}}}
    assert diff({"s": shared, "t": 1}, {"s": shared, "t": 2}) == [
        {"op": "replace", "path": "/t", "value": 2}
    ]
    assert diff({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []


def test_lists_shrink_from_the_end() -> None:
    ops = diff([1, 2, 3, 4], [1])
    assert [op["path"] for op in ops] == ["/3", "/2", "/1"]
