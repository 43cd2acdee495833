"""The API's ``fields`` parameter: keep only the keys it names, at any depth.

As the real API does (``fields=plays,score,teams`` on feed/live returns ``{}``), a key is kept
only when it is named and every key on the path to it is named too. A kept object is filtered
the same way (an object none of whose keys is named comes back empty); a kept list is filtered
element by element; a kept scalar is kept as it is. The replay server serves ``fields`` with
:func:`select_fields`; the merge check asks for the parts it compares with :func:`names_for`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def parse_fields(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def select_fields(doc: Any, names: frozenset[str]) -> Any:
    """``doc`` with only the named keys (lists are looked through, not named)."""
    if isinstance(doc, dict):
        return {key: select_fields(value, names) for key, value in doc.items() if key in names}
    if isinstance(doc, list):
        return [select_fields(item, names) for item in doc]
    return doc


def names_for(doc: Mapping[str, Any], paths: Iterable[tuple[str, ...]]) -> frozenset[str]:
    """The names a ``fields`` request needs to bring these parts of ``doc`` back whole: every
    key on each path and every key anywhere under it (other keys that happen to share those
    names come back too, on both sides of a comparison alike)."""
    names: set[str] = set()
    for path in paths:
        names.update(path)
        node: Any = doc
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        _collect(node, names)
    return frozenset(names)


def _collect(node: Any, names: set[str]) -> None:
    if isinstance(node, dict):
        names.update(node)
        for value in node.values():
            _collect(value, names)
    elif isinstance(node, list):
        for item in node:
            _collect(item, names)
