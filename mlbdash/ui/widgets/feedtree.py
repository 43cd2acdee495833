"""A browser of a stored feed that builds nodes only when they are expanded.

A full GUMBO feed is 0.5 to 2.5 MB of JSON; building every node up front takes seconds, so each
container node adds its children the first time it opens.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from mlbdash.mlb.text import terminal_safe

# Children beyond this are summarised in one node, so a huge list cannot stall a key press.
MAX_CHILDREN = 500
_PREVIEW = 60


def _label(key: str, value: Any) -> Text:
    # Keys come from the raw stored feed (values are shown through repr, which escapes).
    label = Text(terminal_safe(key), style="bold")
    if isinstance(value, dict):
        label.append(f"  {{{len(value)}}}", style="dim")
    elif isinstance(value, list):
        label.append(f"  [{len(value)}]", style="dim")
    else:
        shown = repr(value) if isinstance(value, str) else str(value)
        if value is None:
            shown = "null"
        elif isinstance(value, bool):
            shown = str(value).lower()
        if len(shown) > _PREVIEW:
            shown = shown[: _PREVIEW - 1] + "…"
        label.append(": ", style="dim")
        label.append(shown, style="green" if isinstance(value, str) else "cyan")
    return label


class FeedTree(Tree[Any]):
    """Keys and values of a JSON document; containers expand on demand."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("feed"), id=id)
        self._loaded: set[int] = set()

    def show_feed(self, feed: dict[str, Any] | None) -> None:
        self.clear()
        self._loaded.clear()
        if feed is None:
            self.root.set_label(Text("no stored feed for this game", style="dim"))
            self.root.allow_expand = False
            return
        self.root.set_label(_label("feed", feed))
        self.root.data = feed
        self._populate(self.root)
        self.root.expand()

    def _populate(self, node: TreeNode[Any]) -> None:
        if node.id in self._loaded:
            return
        self._loaded.add(node.id)
        value = node.data
        items: list[tuple[str, Any]]
        if isinstance(value, dict):
            items = [(str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            return
        for key, child in items[:MAX_CHILDREN]:
            container = isinstance(child, dict | list) and len(child) > 0
            if container:
                node.add(_label(key, child), data=child, allow_expand=True)
            else:
                node.add_leaf(_label(key, child), data=child)
        if len(items) > MAX_CHILDREN:
            node.add_leaf(Text(f"… {len(items) - MAX_CHILDREN} more not shown", style="dim"))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        event.stop()
        self._populate(event.node)
