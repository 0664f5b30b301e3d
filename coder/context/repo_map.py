"""A repository map for prompts: the definitions the repository leans on most,
as a compact outline per file, fitted to a token budget.

    coder/index/repo_index.py:
        class RepoIndex:
            def refresh(self) -> IndexStats:

Files come in rank order (``repo_rank``); under each, its chosen definitions' signature
lines in source order, each member under its class, with the header of any class a
chosen member belongs to. How many of the best definitions fit is found by a binary
search on the count, measuring each candidate with the caller's tokenizer, so the
map never exceeds the budget whatever the tokenizer makes of the text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from coder.context.repo_rank import (
    CONTAINER_KINDS,
    Ranking,
    ReferenceGraph,
    ScoredDefinition,
    focus_name_set,
    rank_definitions,
    rank_files,
    reference_graph,
)
from coder.index.tags import Tag

INDENT = "    "
CHARS_PER_TOKEN = 3.5  # code in the tokenizers of the code models we run
# The first count tried: each definition costs a line of roughly this many tokens.
TOKENS_PER_DEFINITION = 12


@dataclass
class RepoMap:
    text: str = ""
    tokens: int = 0
    files: list[str] = field(default_factory=list)  # in the order shown
    definitions: list[ScoredDefinition] = field(default_factory=list)  # chosen, best first


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate, for callers without a model at hand."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def build_repo_map(
    index,
    *,
    budget_tokens: int = 1024,
    focus_paths: Collection[str] = (),
    focus_names: Collection[str] = (),
    count_tokens: Callable[[str], int] | None = None,
    exclude_paths: Collection[str] = (),
) -> RepoMap:
    """The map of an index that is already refreshed; paths are relative to its root.

    Cached by the index (see map_cache): asked again with nothing changed it is a
    lookup; after a change only the changed files are read again. ``count_tokens``
    keys the cache by identity, so pass the same function every time."""
    if hasattr(index, "map_cache"):
        return index.map_cache().repo_map(budget_tokens, focus_paths, focus_names, count_tokens, exclude_paths)
    graph = reference_graph(index)
    boosted = focus_name_set(graph, set(focus_paths), focus_names)
    ranking = rank_files(graph, set(focus_paths), boosted)
    return make_repo_map(graph, ranking, containers_of(graph.definitions), boosted, budget_tokens,
                         count_tokens, set(exclude_paths))


def make_repo_map(
    graph: ReferenceGraph, ranking: Ranking, containers: dict, boosted: Collection[str], budget_tokens: int,
    count_tokens: Callable[[str], int] | None, exclude_paths: Collection[str],
) -> RepoMap:
    # Every definition shown costs at least a line, a token or more: no more than
    # the budget's count of them can fit, so only that many need ranking in order.
    limit = max(0, budget_tokens) * 2 + 16
    ranked = rank_definitions(graph, ranking, boosted, exclude_paths, limit=limit)
    outline = _Outline(containers, ranking.files)
    return fit_to_budget(ranked, outline, budget_tokens, count_tokens or estimate_tokens)


def containers_of(definitions: list[Tag]) -> dict[str, dict[str, list[Tag]]]:
    """path -> container name -> its definitions there (two classes may share a name)."""
    containers: dict[str, dict[str, list[Tag]]] = {}
    for tag in definitions:
        if tag.kind in CONTAINER_KINDS:
            containers.setdefault(tag.path, {}).setdefault(tag.name, []).append(tag)
    return containers


def fit_to_budget(
    ranked: list[ScoredDefinition], outline: _Outline, budget_tokens: int, count_tokens: Callable[[str], int]
) -> RepoMap:
    """The map of the most top-ranked definitions that fits the budget."""
    best = RepoMap()
    measured: dict[int, RepoMap] = {}

    def fits(count: int) -> bool:
        candidate = outline.render(ranked[:count])
        candidate.tokens = count_tokens(candidate.text)
        measured[count] = candidate
        return candidate.tokens <= budget_tokens

    if budget_tokens <= 0 or not ranked:
        return best
    # Grow from a guess until a count does not fit, so no candidate is ever far
    # larger than the budget (a real tokenizer's time grows with the text).
    low, high = 0, min(len(ranked), max(1, budget_tokens // TOKENS_PER_DEFINITION))
    while fits(high):
        low = high
        if high == len(ranked):
            return measured[high]
        high = min(len(ranked), high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return measured.get(low, best)


class _Outline:
    """Renders chosen definitions per file as a tree: each member under its class
    (its scope's definition in the same file), with the headers that place them."""

    def __init__(self, containers: dict[str, dict[str, list[Tag]]], file_ranks: dict[str, float]):
        self._containers = containers  # containers_of(the graph's definitions)
        self._file_ranks = file_ranks

    def render(self, chosen: list[ScoredDefinition]) -> RepoMap:
        shown: dict[str, list[Tag]] = {}
        for item in chosen:
            shown.setdefault(item.tag.path, []).append(item.tag)
        files = sorted(shown, key=lambda path: (-self._file_ranks.get(path, 0.0), path))
        blocks = ["\n".join([f"{path}:"] + self._file_lines(shown[path])) for path in files]
        return RepoMap(text="\n".join(blocks) + "\n" if blocks else "", files=files, definitions=list(chosen))

    def _parent(self, tag: Tag) -> Tag | None:
        candidates = [c for c in self._containers.get(tag.path, {}).get(tag.scope, ()) if c != tag]
        enclosing = [c for c in candidates if _encloses(c, tag)]
        if enclosing:
            return enclosing[-1]  # the innermost of same-named nested classes
        # A Go method, a Rust impl's function: declared apart from their type.
        return candidates[0] if candidates else None

    def _file_lines(self, tags: list[Tag]) -> list[str]:
        parents: dict[Tag, Tag | None] = {}
        pending = list(tags)
        while pending:
            tag = pending.pop()
            if tag not in parents:
                parent = parents[tag] = self._parent(tag)
                if parent is not None:
                    pending.append(parent)
        children: dict[Tag | None, list[Tag]] = {}
        for tag, parent in parents.items():
            children.setdefault(parent, []).append(tag)
        lines: list[str] = []
        placed: set[Tag] = set()

        def place(tag: Tag, depth: int) -> None:
            placed.add(tag)
            lines.append(INDENT * depth + (tag.signature or tag.name))
            for child in sorted(children.get(tag, ()), key=_position):
                if child not in placed:
                    place(child, depth + 1)

        for root in sorted(children.get(None, ()), key=_position):
            place(root, 1)
        for tag in sorted(set(parents) - placed, key=_position):  # classes scoped to each other
            place(tag, 1)
        return lines


def _position(tag: Tag) -> tuple[int, int]:
    return tag.line, tag.column


def _encloses(outer: Tag, inner: Tag) -> bool:
    return _position(outer) < _position(inner) and inner.end_line <= outer.end_line
