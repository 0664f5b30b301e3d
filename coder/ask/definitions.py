"""The definitions a question touches: names the question writes, then names the code
it is about uses, looked up in the repository index and rendered for a chat prompt.

Unlike completion context (a few signatures near the cursor), an answer often needs a
body, so short functions come whole and long ones as their first lines."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from coder.context.cross_file import names_near
from coder.context.repo_rank import BUILTIN_NAMES
from coder.index.tags import Tag

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Kinds worth showing on their own; fields and variables come with their class or not at all.
SHOWN_KINDS = ("class", "function", "method", "interface", "type", "enum", "constant", "macro", "module")
WHOLE_LINES = 40  # a definition up to this long is shown whole
HEAD_LINES = 24  # the first lines of a longer one
MAX_MEMBERS = 30
# A name defined in more places than this says little about which one is meant.
MAX_DEFINERS = 3
MIN_NAME_CHARS = 3


@dataclass(frozen=True)
class RenderedDefinition:
    tag: Tag
    code: str
    end_line: int  # the last line shown (0-based)


def question_names(question: str) -> list[str]:
    """Identifiers a question writes, in order, each once: `RepoIndex`, `refresh`.
    English words are dropped later when the index defines nothing by their name."""
    names: dict[str, None] = {}
    for match in IDENTIFIER.finditer(question):
        names.setdefault(match.group(), None)
    return list(names)


def code_names(index, path: str, text: str, start_line: int | None, end_line: int | None) -> list[str]:
    """Names the code asked about uses: around the line or in the selection (nearest
    first), else the whole file's references, most used first."""
    if start_line is not None:
        if end_line is None or end_line == start_line:
            return names_near(text, start_line)
        lines = text.split("\n")[start_line:end_line + 1]
        return question_names("\n".join(lines))
    counts = Counter(tag.name for tag in index.references_in(path))
    return [name for name, _ in counts.most_common()]


def relevant_definitions(index, names: list[str], *, skip) -> list[Tag]:
    """Definitions of the names, in the names' order; ``skip(tag)`` drops the ones the
    prompt holds already (the code asked about)."""
    found: list[Tag] = []
    seen: set[tuple[str, int]] = set()
    for name in names:
        if len(name) < MIN_NAME_CHARS or name in BUILTIN_NAMES:
            continue
        tags = [t for t in index.definitions(name) if t.kind in SHOWN_KINDS]
        if not tags or len(tags) > MAX_DEFINERS:
            continue
        for tag in tags:
            key = (tag.path, tag.line)
            if key in seen or skip(tag):
                continue
            seen.add(key)
            found.append(tag)
    return found


def render_definition(index, tag: Tag) -> RenderedDefinition:
    lines = index.read_text(tag.path).split("\n")
    start = tag.line
    # A decorator or a doc comment right above belongs to the definition.
    while start > 0 and lines[start - 1].lstrip().startswith(("@", "///", "/**", " *", "#[")):
        start -= 1
    end = min(tag.end_line, len(lines) - 1)
    if tag.kind in ("class", "interface", "type", "enum") and end - start + 1 > WHOLE_LINES:
        members = [m for m in index.members(tag.name, tag.path) if m.kind in ("method", "function", "field")]
        header = "\n".join(lines[start:tag.line + 1])
        body = [f"    {m.signature}" for m in members[:MAX_MEMBERS] if m.signature]
        return RenderedDefinition(tag, "\n".join([header, *body, "    ..."]), tag.line)
    if end - start + 1 > WHOLE_LINES:
        end = start + HEAD_LINES - 1
        return RenderedDefinition(tag, "\n".join(lines[start:end + 1] + ["    ..."]), end)
    return RenderedDefinition(tag, "\n".join(lines[start:end + 1]), end)
