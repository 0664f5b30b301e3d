"""Order valid names by how likely they are next, and render the top ones for a prompt.

Signals, all cheap:
- repository usage: how often the index saw the name referenced across the repo;
- recency: uses of the name in the current file, nearer the cursor weighing more
  (after ``X.``, only ``.name`` uses count);
- origin: locals before module names before builtins; a class's own members before
  inherited ones;
- shape: in a call position callables first; before ``=`` fields first;
- privacy: ``_private`` and ``__dunder__`` names last unless the typed prefix asks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

from coder.grounding.names import NameInfo, NameSet
from coder.prompt_templates import render

RECENCY_WINDOW_LINES = 150
_ORIGIN_BONUS = {
    "local": 3.0,
    "enclosing": 2.0,
    "module": 1.5,
    "import": 1.5,
    "member": 1.0,
    "inherited": 0.3,
    "universal": -1.0,  # members every object has (Object.prototype, Python's object)
    "global": 0.0,
    "builtin": 0.0,
    "keyword": -1.0,
}
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_MEMBER_USE = re.compile(r"\.\s*([A-Za-z_$][\w$]*)")


@dataclass(frozen=True)
class RankContext:
    """Where the cursor is, for the shape and recency signals."""

    text: str
    offset: int  # character offset of the cursor in text
    kind: str  # "member" | "scope"
    partial: str = ""
    call_position: bool = False  # the next thing is probably a call
    assignment_position: bool = False  # the next thing is probably assigned to
    private_ok: bool = False  # e.g. after self./this.: private members are fair game


def shape_of(text: str, offset: int, word_end: int, kind: str) -> tuple[bool, bool]:
    """(call_position, assignment_position) from the text around the cursor.

    A call is likely when ``(`` follows the word, or when the member access starts a
    statement (``reader.`` alone on its line is almost always a method call).
    """
    after = text[word_end:word_end + 3].lstrip(" \t")
    if after.startswith("("):
        return True, False
    if after.startswith("=") and not after.startswith("=="):
        return False, True
    if kind == "member":
        line_start = text.rfind("\n", 0, offset) + 1
        before = text[line_start:offset]
        receiver_and_word = re.match(r"\s*(?:await\s+)?[\w$.()\[\]]*$", before)
        return receiver_and_word is not None, False
    return False, False


def recency_scores(context: RankContext) -> dict[str, float]:
    text, offset = context.text, context.offset
    cursor_line_start = text.rfind("\n", 0, offset) + 1
    start = cursor_line_start
    for _ in range(RECENCY_WINDOW_LINES):
        previous = text.rfind("\n", 0, max(0, start - 1))
        if previous < 0:
            start = 0
            break
        start = previous + 1
    end = offset
    for _ in range(RECENCY_WINDOW_LINES // 3):  # a little below the cursor too
        following = text.find("\n", end + 1)
        if following < 0:
            end = len(text)
            break
        end = following
    pattern = _MEMBER_USE if context.kind == "member" else _WORD
    cursor_line = text.count("\n", start, offset)
    scores: dict[str, float] = {}
    position = start
    for number, line_text in enumerate(text[start:end].split("\n")):
        weight = 1.0 / (1.0 + abs(number - cursor_line) / 5.0)
        for match in pattern.finditer(line_text):
            if position + match.end() == offset:  # the word being typed
                continue
            name = match.group(1) if pattern is _MEMBER_USE else match.group(0)
            scores[name] = scores.get(name, 0.0) + weight
        position += len(line_text) + 1
    return scores


def score(info: NameInfo, context: RankContext, usage: int, recency: float) -> float:
    value = 1.2 * math.log1p(usage) + 2.0 * min(recency, 5.0) + _ORIGIN_BONUS.get(info.origin, 0.0)
    if context.call_position and info.callable:
        value += 1.0
    if context.assignment_position and not info.callable:
        value += 0.5
    name = info.name
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        if not context.partial.startswith("__"):
            value -= 6.0
    elif name.startswith("_") and not context.partial.startswith("_") and not context.private_ok:
        value -= 1.5
    return value


def rank_names(
    infos: Mapping[str, NameInfo], context: RankContext, usage_counts: Mapping[str, int] | None = None
) -> list[str]:
    """Names of ``infos`` that start with the typed prefix, best first."""
    counts = usage_counts or {}
    recency = recency_scores(context)
    candidates = [info for name, info in infos.items() if name.startswith(context.partial)]
    scored = [
        (-score(info, context, counts.get(info.name, 0), recency.get(info.name, 0.0)), info.name)
        for info in candidates
    ]
    scored.sort()
    return [name for _, name in scored]


# -- prompt hint -----------------------------------------------------------------------

_COMMENT_PREFIX = {
    "python": "#",
    "bash": "#",
    "javascript": "//",
    "typescript": "//",
    "tsx": "//",
    "go": "//",
    "rust": "//",
    "java": "//",
    "c": "//",
    "cpp": "//",
}


def comment_prefix(language: str) -> str | None:
    return _COMMENT_PREFIX.get(language)


def prompt_hint(names: NameSet, language: str, *, top_k: int = 8, max_chars: int = 160) -> str:
    """One comment line naming the best candidates, e.g.
    ``# Reader members: read(n), write(data), close()``; "" when nothing useful.

    Dunder names are left out; a long signature is shortened to ``name(...)``; the
    line is cut to ``max_chars`` at a name boundary.
    """
    prefix = comment_prefix(language)
    if prefix is None or not names.names:
        return ""
    if names.kind == "member":
        head = render("completion/member_hint", comment=prefix, receiver=names.receiver_label or names.receiver or "object")
    else:
        head = render("completion/scope_hint", comment=prefix)
    shown: list[str] = []
    length = len(head)
    for name in names.names:
        if len(shown) >= top_k:
            break
        if name.startswith("__") and name.endswith("__"):
            continue
        info = names.details.get(name)
        if names.kind == "scope" and info is not None and info.origin in ("builtin", "global"):
            continue  # the model knows its builtins; spend the line on the repo's names
        entry = _short_signature(name, info)
        extra = len(entry) + (2 if shown else 0)
        if length + extra > max_chars:
            if shown:
                break
            entry = name
            extra = len(entry)
        shown.append(entry)
        length += extra
    if not shown:
        return ""
    return head + ", ".join(shown)


def _short_signature(name: str, info: NameInfo | None) -> str:
    if info is None or not info.signature:
        return f"{name}()" if info is not None and info.kind in ("method", "function") else name
    signature = info.signature
    if len(signature) > 40:
        return f"{name}(...)"
    return signature
