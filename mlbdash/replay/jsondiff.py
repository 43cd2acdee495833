"""A small, fast JSON diff that emits RFC 6902 ``replace``/``add``/``remove`` operations.

Objects are compared key by key, arrays index by index (elements added or removed at the end),
which is how a live feed grows. Subtrees that are the same Python object are skipped without
being walked: replay versions share every unchanged part with the recorded feed, so a diff
between two consecutive versions costs about as much as what changed.
"""

from __future__ import annotations

from typing import Any

JsonOp = dict[str, Any]


def escape_pointer_token(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def diff(old: Any, new: Any, path: str = "") -> list[JsonOp]:
    """Operations that turn ``old`` into ``new`` when applied in order by an RFC 6902 patcher."""
    ops: list[JsonOp] = []
    _diff(old, new, path, ops)
    return ops


def _same_scalar(a: Any, b: Any) -> bool:
    # True == 1 and 1 == 1.0 in Python, but not in JSON text: compare types too.
    return type(a) is type(b) and a == b


def _diff(old: Any, new: Any, path: str, ops: list[JsonOp]) -> None:
    if old is new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                ops.append({"op": "remove", "path": f"{path}/{escape_pointer_token(key)}"})
        for key, value in new.items():
            child = f"{path}/{escape_pointer_token(key)}"
            if key in old:
                _diff(old[key], value, child, ops)
            else:
                ops.append({"op": "add", "path": child, "value": value})
        return
    if isinstance(old, list) and isinstance(new, list):
        common = min(len(old), len(new))
        for index in range(common):
            _diff(old[index], new[index], f"{path}/{index}", ops)
        # Remove from the end backwards so each index is valid when its op applies.
        for index in range(len(old) - 1, common - 1, -1):
            ops.append({"op": "remove", "path": f"{path}/{index}"})
        for index in range(common, len(new)):
            ops.append({"op": "add", "path": f"{path}/{index}", "value": new[index]})
        return
    if isinstance(old, dict | list) or isinstance(new, dict | list) or not _same_scalar(old, new):
        ops.append({"op": "replace", "path": path, "value": new})
