"""Definitions and references in one file, from the language's tags query.

Queries live in ``coder/queries/<language>-tags.scm`` (TSX uses TypeScript's). A
capture named ``name.definition.<kind>`` is a defined name and ``definition.<kind>``
the whole defining node (for the signature and the end line); ``name.reference.<kind>``
is a use; ``scope`` names the owner where the tree does not enclose the definition
in it (a Go receiver, a C++ ``Class::method``, a Go struct's fields).

What comes out (``Tag``):

- kind, for definitions: class, function, method (a function whose nearest
  class-like ancestor is a class/struct/impl/interface/trait, not a namespace),
  interface, type, enum, variable, constant, field, macro, module, import; for
  references: call, member, name, class.
- role: "definition" or "reference".
- line, column: the name's 0-based start; the column counts characters.
  end_line: the last line of the whole definition (== line for references).
- scope (definitions only): the nearest enclosing class-like node's name (class,
  struct, impl, interface, trait, enum, namespace), or the query's ``@scope``; None at
  module level.
- signature (definitions only): the whole node's text up to its body, whitespace
  collapsed, at most 200 characters ("def read(self, n: int = -1) -> bytes:",
  "class Reader(Base):"); without a body, its first line.

Python specifics:

- ``self.x = ...`` inside a method: a field definition scoped to the class (once
  per class and name: the first assignment wins). Class-level ``x = ...``: a field.
- Module-level ``NAME = ...`` / ``NAME: T = ...``: a variable, or a constant when
  the name is in capitals (``LIMIT``, ``MAX_SIZE``).
- Imports: one tag of kind "import" per bound local name: ``import os.path`` binds
  ``os``; ``import numpy as np`` binds ``np``; ``from a import b as c`` binds ``c``;
  the signature is the import clause (``numpy as np``).
- References: called names (``f()``, ``obj.f()``), attribute names (``x.attr``),
  names passed as arguments, names in type annotations and base classes.

A name is tagged at most once: a definition's own name is never also a reference.

JSON has no tags query on purpose: its keys ("name", "version", thousands in a lock
file) would crowd the definitions that cross-file context looks names up in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from operator import attrgetter

import tree_sitter

from coder.syntax.languages import grammar, new_parser

SIGNATURE_CHARS = 200
SCOPE_NODE_WORDS = ("class", "struct", "impl", "interface", "trait", "enum", "namespace", "module_declaration")
# Scopes whose functions are free functions, not methods.
NAMESPACE_WORDS = ("namespace", "module")
# Bodies whose definitions are local to them (function_definition, arrow_function,
# method_declaration, closure_expression, func_literal, lambda_expression ...).
FUNCTION_NODE_WORDS = ("function", "method", "lambda", "closure", "constructor", "func_literal")
# What every comment starts with in the languages that have a tags query (Python,
# bash: `#`; C, C++, Go, Java, JavaScript, TypeScript, Rust: `//`, `/*`). A language
# added with another comment syntax must add its opener here.
COMMENT_OPENERS = (b"#", b"/")
# How far above its name a definition's whole node may be (``self.x = 1``: 2 levels).
WHOLE_NODE_DEPTH = 8


# Slots: a repo map of a big tree holds every definition as a Tag (960k on 50,000
# files), and a __dict__ each doubled their memory.
@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    kind: str
    role: str  # "definition" | "reference"
    path: str
    line: int  # 0-based
    column: int  # 0-based, characters
    end_line: int
    scope: str | None
    signature: str


@dataclass(frozen=True)
class TagsQuery:
    """A language's tags query, split for speed.

    ``main`` (definitions and references) is read with one ``captures()`` call: one
    walk over the tree, and no Python object per match. The few patterns that name
    an owner with ``@scope`` need their match to pair the name with it, so they go in
    ``scoped``, read match by match (only Go and C++ have any)."""

    main: tree_sitter.Query
    scoped: tree_sitter.Query | None
    definition_kinds: tuple[str, ...]  # in the order the query first names them: earlier wins
    reference_kinds: tuple[str, ...]


def split_patterns(text: str) -> list[str]:
    """The top-level patterns of a query file, comments dropped."""
    patterns, depth, current, in_string = [], 0, [], False
    for line in text.splitlines():
        for index, char in enumerate(line):
            if in_string:
                in_string = char != '"' or line[index - 1] == "\\"
            elif char == '"':
                in_string = True
            elif char == ";":
                line = line[:index]
                break
            elif char in "([":
                depth += 1
            elif char in ")]":
                depth -= 1
        current.append(line)
        if depth == 0 and "".join(current).strip():
            patterns.append("\n".join(current))
            current = []
    return patterns


def _kinds(query: tree_sitter.Query, prefix: str) -> list[str]:
    names = (query.capture_name(i) for i in range(query.capture_count))
    return [name[len(prefix):] for name in names if name.startswith(prefix)]


@lru_cache(maxsize=None)
def tags_query(language: str) -> TagsQuery | None:
    lang = grammar(language)
    source = _query_source(language)
    if lang is None or not source.is_file():
        return None
    patterns = split_patterns(source.read_text(encoding="utf-8"))
    scoped = [p for p in patterns if "@scope" in p]
    main = tree_sitter.Query(lang, "\n".join(p for p in patterns if "@scope" not in p))
    scoped_query = tree_sitter.Query(lang, "\n".join(scoped)) if scoped else None
    kinds = _kinds(scoped_query, "name.definition.") if scoped_query else []
    kinds += [k for k in _kinds(main, "name.definition.") if k not in kinds]
    return TagsQuery(main, scoped_query, tuple(kinds), tuple(_kinds(main, "name.reference.")))


def _query_source(language: str):
    return resources.files("coder").joinpath("queries", f"{'typescript' if language == 'tsx' else language}-tags.scm")


@lru_cache(maxsize=None)
def has_tags(language: str) -> bool:
    """Whether the language has a tags query here, without compiling it (the parent
    of a build asks, and only the workers run the query)."""
    return grammar(language) is not None and _query_source(language).is_file()


def _column(source: bytes, node: tree_sitter.Node) -> int:
    row_start = node.start_byte - node.start_point[1]
    return len(source[row_start : node.start_byte].decode("utf-8", "replace"))


@lru_cache(maxsize=None)
def _scope_type(node_type: str) -> tuple[bool, bool]:
    """Whether nodes of this type are class-like scopes, and whether namespaces."""
    is_scope = node_type != "module" and any(word in node_type for word in SCOPE_NODE_WORDS)
    return is_scope, is_scope and any(word in node_type for word in NAMESPACE_WORDS)


@lru_cache(maxsize=None)
def _is_function_like(node_type: str) -> bool:
    return any(word in node_type for word in FUNCTION_NODE_WORDS)


def _scope_of(node: tree_sitter.Node, kind: str, memo: dict) -> tuple[str | None, bool]:
    """Name of the nearest enclosing class-like node, and whether it is a namespace.

    A definition inside a function body (a nested function, an import, a local
    class) belongs to that function, not to the class around it: its scope is the
    function, marked as a namespace so a nested function stays a function. Fields
    (``self.x = ...`` in a method) do belong to the class.

    ``memo``: the answers for the ancestors walked so far in this tree, by node id
    (twice the id, plus one for a field): the methods of one class share their walk
    from the class body up, so each ancestor is looked at once per file."""
    not_field = kind != "field"
    parent = node.parent
    walked = []
    found: tuple[str | None, bool] = (None, False)
    while parent is not None:
        key = parent.id * 2 + (not not_field)
        known = memo.get(key)
        if known is not None:
            found = known
            break
        walked.append(key)
        node_type = parent.type
        if not_field and _is_function_like(node_type):
            name = parent.child_by_field_name("name")
            found = (name.text.decode("utf-8", "replace") if name is not None else "<function>"), True
            break
        is_scope, is_namespace = _scope_type(node_type)
        if is_scope:
            name = parent.child_by_field_name("name") or parent.child_by_field_name("type")
            if name is not None:
                found = name.text.decode("utf-8", "replace"), is_namespace
                break
        parent = parent.parent
    for key in walked:
        memo[key] = found
    return found


def _may_hold_comment(source: bytes, start: int, end: int) -> bool:
    """Whether a comment can start in source[start:end]: every comment of the
    languages with a tags query starts with one of COMMENT_OPENERS. Most headers
    have neither, and listing a node's children makes a Python object of each."""
    for opener in COMMENT_OPENERS:
        if source.find(opener, start, end) >= 0:
            return True
    return False


