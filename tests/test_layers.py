"""Layer contracts, read from the source: no import loop, no arrow back up, ingest/ in layers.

Every ``import`` counts, wherever it is written: at the top, inside a function, or under
``TYPE_CHECKING`` (a type-only import still ties two modules together for a reader). The
graph is built from the files with ``ast``, so a lazy import cannot hide an arrow.
(tests/test_architecture.py checks what really gets imported at run time.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[1]

# The inner packages and modules of mlbdash/ingest, top layer first. A part may import parts of
# lower layers only; parts sharing a layer are independent of each other.
INGEST_LAYERS: tuple[tuple[str, ...], ...] = (
    ("runtime",),
    ("report", "history"),
    ("scheduler",),
    ("monitor", "validator", "audit"),
    ("store", "follower", "push"),
    ("client",),
    ("retry", "budget", "cache", "replay_clock", "causes"),
    ("findings", "events", "errors"),
    ("views",),  # the records shown (a game's row): the GameUpdated event carries one
)


@cache
def modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "mlbdash").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str) -> str | None:
    """The mlbdash module an imported name lives in (a name in a package: the package)."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (found := _known(alias.name)) is not None:
                    yield found
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                if node.level > 1:
                    parent = parent[: -(node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found = full if full in modules() else _known(base)
                if found is not None:
                    yield found


@cache
def graph() -> dict[str, frozenset[str]]:
    return {
        module: frozenset(set(_imports(module, path)) - {module})
        for module, path in modules().items()
    }


def _cycles() -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _arrows(source: str, target: str) -> list[str]:
    def inside(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    return sorted(
        f"{module} -> {imported}"
        for module, imported_set in graph().items()
        if inside(module, source)
        for imported in imported_set
        if inside(imported, target)
    )


def test_the_graph_sees_the_imports() -> None:
    """Control: known arrows are in the graph, a type-only one too."""
    edges = graph()
    assert "mlbdash.ingest.follower" in edges["mlbdash.ingest.runtime.versions"]
    assert "mlbdash.ingest.scheduler.core" in edges["mlbdash.ingest.scheduler.views"]


def test_no_import_loop_anywhere() -> None:
    assert _cycles() == []


def test_no_arrow_back_up() -> None:
    assert _arrows("mlbdash.commands", "mlbdash.cli") == []
    assert _arrows("mlbdash.mlb", "mlbdash.errors") == []
    for outside in ("mlbdash.ingest", "mlbdash.replay", "mlbdash.ui", "mlbdash.commands"):
        assert _arrows("mlbdash.mlb", outside) == []


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["mlbdash", "ingest"] else None


def test_every_ingest_part_has_a_layer() -> None:
    layered = {part for layer in INGEST_LAYERS for part in layer}
    parts = {p for m in modules() if (p := _part(m)) is not None}
    assert parts - layered == set(), "add the new part of ingest/ to INGEST_LAYERS"


def test_ingest_parts_import_only_lower_layers() -> None:
    level = {part: i for i, layer in enumerate(INGEST_LAYERS) for part in layer}
    wrong = []
    for module, imported in graph().items():
        source = _part(module)
        if source is None or source not in level:
            continue
        for target in imported:
            part = _part(target)
            if part is None or part == source or part not in level:
                continue
            if level[part] <= level[source]:
                wrong.append(f"{module} -> {target}")
    assert sorted(wrong) == []


def _runtime_trees() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted((ROOT / "mlbdash" / "ingest" / "runtime").glob("*.py")):
        yield path.name, ast.parse(path.read_text(encoding="utf-8"))


def test_runtime_parts_are_composed_not_inherited() -> None:
    """No class of ingest/runtime derives from another class: the parts share one explicit
    RuntimeState handed to each, so a chain of mixins sharing attributes cannot return."""
    derived = [
        f"{name}: {node.name}({', '.join(ast.unparse(base) for base in node.bases)})"
        for name, tree in _runtime_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.bases
    ]
    assert derived == []


def test_runtime_parts_touch_no_private_attribute_but_their_own() -> None:
    """``x._name`` only on ``self``: a part reads another part's or the state's public face."""
    reaching = [
        f"{name}:{node.lineno}: {ast.unparse(node)}"
        for name, tree in _runtime_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert reaching == []
