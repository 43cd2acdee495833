"""The store is the only module that runs SQL: others call its named reads and writes.

Scans the source with ``ast`` for a call of ``execute``, ``executemany`` or ``executescript``
(on any object) in mlbdash/ outside mlbdash/ingest/store/.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "mlbdash"
STORE = PACKAGE / "ingest" / "store"
SQL_CALLS = frozenset({"execute", "executemany", "executescript"})


def sql_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SQL_CALLS
    ]


def test_no_sql_outside_the_store() -> None:
    outside = [
        call
        for path in sorted(PACKAGE.rglob("*.py"))
        if STORE not in path.parents
        for call in sql_calls(path)
    ]
    assert outside == []


def test_the_scan_sees_the_store_s_own_sql() -> None:
    """Control: the store does run SQL, and the scan finds it."""
    assert any(sql_calls(path) for path in STORE.rglob("*.py"))
