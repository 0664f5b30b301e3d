"""Definitions and references in one file, from the language's tags query.

Queries live in ``coder/queries/<language>-tags.scm``. A capture named
``name.definition.<kind>`` is a defined name and ``definition.<kind>`` the whole
defining node (for the signature and the end line); ``name.reference.<kind>`` is a
use. Kinds: class, function (a function inside a class becomes a method), variable,
field, import, and for references call, member, name, class.

Scope is the name of the nearest enclosing class-like node (class, struct, impl,
interface, trait, enum, namespace); a field set as ``self.x`` in a method is scoped
to the method's class.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import tree_sitter

from coder.syntax.languages import grammar, new_parser

SIGNATURE_CHARS = 200
SCOPE_NODE_WORDS = ("class", "struct", "impl", "interface", "trait", "enum", "namespace", "module_declaration")
# Scopes whose functions are free functions, not methods.
NAMESPACE_WORDS = ("namespace", "module")


@dataclass(frozen=True)
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


@lru_cache(maxsize=None)
def tags_queries(language: str) -> tuple[tree_sitter.Query, tree_sitter.Query | None] | None:
    """The language's tags query split in two: definitions, read match by match (a
    name is paired with its whole node and scope), and references, read in one call
    (they are most of the captures, and need only their own node)."""
    lang = grammar(language)
    # TSX is TypeScript with JSX: the TypeScript query serves both grammars.
    query_language = "typescript" if language == "tsx" else language
    source = resources.files("coder").joinpath("queries", f"{query_language}-tags.scm")
    if lang is None or not source.is_file():
        return None
    patterns = split_patterns(source.read_text(encoding="utf-8"))
    references = [p for p in patterns if "@name.reference." in p]
    definitions = [p for p in patterns if "@name.reference." not in p]
    return (
        tree_sitter.Query(lang, "\n".join(definitions)),
        tree_sitter.Query(lang, "\n".join(references)) if references else None,
    )


def tags_query(language: str):
    return tags_queries(language)


def has_tags(language: str) -> bool:
    return tags_query(language) is not None


def _column(source: bytes, node: tree_sitter.Node) -> int:
    row_start = node.start_byte - node.start_point[1]
    return len(source[row_start : node.start_byte].decode("utf-8", "replace"))


def _scope_of(node: tree_sitter.Node) -> tuple[str | None, bool]:
    """Name of the nearest enclosing class-like node, and whether it is a namespace."""
    parent = node.parent
    while parent is not None:
        if any(word in parent.type for word in SCOPE_NODE_WORDS) and parent.type != "module":
            name = parent.child_by_field_name("name") or parent.child_by_field_name("type")
            if name is not None:
                return name.text.decode("utf-8", "replace"), any(w in parent.type for w in NAMESPACE_WORDS)
        parent = parent.parent
    return None, False


def _signature(source: bytes, node: tree_sitter.Node) -> str:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    text = source[node.start_byte : end].decode("utf-8", "replace")
    if body is None:
        text = text.split("\n", 1)[0]
    return " ".join(text.split())[:SIGNATURE_CHARS]


def _tag(source: bytes, path: str, node, whole, role: str, kind: str, scope_nodes) -> Tag:
    scope, in_namespace = None, False
    if role == "definition":
        if scope_nodes:  # the query named the owner (a Go receiver, a C++ Class::method)
            scope = scope_nodes[0].text.decode("utf-8", "replace")
        else:
            scope, in_namespace = _scope_of(whole or node)
        if kind == "function" and scope is not None and not in_namespace:
            kind = "method"
    return Tag(
        name=node.text.decode("utf-8", "replace"),
        kind=kind,
        role=role,
        path=path,
        line=node.start_point[0],
        column=_column(source, node),
        end_line=(whole or node).end_point[0],
        scope=scope,
        signature=_signature(source, whole) if whole is not None and role == "definition" else "",
    )


def extract_tags(language: str, source: bytes, path: str) -> list[Tag]:
    """Every definition and reference the language's query finds, in source order."""
    definitions, references = extract_rows(language, source, path)
    tags = [Tag(*row) for row in definitions]
    tags += [Tag(name, kind, "reference", path, line, column, line, None, "") for name, kind, line, column in references]
    tags.sort(key=lambda t: (t.line, t.column))
    return tags


def extract_rows(language: str, source: bytes, path: str) -> tuple[list[tuple], list[tuple]]:
    """Definitions as Tag field tuples, and references as (name, kind, line, column)
    tuples: the index stores these without building an object per reference.
    A reference's column counts bytes (the same as characters in ASCII lines)."""
    queries = tags_queries(language)
    parser = new_parser(language)
    if queries is None or parser is None:
        return [], []
    definition_query, reference_query = queries
    root = parser.parse(source).root_node
    seen: set[int] = set()
    fields_seen: set[tuple[str, str | None]] = set()
    definitions: list[tuple] = []
    for _, captures in tree_sitter.QueryCursor(definition_query).matches(root):
        for capture, nodes in captures.items():
            if not capture.startswith("name.definition."):
                continue
            kind = capture[len("name.definition."):]
            whole = (captures.get(f"definition.{kind}") or [None])[0]
            for node in nodes:
                if node.start_byte in seen:
                    continue
                seen.add(node.start_byte)
                tag = _tag(source, path, node, whole, "definition", kind, captures.get("scope"))
                if tag.kind == "field":
                    # `radius: number` and `this.radius = r` define one field.
                    if (tag.name, tag.scope) in fields_seen:
                        continue
                    fields_seen.add((tag.name, tag.scope))
                definitions.append(tuple(tag.__dict__.values()))
    references: list[tuple] = []
    if reference_query is not None:
        for capture, nodes in tree_sitter.QueryCursor(reference_query).captures(root).items():
            kind = capture.rsplit(".", 1)[-1]
            for node in nodes:
                start = node.start_byte
                if start in seen:
                    continue  # a definition's name, or already counted under another kind
                seen.add(start)
                row, column = node.start_point
                references.append((node.text.decode("utf-8", "replace"), kind, row, column))
    return definitions, references
