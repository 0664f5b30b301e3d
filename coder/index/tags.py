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


@lru_cache(maxsize=None)
def tags_query(language: str) -> tree_sitter.Query | None:
    lang = grammar(language)
    source = resources.files("coder").joinpath("queries", f"{language}-tags.scm")
    if lang is None or not source.is_file():
        return None
    return tree_sitter.Query(lang, source.read_text(encoding="utf-8"))


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
    query = tags_query(language)
    parser = new_parser(language)
    if query is None or parser is None:
        return []
    tree = parser.parse(source)
    matches = tree_sitter.QueryCursor(query).matches(tree.root_node)
    seen: set[tuple[int, int]] = set()
    fields_seen: set[tuple[str, str | None]] = set()
    tags: list[Tag] = []
    # Definitions first: a name a definition pattern claims is not also a reference.
    for wanted_role in ("definition", "reference"):
        for _, captures in matches:
            for capture, nodes in captures.items():
                parts = capture.split(".")
                if parts[0] != "name" or len(parts) != 3 or parts[1] != wanted_role:
                    continue
                kind = parts[2]
                whole = (captures.get(f"definition.{kind}") or [None])[0]
                for node in nodes:
                    key = (node.start_byte, node.end_byte)
                    if key in seen:
                        continue
                    seen.add(key)
                    tag = _tag(source, path, node, whole, wanted_role, kind, captures.get("scope"))
                    if tag.kind == "field":
                        # `radius: number` and `this.radius = r` define one field.
                        if (tag.name, tag.scope) in fields_seen:
                            continue
                        fields_seen.add((tag.name, tag.scope))
                    tags.append(tag)
    tags.sort(key=lambda t: (t.line, t.column))
    return tags
