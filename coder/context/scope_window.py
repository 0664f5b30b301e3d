"""The headers of the definitions around the cursor, for a prefix window that elides.

When the prefix does not fit the budget, the window keeps its end; the lines that
say where that end is (``class Reader:``, ``def read(self, n):``) are often cut.
This module finds them: the definitions enclosing the cursor, from the language's
``coder/queries/<language>-scopes.scm`` (``@scope`` the definition, ``@body`` what
follows its header), and lays out the elided head of the window:

    class Reader(Base):
        # ...
        def read(self, n):
            # ...
            <the lines right before the cursor>

A definition encloses the cursor when it contains the last non-blank character
before it and its first line is indented less than the cursor's line: the second
test is what tells, in Python, that a dedented new line has left the function
(tree-sitter ends a function at its last statement, not at the cursor).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import tree_sitter

from coder.syntax.languages import grammar, new_parser

# TSX shares TypeScript's query: the node types it names are the same.
_QUERY_FILE = {"tsx": "typescript"}
OPENING_BRACKETS = ("{", "(", "[")


@dataclass(frozen=True)
class Header:
    """Whole lines of the prefix that open a definition enclosing the cursor."""

    start: int  # character offset in the prefix of its first line
    end: int  # offset just past its last line's newline
    text: str  # prefix[start:end]


@lru_cache(maxsize=None)
def scopes_query(language: str) -> tree_sitter.Query | None:
    lang = grammar(language)
    source = resources.files("coder").joinpath("queries", f"{_QUERY_FILE.get(language, language)}-scopes.scm")
    if lang is None or not source.is_file():
        return None
    try:
        return tree_sitter.Query(lang, source.read_text(encoding="utf-8"))
    except tree_sitter.QueryError:
        # A grammar wheel older or newer than the query (node types get renamed):
        # the window goes without headers rather than failing every completion.
        return None


def has_scopes(language: str) -> bool:
    return scopes_query(language) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _header_end_row(scope: tree_sitter.Node, body: tree_sitter.Node, row_text) -> int:
    """The last row of a definition's header; row_text(row) is that row's text."""
    row, byte_column = body.start_point
    if row == scope.start_point.row:
        return row  # `int f() {` or a one-line `def f(): pass`
    # A bracketed body on its own line (`{` under the signature) belongs to the
    # header; a Python block starts at its first statement, a row after it.
    first = row_text(row).encode("utf-8")[byte_column : byte_column + 1]
    return row if first.decode("latin-1") in OPENING_BRACKETS else row - 1


def enclosing_headers(
    language: str, text: str, prefix: str, cursor_line: str, tree: tree_sitter.Tree | None = None
) -> list[Header]:
    """Headers of the definitions enclosing the end of prefix, outermost first.

    ``prefix`` is ``text`` up to the cursor and ``cursor_line`` the cursor's whole
    line; ``tree`` a tree of ``text`` when the caller has one (else it is parsed
    here, once). Definitions whose header holds the cursor are left out: the
    window shows those lines anyway. Empty when the language has no scopes query."""
    query = scopes_query(language)
    end = len(prefix.rstrip())
    if query is None or end == 0:
        return []
    if tree is None:
        tree = new_parser(language).parse(text.encode("utf-8"))
    anchor = len(prefix[: end - 1].encode("utf-8"))  # the last non-blank character
    cursor_row = prefix.count("\n")
    line_head = prefix[prefix.rfind("\n") + 1 :]
    cursor_indent = _indent(cursor_line) if cursor_line.strip() else len(line_head)
    line_starts = _line_starts(prefix)

    def row_text(row: int) -> str:
        if row >= cursor_row:
            return cursor_line
        return prefix[line_starts[row] : line_starts[row + 1] - 1]

    cursor = tree_sitter.QueryCursor(query)
    cursor.set_byte_range(anchor, anchor + 1)
    headers: dict[int, Header] = {}
    for _, captures in cursor.matches(tree.root_node):
        scope, body = captures["scope"][0], captures["body"][0]
        if not scope.start_byte <= anchor < scope.end_byte:
            continue  # it only touches the range
        first, last = scope.start_point.row, _header_end_row(scope, body, row_text)
        if last >= cursor_row:
            continue
        start, stop = line_starts[first], line_starts[last + 1]
        if _indent(prefix[start:stop]) >= cursor_indent:
            continue
        headers[start] = Header(start, stop, prefix[start:stop])
    ordered: list[Header] = []
    for header in sorted(headers.values(), key=lambda h: h.start):
        if ordered and header.start < ordered[-1].end:
            continue  # two definitions opened on one line: keep the outer
        ordered.append(header)
    return ordered


def _line_starts(prefix: str) -> list[int]:
    starts, position = [0], prefix.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = prefix.find("\n", position + 1)
    return starts


def elided_head(prefix: str, headers: list[Header], tail_start: int, comment: str) -> str:
    """The headers, with a marker line wherever lines are left out, up to tail_start.

    Each marker is indented like the first non-blank line after the gap, so the
    model reads it as a comment inside the scope it elides."""
    parts: list[str] = []
    for index, header in enumerate(headers):
        parts.append(header.text)
        following = headers[index + 1].start if index + 1 < len(headers) else tail_start
        if following > header.end:
            parts.append(_marker(prefix, following, comment))
    return "".join(parts)


def _marker(prefix: str, position: int, comment: str) -> str:
    stop = prefix.find("\n", position)
    while stop >= 0 and not prefix[position:stop].strip():
        position, stop = stop + 1, prefix.find("\n", stop + 1)
    line = prefix[position:] if stop < 0 else prefix[position:stop]
    return f"{line[: _indent(line)]}{comment} ...\n"
