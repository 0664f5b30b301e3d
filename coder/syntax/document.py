"""An open document: its text and a tree-sitter tree kept current edit by edit.

Each edit is applied to the text and to the old tree (``Tree.edit``), and the new
tree is parsed with the old one as a guide, so a keystroke reparses only what
changed. Positions are LSP-style: 0-based lines and columns counted in characters;
tree-sitter wants byte offsets and byte columns, converted here.
"""

from __future__ import annotations

import tree_sitter

from coder.syntax.languages import new_parser


class Document:
    def __init__(self, text: str, language: str):
        self.language = language
        self.text = text
        self._parser = new_parser(language)
        self._data = text.encode("utf-8")
        self.tree: tree_sitter.Tree | None = self._parser.parse(self._data) if self._parser else None

    # -- positions -------------------------------------------------------------

    def offset_at(self, line: int, column: int) -> int:
        """Character offset of a 0-based (line, column); clamped to the text."""
        start = 0
        for _ in range(line):
            newline = self.text.find("\n", start)
            if newline < 0:
                return len(self.text)
            start = newline + 1
        end = self.text.find("\n", start)
        end = len(self.text) if end < 0 else end
        return min(start + max(column, 0), end)

    def position_at(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return line, offset - line_start

    def _point(self, offset: int) -> tuple[int, tuple[int, int]]:
        """Byte offset and tree-sitter point (row, byte column) of a character offset."""
        line, column = self.position_at(offset)
        line_start = offset - column
        byte_column = len(self.text[line_start:offset].encode("utf-8"))
        return len(self.text[:offset].encode("utf-8")), (line, byte_column)

    # -- edits -----------------------------------------------------------------

    def apply_edit(self, start_line: int, start_col: int, end_line: int, end_col: int, new_text: str) -> None:
        """Replace the range with new_text and reparse incrementally."""
        start = self.offset_at(start_line, start_col)
        end = max(start, self.offset_at(end_line, end_col))
        start_byte, start_point = self._point(start)
        old_end_byte, old_end_point = self._point(end)
        self.text = self.text[:start] + new_text + self.text[end:]
        new_end_byte, new_end_point = self._point(start + len(new_text))
        self._data = self.text.encode("utf-8")
        if self.tree is None:
            return
        self.tree.edit(
            start_byte=start_byte,
            old_end_byte=old_end_byte,
            new_end_byte=new_end_byte,
            start_point=start_point,
            old_end_point=old_end_point,
            new_end_point=new_end_point,
        )
        self.tree = self._parser.parse(self._data, self.tree)

    def replace_text(self, text: str) -> None:
        """A whole new text (an editor's full sync): a fresh parse."""
        self.text = text
        self._data = text.encode("utf-8")
        self.tree = self._parser.parse(self._data) if self._parser else None

    def node_at(self, line: int, column: int) -> tree_sitter.Node | None:
        """The smallest named node at a position, or None for plain text."""
        if self.tree is None:
            return None
        _, point = self._point(self.offset_at(line, column))
        return self.tree.root_node.named_descendant_for_point_range(point, point)