def _signature(source: bytes, node: tree_sitter.Node) -> str:
    body = node.child_by_field_name("body")
    if body is None:
        # `const f = (a) => ...`: the header ends where the function's body starts.
        value = node.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
    start = node.start_byte
    if body is None:
        # Its first line, cut before decoding: `TABLE = {...}` may run for thousands of lines.
        end = node.end_byte
        newline = source.find(b"\n", start, end)
        return " ".join(source[start : end if newline < 0 else newline].decode("utf-8", "replace").split())[:SIGNATURE_CHARS]
    end = body.start_byte
    if _may_hold_comment(source, start, end):
        # A comment after the header (`def f():  # why`) is not part of it.
        for child in node.children:
            if child.start_byte >= end:
                break
            if child.type == "comment":
                end = child.start_byte
                break
    return " ".join(source[start:end].decode("utf-8", "replace").split())[:SIGNATURE_CHARS]


def _whole_node(node: tree_sitter.Node, wholes: dict[int, tree_sitter.Node]) -> tree_sitter.Node | None:
    """The nearest node at or above the name that the query captured as its whole."""
    current = node
    for _ in range(WHOLE_NODE_DEPTH):
        if current is None:
            return None
        found = wholes.get(current.id)
        if found is not None:
            return found
        current = current.parent
    return None


