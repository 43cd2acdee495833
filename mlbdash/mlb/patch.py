"""diffPatch answers: recognise their shape and apply their RFC 6902 blocks to a raw feed.

Why our own applier and not ``jsonpatch`` (1.48, installed): tried on the quirks below, it
raises ``JsonPatchConflict``/``JsonPatchPathNotFound`` on an ``add``/``replace`` at an index past
an array's end and on a ``remove`` of a key that is not there, which real clients tolerate; its
``apply`` deep-copies the whole document per patch unless ``in_place`` is set, and every ``copy``
op goes through ``copy.deepcopy`` (slow on the 94-copy pitching-change diff). Subclassing its
operation classes to soften the quirks would lean on private internals. The applier below is
~100 lines: it patches the document in place and copies only the values an op inserts, with a
JSON-only copy that is several times faster than ``deepcopy``. Measured on the recorded 167-op
pitching-change diff over its 726 KB feed: 1.3 ms here, 22 ms for ``jsonpatch`` in place, 167 ms
for ``jsonpatch`` with its default copy (a ``deepcopy`` of the feed alone takes ~100 ms).

Tolerated quirks: ``add``/``replace`` at an index at or past the end appends; ``replace`` of a
missing object key sets it; ``remove`` of a missing key or index is skipped. Anything else that
does not fit (a path through a missing parent, a bad pointer, ``copy``/``move`` from nowhere, a
failed ``test``) raises ``PatchError``; the document may then be half patched and must be dropped.
"""

from __future__ import annotations

from typing import Any, Literal

DiffAnswerShape = Literal["blocks", "empty", "full"]

# Keys every whole feed has; the no-startTimecode answer lacks only ``copyright``.
_FEED_KEYS = ("gamePk", "metaData", "gameData", "liveData")


class PatchError(ValueError):
    """A diffPatch answer that cannot be applied or is not a known shape. (A ValueError: ``mlb``
    is pure and knows nothing of the CLI's errors; callers name the failure themselves.)"""


class DiffShapeError(PatchError):
    """A diffPatch answer in none of the three known shapes."""


class RetypedValue(PatchError):
    """An op that puts a string where a number was, or a number where a string was: how a
    number sent as a string (schema drift) shows in a patch. Raised only when asked
    (``check_types``): a follower doubts such a block, a rebuild of stored ops never does."""


def classify_diff_answer(body: object) -> DiffAnswerShape:
    """Say which of the three real shapes a diffPatch answer has.

    ``"blocks"``: a non-empty list of ``{"diff": [...]}``; ``"empty"``: ``[]``; ``"full"``: a
    whole feed object (client too far behind, or no startTimecode). Anything else raises
    ``DiffShapeError``.
    """
    if isinstance(body, list):
        if not body:
            return "empty"
        for block in body:
            if not (isinstance(block, dict) and isinstance(block.get("diff"), list)):
                raise DiffShapeError("diffPatch answer: a list whose items are not diff blocks")
        return "blocks"
    if isinstance(body, dict):
        if all(key in body for key in _FEED_KEYS):
            return "full"
        raise DiffShapeError("diffPatch answer: an object that is not a whole feed")
    raise DiffShapeError(f"diffPatch answer: unexpected {type(body).__name__}")


def last_block_timecode(blocks: list[Any]) -> str | None:
    """The ``/metaData/timeStamp`` the last block sets (usually its first op), if it sets one."""
    for block in reversed(blocks):
        for op in reversed(block.get("diff", [])):
            if (
                op.get("path") == "/metaData/timeStamp"
                and op.get("op") in ("replace", "add")
                and isinstance(op.get("value"), str)
            ):
                return str(op["value"])
    return None


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value, without ``deepcopy``'s memo bookkeeping."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def apply_diff_blocks(
    doc: dict[str, Any], blocks: list[Any], *, check_types: bool = False
) -> dict[str, Any]:
    """Apply every op of every block, oldest first, to ``doc`` in place and return it.

    The return value is the patched document (the same object unless an op replaced the root).
    ``check_types``: raise ``RetypedValue`` for an add or replace that turns a number held at
    that place (or by the item before it in a list) into a string, or a string into a number.
    """
    root: Any = doc
    for block in blocks:
        ops = block.get("diff") if isinstance(block, dict) else None
        if not isinstance(ops, list):
            raise PatchError("diff block without a 'diff' list")
        for index, op in enumerate(ops):
            try:
                root = _apply_op(root, op, check_types)
            except PatchError as exc:
                raise type(exc)(f"op {index} {_describe(op)}: {exc}") from None
    if not isinstance(root, dict):
        raise PatchError("patched document is no longer an object")
    return root


