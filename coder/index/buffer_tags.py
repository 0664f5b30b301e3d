"""Tags of an unsaved editor buffer, kept with its syntax tree so that each new
version is parsed incrementally and, where it is safe, queried only where it changed.

A keystroke changes one span of the text. The new tree comes from the old one
(tree-sitter's incremental parse). The part to query again is that span, widened to
whatever the parser saw change (``changed_ranges``) and then to the whole top-level
statements it touches; tags before it stay as they are, tags after it move by the
lines the edit added or removed. Python only, where the one tag that depends on
anything outside its own statement is a field (``self.x`` is tagged once per class
name): when the changed part has a field of a class whose name the file defines more
than once, the whole buffer is queried again.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from coder.index.tags import Spans, Tag, apply_edit, extract_spans, rows_to_tags, text_edit
from coder.syntax.languages import new_parser

RANGE_LANGUAGES = frozenset(("python",))


@dataclass
class BufferTags:
    path: str
    language: str
    source: bytes
    tree: object | None
    spans: Spans
    _tags: list[Tag] | None = field(default=None, repr=False)
    ranged: bool = False  # whether the last update re-queried only a range

    @property
    def tags(self) -> list[Tag]:
        """Definitions and references as Tags, in source order (made on first use)."""
        if self._tags is None:
            self._tags = rows_to_tags(self.spans.definitions, self.spans.references, self.path)
        return self._tags


def _empty() -> Spans:
    return Spans([], [], [], [])


def buffer_tags(path: str, language: str, source: bytes, previous: BufferTags | None = None,
                old_tree=None) -> BufferTags:
    """The tags of a buffer's text. ``previous``: the buffer's last version (its tree
    is edited in place and must not be used again); ``old_tree``: the caller's own
    tree of the previous text, already edited to match ``source``."""
    parser = new_parser(language)
    if parser is None:
        return BufferTags(path, language, source, None, _empty())
    if old_tree is not None:
        tree = parser.parse(source, old_tree)
        return BufferTags(path, language, source, tree, extract_spans(language, source, tree=tree) or _empty())
    if previous is None or previous.tree is None or previous.language != language:
        tree = parser.parse(source)
        return BufferTags(path, language, source, tree, extract_spans(language, source, tree=tree) or _empty())
    edit = text_edit(previous.source, source)
    if edit is None:
        return previous
    apply_edit(previous.tree, previous.source, source, edit)
    tree = parser.parse(source, previous.tree)
    if language in RANGE_LANGUAGES:
        spans = _requery(previous, tree, source, edit)
        if spans is not None:
            return BufferTags(path, language, source, tree, spans, ranged=True)
    return BufferTags(path, language, source, tree, extract_spans(language, source, tree=tree) or _empty())


def _region(old_tree, tree, edit: tuple[int, int, int]) -> tuple[int, int]:
    """The bytes of the new text to query again: the edit, what the parser saw
    change, and the whole top-level statements either touches."""
    start, _, new_end = edit
    low, high = start, new_end
    for changed in old_tree.changed_ranges(tree):
        low, high = min(low, changed.start_byte), max(high, changed.end_byte)
    region_low, region_high = low, high
    for child in tree.root_node.children:
        if child.end_byte < low:
            continue
        if child.start_byte > high:
            break
        region_low, region_high = min(region_low, child.start_byte), max(region_high, child.end_byte)
    return region_low, region_high


def _requery(previous: BufferTags, tree, source: bytes, edit: tuple[int, int, int]) -> Spans | None:
    start, old_end, new_end = edit
    shift = new_end - old_end
    lines = source.count(b"\n", start, new_end) - previous.source.count(b"\n", start, old_end)
    low, high = _region(previous.tree, tree, edit)
    old_high = high - shift  # the region's end in the old text (it lies after the edit)
    old_end_row = previous.source.count(b"\n", 0, old_end)
    old = previous.spans
    d_low, d_high = bisect_left(old.definition_starts, low), bisect_left(old.definition_starts, old_high)
    r_low, r_high = bisect_left(old.reference_starts, low), bisect_left(old.reference_starts, old_high)
    after_rows = [row[2] for row in old.definitions[d_high:d_high + 1]] + [row[0] for row in old.references[r_high:r_high + 1]]
    if any(row == old_end_row for row in after_rows):
        return None  # a tag after the region on the edit's last line: its column moved too
    before = old.definitions[:d_low]
    fields_before = {(row[0], row[5]) for row in before if row[1] == "field"}
    found = extract_spans(previous.language, source, tree=tree, byte_range=(low, high),
                          fields_seen=fields_before)
    if found is None:
        return None
    after = [(name, kind, line + lines, column, end_line + lines, scope, signature)
             for name, kind, line, column, end_line, scope, signature in old.definitions[d_high:]]
    definitions = before + found.definitions + after
    region_fields = [row for row in found.definitions + old.definitions[d_low:d_high] if row[1] == "field"]
    if region_fields:
        scopes = {row[5] for row in region_fields}
        if None in scopes or _defined_twice(scopes, definitions) or _defined_twice(scopes, old.definitions):
            return None  # the first of two same-named classes' fields wins: decided over the whole file
    return Spans(
        definitions,
        old.definition_starts[:d_low] + found.definition_starts + [s + shift for s in old.definition_starts[d_high:]],
        old.references[:r_low] + found.references
        + [(line + lines, column, name, kind) for line, column, name, kind in old.references[r_high:]],
        old.reference_starts[:r_low] + found.reference_starts + [s + shift for s in old.reference_starts[r_high:]],
    )


def _defined_twice(names: set, definitions: list[tuple]) -> bool:
    seen: set[str] = set()
    for row in definitions:
        if row[0] in names and row[1] != "field":
            if row[0] in seen:
                return True
            seen.add(row[0])
    return False