def _start_byte(node: tree_sitter.Node) -> int:
    return node.start_byte


def _definition_position(row: tuple) -> tuple[int, int]:
    return row[2], row[3]


def _point(source: bytes, offset: int) -> tuple[int, int]:
    """(row, byte column) of a byte offset."""
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix: a bisection of slice comparisons (each a
    memcmp), not a byte loop in Python."""
    low, high = 0, min(len(a), len(b))  # a[:low] == b[:low]; the answer is at most high
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def text_edit(old: bytes, new: bytes) -> tuple[int, int, int] | None:
    """The one changed span between two texts as (start, old end, new end) byte
    offsets, or None when they are equal."""
    if old == new:
        return None
    start = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - start)
    return start, len(old) - suffix, len(new) - suffix


def apply_edit(tree, old: bytes, new: bytes, edit: tuple[int, int, int]) -> None:
    """Tells ``tree`` (parsed from ``old``) about the edit that makes ``new``."""
    start, old_end, new_end = edit
    tree.edit(
        start_byte=start, old_end_byte=old_end, new_end_byte=new_end, start_point=_point(new, start),
        old_end_point=_point(old, old_end), new_end_point=_point(new, new_end),
    )


def parse_incrementally(language: str, source: bytes, old_tree=None, old_source: bytes | None = None):
    """The syntax tree of ``source``, reusing ``old_tree`` where it can, or None
    when the language has no grammar here.

    With ``old_source`` (the text ``old_tree`` was parsed from) the edit is worked
    out here, as the one changed span between the two texts, and applied to
    ``old_tree`` (which the caller must no longer use); without it ``old_tree``
    must already be edited to match ``source``."""
    parser = new_parser(language)
    if parser is None:
        return None
    if old_tree is None:
        return parser.parse(source)
    if old_source is not None:
        edit = text_edit(old_source, source)
        if edit is None:
            return old_tree
        apply_edit(old_tree, old_source, source, edit)
    return parser.parse(source, old_tree)


def extract_rows(language: str, source: bytes, *, tree=None) -> tuple[list[tuple], list[tuple]]:
    """Definitions as (name, kind, line, column, end_line, scope, signature)
    tuples, and references as (line, column, name, kind) tuples, both in source
    order: made without an object per tag. ``tree``: the source's syntax tree,
    when the caller already has it (an incremental parse)."""
    found = extract_spans(language, source, tree=tree)
    return (found.definitions, found.references) if found is not None else ([], [])


@dataclass
class Spans:
    """extract_rows' rows, each list with the start byte of every row's name beside
    it (``*_starts``, ascending like the rows): what a buffer keeps to re-query only
    the part of its next version that changed."""

    definitions: list[tuple]
    definition_starts: list[int]
    references: list[tuple]
    reference_starts: list[int]


def _tree_and_query(language: str, source: bytes, tree):
    query = tags_query(language)
    if query is None:
        return None, None
    if tree is None:
        parser = new_parser(language)
        if parser is None:
            return None, None
        tree = parser.parse(source)
    return query, tree


def extract_spans(
    language: str, source: bytes, *, tree=None, byte_range: tuple[int, int] | None = None,
    fields_seen: set | None = None,
) -> Spans | None:
    """The tags (see extract_rows) of the whole source, or only of the names that
    start in ``byte_range``; ``fields_seen``: (name, scope) of fields already
    tagged before that range. None when the language has no tags query here."""
    query, tree = _tree_and_query(language, source, tree)
    if query is None:
        return None
    low, high = byte_range if byte_range is not None else (0, len(source) + 1)
    definitions, definition_starts, seen, captures = _definitions(language, query, source, tree, byte_range, fields_seen)
    references: list[tuple] = []
    reference_starts: list[int] = []
    append, add_seen, add_start = references.append, seen.add, reference_starts.append
    ascii_only = source.isascii()
    for kind in query.reference_kinds:
        for node in captures.get(f"name.reference.{kind}", ()):
            start = node.start_byte
            if start in seen or not low <= start < high:
                continue  # a definition's name, or already counted under another kind
            add_seen(start)
            add_start(start)
            row, column = node.start_point
            if not ascii_only:
                column = len(source[start - column : start].decode("utf-8", "replace"))
            append((row, column, source[start : node.end_byte].decode("utf-8", "replace"), kind))
    references.sort()  # by position: kinds were read one after another
    reference_starts.sort()
    return Spans(definitions, definition_starts, references, reference_starts)


_START_BYTE = attrgetter("start_byte")
_END_BYTE = attrgetter("end_byte")


def extract_counts(language: str, source: bytes) -> tuple[list[tuple], dict[str, int], dict[str, int]]:
    """What the index stores of a file: its definitions as extract_rows gives them,
    its references' uses per name, and the same for the references of kind "name"
    (a bare name: an argument, a value), the names extract_rows finds.

    No position or kind per reference: the index keeps neither (a file's references
    with them are read again from the file when asked for), and a position is a
    tree-sitter call and a tuple for each of the million references of a big tree."""
    query, tree = _tree_and_query(language, source, tree=None)
    if query is None:
        return [], {}, {}
    definitions, _, seen, captures = _definitions(language, query, source, tree, None, None)
    every: list[bytes] = []
    bare: list[bytes] = []
    for kind in query.reference_kinds:
        nodes = captures.get(f"name.reference.{kind}")
        if not nodes:
            continue
        # start -> end of the names not tagged yet (a dict: one node may be captured twice)
        fresh = {start: end for start, end in zip(map(_START_BYTE, nodes), map(_END_BYTE, nodes)) if start not in seen}
        seen.update(fresh)
        names = [source[start:end] for start, end in fresh.items()]
        every += names
        if kind == "name":
            bare = names
    return definitions, _decoded_counts(every), _decoded_counts(bare)


def _decoded_counts(names: list[bytes]) -> dict[str, int]:
    """{name: uses}, counted as bytes and decoded once per name (two spellings can
    decode alike)."""
    counts: dict[str, int] = {}
    for name, uses in Counter(names).items():
        text = name.decode("utf-8", "replace")
        counts[text] = counts.get(text, 0) + uses
    return counts


def _definitions(language: str, query: TagsQuery, source: bytes, tree, byte_range, fields_seen):
    """The definitions (rows and their names' start bytes, in source order), the
    start bytes of their names, and the main query's captures (for the references)."""
    root = tree.root_node
    ascii_only = source.isascii()
    seen: set[int] = set()  # start bytes of names already tagged
    fields_seen = set() if fields_seen is None else set(fields_seen)
    low, high = byte_range if byte_range is not None else (0, len(source) + 1)
    definitions: list[tuple] = []
    definition_starts: list[int] = []
    scopes: dict[int, tuple] = {}  # _scope_of's memo for this tree

    is_python = language == "python"

    def add(node, whole, kind, scope_node) -> None:
        start = node.start_byte
        if start in seen or not low <= start < high:
            return
        seen.add(start)
        name = source[start : node.end_byte].decode("utf-8", "replace")
        if scope_node is not None:
            scope, in_namespace = scope_node.text.decode("utf-8", "replace"), False
        else:
            scope, in_namespace = _scope_of(whole or node, kind, scopes)
        if kind == "field":
            # `radius: number` and `this.radius = r`, or two `self.x = ...`: one field.
            if (name, scope) in fields_seen:
                return
            fields_seen.add((name, scope))
        elif kind == "function":
            if scope is not None and not in_namespace:
                kind = "method"
        elif kind == "variable" and is_python and name.isupper():
            kind = "constant"
        line, column = node.start_point
        if not ascii_only:
            column = _column(source, node)
        if whole is None:
            end_line, signature = node.end_point[0], ""
        else:
            end_line, signature = whole.end_point[0], _signature(source, whole)
        definitions.append((name, kind, line, column, end_line, scope, signature))
        definition_starts.append(start)

    def cursor(query: tree_sitter.Query) -> tree_sitter.QueryCursor:
        found = tree_sitter.QueryCursor(query)
        if byte_range is not None:
            found.set_byte_range(low, high)
        return found

    if query.scoped is not None:
        for _, match in cursor(query.scoped).matches(root):
            scope_node = (match.get("scope") or [None])[0]
            for capture, nodes in match.items():
                if capture.startswith("name.definition."):
                    kind = capture[len("name.definition."):]
                    whole = (match.get(f"definition.{kind}") or [None])[0]
                    for node in nodes:
                        add(node, whole, kind, scope_node)

    captures = cursor(query.main).captures(root)
    for kind in query.definition_kinds:
        names = captures.get(f"name.definition.{kind}")
        if not names:
            continue
        wholes = {node.id: node for node in captures.get(f"definition.{kind}", ())}
        # captures() lists nodes in no fixed order; the first in the file must win.
        for node in sorted(names, key=_start_byte):
            add(node, _whole_node(node, wholes), kind, None)
    definitions.sort(key=_definition_position)
    definition_starts.sort()
    return definitions, definition_starts, seen, captures


def rows_to_tags(definitions: list[tuple], references: list[tuple], path: str) -> list[Tag]:
    """extract_rows' output as Tags, in source order."""
    tags = [Tag(name, kind, "definition", path, line, column, end_line, scope, signature)
            for name, kind, line, column, end_line, scope, signature in definitions]
    tags += [Tag(name, kind, "reference", path, line, column, line, None, "") for line, column, name, kind in references]
    tags.sort(key=lambda t: (t.line, t.column))
    return tags


def extract_tags(language: str, source: bytes, path: str) -> list[Tag]:
    """Every definition and reference the language's query finds, in source order."""
    definitions, references = extract_rows(language, source)
    return rows_to_tags(definitions, references, path)

