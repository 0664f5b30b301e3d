"""Definitions from other files that the code around the cursor uses.

Names are read from a window of lines around the cursor (a plain identifier scan:
cheap, and it works in code that does not parse yet), looked up in the repository
index, and ranked: names this file imports first, then names used nearest the
cursor. Each definition is rendered compactly: a class as its header and member
signatures, a short function whole, a long one as its signature and first lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coder.context.formats import Snippet
from coder.index.tags import Tag

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WINDOW_LINES = 20
SHORT_DEFINITION_LINES = 12
HEAD_LINES = 6
MAX_MEMBERS = 24


@dataclass(frozen=True)
class RankedSnippet:
    snippet: Snippet
    name: str
    kind: str


def names_near(text: str, line: int) -> list[str]:
    """Identifiers around the cursor line, nearest first, each once."""
    lines = text.split("\n")
    order: list[tuple[int, str]] = []
    for number in range(max(0, line - WINDOW_LINES), min(len(lines), line + WINDOW_LINES // 2)):
        for match in IDENTIFIER.finditer(lines[number]):
            order.append((abs(number - line), match.group()))
    seen: dict[str, None] = {}
    for _, name in sorted(order, key=lambda item: item[0]):
        seen.setdefault(name, None)
    return list(seen)


def _render(index, tag: Tag) -> str:
    lines = index.read_text(tag.path).split("\n")
    if tag.kind in ("class", "interface", "type", "enum"):
        members = [m for m in index.members(tag.name, tag.path) if m.kind in ("method", "function", "field")]
        body = [f"    {m.signature}" for m in members[:MAX_MEMBERS] if m.signature]
        header = tag.signature or lines[tag.line].strip()
        return "\n".join([header] + body)
    start = tag.line
    # A decorator or doc comment right above belongs to the definition.
    while start > 0 and lines[start - 1].lstrip().startswith(("@", "///", "/**", " *")):
        start -= 1
    end = tag.end_line
    if end - start + 1 > SHORT_DEFINITION_LINES:
        end = start + HEAD_LINES - 1
        return "\n".join(lines[start : end + 1]) + "\n    ..."
    return "\n".join(lines[start : end + 1])


def cross_file_snippets(index, path: str, text: str, line: int, visible_text: str) -> list[RankedSnippet]:
    """Ranked definitions the cursor's neighbourhood uses, from other files."""
    imported = {t.name for t in index.definitions_in(path) if t.kind == "import"}
    defined_here = {t.name for t in index.definitions_in(path) if t.kind != "import"}
    ranked: list[tuple[int, int, RankedSnippet]] = []
    seen_paths: set[tuple[str, int]] = set()
    for distance, name in enumerate(names_near(text, line)):
        if name in defined_here:
            continue
        for tag in index.definitions(name):
            if tag.kind in ("import", "field") or tag.path == path or (tag.path, tag.line) in seen_paths:
                continue
            if tag.scope is not None and tag.kind in ("method", "function"):
                continue  # a method shows up with its class
            seen_paths.add((tag.path, tag.line))
            rendered = _render(index, tag)
            if rendered.strip() in visible_text:
                continue
            rank = 0 if name in imported else 1
            ranked.append((rank, distance, RankedSnippet(Snippet(tag.path, rendered), name, tag.kind)))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in ranked]
