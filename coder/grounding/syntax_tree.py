"""Small questions about a tree-sitter tree, shared by the resolvers and the check."""

from __future__ import annotations

import tree_sitter


def inside_node_of_type(tree: tree_sitter.Tree, offset: int, types: tuple[str, ...]) -> bool:
    """Whether the byte offset sits inside a node of one of ``types`` (strings, comments)."""
    node = tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None:
        if node.type in types:
            return True
        node = node.parent
    return False


def nodes_in_range(tree: tree_sitter.Tree, start: int, end: int, types: tuple[str, ...]) -> list[tree_sitter.Node]:
    """Nodes of the given types that overlap [start, end), in source order.

    Walks with a cursor and skips every subtree outside the range, so a small range
    in a large file costs little.
    """
    cursor = tree.walk()
    found = []
    while True:
        node = cursor.node
        overlaps = node.start_byte < end and node.end_byte > start
        if overlaps and node.type in types:
            found.append(node)
        if overlaps and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


def text_of(node: tree_sitter.Node | None) -> str:
    """A node's source text ("" for no node)."""
    return node.text.decode("utf-8", "replace") if node is not None else ""
