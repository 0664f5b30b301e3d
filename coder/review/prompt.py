"""The chat messages for one review unit, from the templates in prompts/review/.

The user message carries, within a token budget: the definitions from other files
the code uses (from the index), the repository map when room is left, the numbered
code around the change and what the change removed. The code always goes in; the
other parts take what the budget leaves, definitions before the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import math

from coder.models.backend import ChatMessage
from coder.prompt_templates import render, template
from coder.review.units import ReviewUnit

MAX_DEFINITIONS = 4
MIN_MAP_TOKENS = 96  # below this a map says too little to be worth its tokens
CHARS_PER_TOKEN = 3.5  # as coder.context.repo_map estimates (not imported: the hook starts faster)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class PromptParts:
    messages: tuple[ChatMessage, ...]
    definitions: list[str]  # names of the definitions included
    repo_map: bool
    tokens: int  # estimated


def build_messages(unit: ReviewUnit, *, index=None, budget_tokens: int = 2048, repo_map_tokens: int = 384,
                   repo_map_source=None) -> PromptParts:
    """``repo_map_source(path, tokens)`` returns a repo map's text (cached by the caller)."""
    system = render("review/system")
    code = unit.numbered_code()
    removed = unit.removed_text()
    removed_part = render("review/removed", removed=removed) if removed.strip() else ""
    examples = _examples()
    fixed = system + template("review/change") + code + removed_part + "".join(m.content for m in examples)
    left = budget_tokens - estimate_tokens(fixed)

    definitions_text, names = "", []
    if index is not None and left > 0:
        definitions_text, names = _definitions(unit, index, code, left)
        left -= estimate_tokens(definitions_text)

    map_text = ""
    if repo_map_source is not None and min(left, repo_map_tokens) >= MIN_MAP_TOKENS:
        body = repo_map_source(unit.path, min(left, repo_map_tokens))
        if body.strip():
            map_text = render("review/repo_map", repo_map=body.rstrip())
    user = render("review/change", definitions=definitions_text, repo_map=map_text, path=unit.path,
                  code=code, removed=removed_part)
    messages = (ChatMessage("system", system), *examples, ChatMessage("user", user.rstrip("\n")))
    return PromptParts(messages, names, bool(map_text),
                       estimate_tokens(system + user + "".join(m.content for m in examples)))


def _examples() -> tuple[ChatMessage, ...]:
    """Two worked examples, one with a bug and one without: a small model follows a
    shown answer far better than a described one (it copied a described example's
    text), and these turns are the same for every unit, so the model's cache keeps them."""
    return (
        ChatMessage("user", template("review/example_bug").rstrip("\n")),
        ChatMessage("assistant", template("review/example_bug_reply").strip()),
        ChatMessage("user", template("review/example_clean").rstrip("\n")),
        ChatMessage("assistant", template("review/example_clean_reply").strip()),
    )


def _definitions(unit: ReviewUnit, index, visible: str, budget: int) -> tuple[str, list[str]]:
    from coder.context.cross_file import cross_file_snippets

    changed = sorted(unit.changed)
    line = (changed[0] if changed else unit.lines[0]) - 1
    snippets = cross_file_snippets(index, unit.path, unit.change.text, line, visible)
    chosen, names, used = [], [], 0
    for ranked in snippets[:MAX_DEFINITIONS * 2]:
        text = f"# {ranked.snippet.path}\n{ranked.snippet.text}"
        cost = estimate_tokens(text)
        if used + cost > budget:
            continue
        chosen.append(text)
        names.append(ranked.name)
        used += cost
        if len(chosen) == MAX_DEFINITIONS:
            break
    if not chosen:
        return "", []
    return render("review/definitions", definitions="\n\n".join(chosen)), names
