"""The API's ``fields`` parameter: keep only the keys it names, at any depth.

As the real API does (``fields=plays,score,teams`` on feed/live returns ``{}``), a key is kept
only when it is named and every key on the path to it is named too. A kept object is filtered
the same way (an object none of whose keys is named comes back empty); a kept list is filtered
element by element; a kept scalar is kept as it is.
"""

from __future__ import annotations

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
