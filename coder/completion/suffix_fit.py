"""Does a suggestion fit the code after the cursor? (For models that cannot see it.)

A prefix-only model writes what would come next if the file ended at the cursor. When
the file goes on, its continuation can clash with what follows: a line the next line
already holds, a statement that breaks the syntax the rest of the file had. The test
is local and cheap: the lines around the cursor are parsed with tree-sitter twice,
without and with the suggestion, and the suggestion fits when it adds no syntax
errors. Repeating the next line of the file is checked apart: it is wrong for every
model, FIM ones included.
"""

from __future__ import annotations

from functools import lru_cache

import tree_sitter

from coder.syntax.languages import new_parser

LINES_BEFORE = 80
LINES_AFTER = 40


@lru_cache(maxsize=None)
def _parser(language: str) -> tree_sitter.Parser | None:
    # One parser per language; the engine runs requests one at a time.
    return new_parser(language)


def _errors(parser: tree_sitter.Parser, data: bytes) -> list[tuple[int, int]]:
    """Byte spans of the ERROR and MISSING nodes (an ERROR's insides count as it)."""
    tree = parser.parse(data)
    spans: list[tuple[int, int]] = []
    if not tree.root_node.has_error:
        return spans
    pending = [tree.root_node]
    while pending:
        node = pending.pop()
        if node.is_error or node.is_missing:
            spans.append((node.start_byte, node.end_byte))
        elif node.has_error:
            pending.extend(node.children)
    return spans


def _covered(spans: list[tuple[int, int]], skip: tuple[int, int] = (0, 0)) -> int:
    """Bytes inside error spans, leaving out the ``skip`` span (the inserted text)."""
    total = 0
    for start, end in spans:
        total += end - start - max(0, min(end, skip[1]) - max(start, skip[0]))
    return total


def _window(prefix: str, suffix: str) -> tuple[str, str]:
    """The last lines of the prefix and the first of the suffix, starting the window
    on an unindented line where one is near, so it parses as the file would."""
    head = prefix.split("\n")
    start = max(0, len(head) - LINES_BEFORE)
    for number in range(start, len(head) - 1):
        line = head[number]
        if line and not line[0].isspace():
            start = number
            break
    return "\n".join(head[start:]), "\n".join(suffix.split("\n")[:LINES_AFTER])


def repeats_next_line(suggestion: str, prefix: str, suffix: str) -> bool:
    """The suggestion's last line is the line right below the cursor's line (the model
    wrote what the file already says next)."""
    rest_of_line, _, below = suffix.partition("\n")
    if rest_of_line.strip():
        return False
    # Indentation counts: the same statement one block deeper is not a copy of the
    # next line (`return y - 1` inside the `if` above a `return y - 1` after it).
    following = next((l.rstrip() for l in below.split("\n") if l.strip()), "")
    current = prefix.rsplit("\n", 1)[-1]
    written = (current + suggestion).rstrip().rsplit("\n", 1)[-1]
    return bool(following.strip()) and written == following


def keeps_syntax(suggestion: str, *, language: str, prefix: str, suffix: str) -> bool:
    """True when inserting the suggestion adds no syntax error around the cursor (or
    the language has no grammar here, or nothing follows the cursor)."""
    parser = _parser(language)
    if parser is None or not suggestion.strip() or not suffix.strip():
        return True
    before, after = _window(prefix, suffix)
    head = before.encode("utf-8")
    inserted = suggestion.encode("utf-8")
    tail = after.encode("utf-8")
    without = _errors(parser, head + tail)
    with_it = _errors(parser, head + inserted + tail)
    # Fewer or as many errors, and none reaching further into the code around: a
    # suggestion that opens a bracket it never closes turns the lines after it into
    # an error even when the count stays the same.
    return len(with_it) <= len(without) and _covered(with_it, (len(head), len(head) + len(inserted))) <= _covered(without)
