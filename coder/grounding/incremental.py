"""Reparse a new version of a file from the previous version's tree.

Between two keystrokes a buffer differs in one small span. Telling tree-sitter
about that span (``Tree.edit``) lets it reuse the old tree and reparse only around
the edit, which is several times faster than parsing a large file from scratch.
The old tree is copied first: the previous version may still be in use.
"""

from __future__ import annotations

import tree_sitter


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix (binary search over slice compares)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix not reaching into the first ``limit`` bytes."""
    low, high = 0, min(len(a), len(b)) - limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return max(0, low)


def _point(source: bytes, offset: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, offset)
    line_start = source.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


def parse(
    parser: tree_sitter.Parser, source: bytes, old_source: bytes | None, old_tree: tree_sitter.Tree | None
) -> tree_sitter.Tree:
    """Parse ``source``, reusing ``old_tree`` (the parse of ``old_source``) when given."""
    if old_tree is None or old_source is None:
        return parser.parse(source)
    start = common_prefix(old_source, source)
    suffix = common_suffix(old_source, source, start)
    old_end = len(old_source) - suffix
    new_end = len(source) - suffix
    tree = old_tree.copy()
    tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(source, start),
        old_end_point=_point(old_source, old_end),
        new_end_point=_point(source, new_end),
    )
    return parser.parse(source, tree)