def _describe(op: object) -> str:
    if isinstance(op, dict):
        return f"{op.get('op')} {op.get('path')}"
    return repr(op)[:40]


def _split(pointer: object) -> list[str]:
    if not isinstance(pointer, str):
        raise PatchError("path is not a string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"bad pointer {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _index(token: str, size: int, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return size
    if not token.isdigit():
        raise PatchError(f"bad array index {token!r}")
    return int(token)


def _walk(root: Any, tokens: list[str]) -> Any:
    node = root
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"missing key {token!r} on the path")
            node = node[token]
        elif isinstance(node, list):
            index = _index(token, len(node), allow_end=False)
            if index >= len(node):
                raise PatchError(f"index {index} past the end on the path")
            node = node[index]
        else:
            raise PatchError(f"path goes through a {type(node).__name__}")
    return node


def _get(root: Any, pointer: object) -> Any:
    return _walk(root, _split(pointer))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _retyped(old: Any, new: Any) -> bool:
    return (_number(old) and isinstance(new, str)) or (isinstance(old, str) and _number(new))


def _add(root: Any, tokens: list[str], value: Any, *, replace: bool, check: bool = False) -> Any:
    if not tokens:
        return value
    parent = _walk(root, tokens[:-1])
    leaf = tokens[-1]
    if isinstance(parent, dict):
        if check and leaf in parent and _retyped(parent[leaf], value):
            raise RetypedValue(f"{type(parent[leaf]).__name__} became {type(value).__name__}")
        parent[leaf] = value
    elif isinstance(parent, list):
        index = _index(leaf, len(parent), allow_end=True)
        if check and parent:
            # A list holds one kind of value: compare with the item replaced, or its neighbour.
            near = index if (replace and index < len(parent)) or index == 0 else index - 1
            held = parent[min(near, len(parent) - 1)]
            if _retyped(held, value):
                raise RetypedValue(f"{type(held).__name__} became {type(value).__name__}")
        if index >= len(parent):
            parent.append(value)  # MLB quirk: an index past the end means "append"
        elif replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    else:
        raise PatchError(f"parent is a {type(parent).__name__}")
    return root


def _remove(root: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _walk(root, tokens[:-1])
    leaf = tokens[-1]
    if isinstance(parent, dict):
        parent.pop(leaf, None)  # MLB quirk: removing a missing key is a no-op
    elif isinstance(parent, list):
        index = _index(leaf, len(parent), allow_end=False)
        if index < len(parent):
            del parent[index]
    else:
        raise PatchError(f"parent is a {type(parent).__name__}")
    return root


def _pop(root: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot move the whole document")
    parent = _walk(root, tokens[:-1])
    leaf = tokens[-1]
    if isinstance(parent, dict):
        if leaf not in parent:
            raise PatchError(f"move from a missing key {leaf!r}")
        return parent.pop(leaf)
    if isinstance(parent, list):
        index = _index(leaf, len(parent), allow_end=False)
        if index >= len(parent):
            raise PatchError(f"move from index {index} past the end")
        return parent.pop(index)
    raise PatchError(f"parent is a {type(parent).__name__}")


def _apply_op(root: Any, op: Any, check_types: bool = False) -> Any:
    if not isinstance(op, dict):
        raise PatchError("op is not an object")
    kind = op.get("op")
    tokens = _split(op.get("path"))
    if kind in ("add", "replace"):
        if "value" not in op:
            raise PatchError("no value")
        value = copy_json(op["value"])
        return _add(root, tokens, value, replace=kind == "replace", check=check_types)
    if kind == "remove":
        return _remove(root, tokens)
    if kind == "copy":
        return _add(root, tokens, copy_json(_get(root, op.get("from"))), replace=False)
    if kind == "move":
        source = _split(op.get("from"))
        if tokens[: len(source)] == source and tokens != source:
            raise PatchError("move into its own child")
        if tokens == source:
            return root
        return _add(root, tokens, _pop(root, source), replace=False)
    if kind == "test":
        if _walk(root, tokens) != op.get("value"):
            raise PatchError("test failed")
        return root
    raise PatchError(f"unknown op {kind!r}")
