"""The repo map's cache: what a map request would otherwise rebuild every time.

The fronts ask for a map per request (a chat message, a review, an LSP call). Here
an index keeps, in memory:

- each file's part of the reference graph (FilePart), under name ids that stay
  fixed for the cache's life; when files change (the index's ``generation`` and
  the unsaved buffers' versions say which) only those are read again and only
  their parts made again;
- the graph assembled from the parts (lists joined, arrays concatenated: no loop
  over every definition), and the rankings made from it per focus, the last
  ranks seeding the next PageRank so that after a small change it converges in a
  few steps;
- the finished maps per request.

And in the index's cache file: the finished maps of requests with the default token
estimate, under the generation they were made at, so a new process (`coder index
--map`) with nothing changed reads its map instead of building it.
"""

from __future__ import annotations

import json
import marshal
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection

from coder.context.repo_rank import (
    FilePart,
    NameIds,
    Ranking,
    ReferenceGraph,
    ScoredDefinition,
    assemble_graph,
    facts_by_file,
    file_part,
    focus_name_set,
    rank_files,
)
from coder.index.tags import Tag

KEPT_MAPS = 32
KEPT_RANKINGS = 8


class MapCache:
    def __init__(self, index):
        self._index = index
        self._lock = threading.RLock()
        self._generation: int | None = None  # of the stored tags the facts reflect
        self._overlay: dict[str, int] = {}  # unsaved buffer versions the facts reflect
        self._names = NameIds()
        self._parts: dict[str, FilePart] = {}
        self._graph: ReferenceGraph | None = None
        self._containers: dict | None = None
        self._rankings: OrderedDict = OrderedDict()
        self._last_ranks: dict[str, float] | None = None
        self._maps: OrderedDict = OrderedDict()
        self.rebuilds = 0  # full reads of the index (a fresh cache, or too many changes to follow)
        self.updated_files = 0  # files read again to follow changes

    # -- keeping up with the index ---------------------------------------------

    def _state(self) -> tuple[int, tuple]:
        return self._index.generation, tuple(sorted(self._index.overlay_versions().items()))

    def graph(self) -> ReferenceGraph:
        """The reference graph of the index as it is now."""
        with self._lock:
            self._sync()
            if self._graph is None:
                self._graph = assemble_graph(self._parts, self._names)
            return self._graph

    def _sync(self) -> None:
        generation = self._index.generation
        overlay = self._index.overlay_versions()
        if generation == self._generation and overlay == self._overlay:
            return
        changed = None if self._generation is None else self._index.changes_since(self._generation)
        if changed is None:
            self._parts = {path: file_part(path, facts, self._names) for path, facts in facts_by_file(self._index).items()}
            self.rebuilds += 1
        else:
            changed |= {path for path in set(overlay) | set(self._overlay) if overlay.get(path) != self._overlay.get(path)}
            fresh = facts_by_file(self._index, sorted(changed))
            for path in changed:
                if path in fresh:
                    self._parts[path] = file_part(path, fresh[path], self._names)
                else:
                    self._parts.pop(path, None)
            self.updated_files += len(changed)
        self._generation, self._overlay = generation, overlay
        self._graph = self._containers = None
        self._rankings.clear()
        self._maps.clear()

    def ranking(self, focus_paths: frozenset, boosted: frozenset) -> Ranking:
        key = (focus_paths, boosted)
        with self._lock:
            graph = self.graph()
            ranking = self._rankings.get(key)
            if ranking is None:
                plain = not focus_paths and not boosted
                ranking = rank_files(graph, focus_paths, boosted, start=self._last_ranks if plain else None)
                if plain:
                    self._last_ranks = ranking.files
                self._rankings[key] = ranking
                while len(self._rankings) > KEPT_RANKINGS:
                    self._rankings.popitem(last=False)
            return ranking

    def containers(self) -> dict:
        """path -> container name -> its definitions there, for the outline."""
        with self._lock:
            graph = self.graph()
            if self._containers is None:
                self._containers = {part.path: part.containers for part in graph.parts if part.containers}
            return self._containers

    # -- maps -------------------------------------------------------------------

    def repo_map(
        self, budget_tokens: int, focus_paths: Collection[str], focus_names: Collection[str],
        count_tokens: Callable[[str], int] | None, exclude_paths: Collection[str],
    ):
        """The map for a request, built only when no earlier request with the same
        arguments saw the index as it is now. ``count_tokens`` is part of the key by
        identity: pass the same function each time."""
        from coder.context.repo_map import make_repo_map

        focus_paths, focus_names, exclude_paths = frozenset(focus_paths), frozenset(focus_names), frozenset(exclude_paths)
        key = (budget_tokens, focus_paths, focus_names, count_tokens, exclude_paths)
        with self._lock:
            state = self._state()
            cached = self._maps.get(key)
            if cached is not None and cached[0] == state:
                self._maps.move_to_end(key)
                return _copy(cached[1])
            stored_key = None
            if count_tokens is None and not state[1]:
                stored_key = "map:" + json.dumps([budget_tokens, sorted(focus_paths), sorted(focus_names), sorted(exclude_paths)])
                blob = self._index.load_derived(stored_key, state[0])
                if blob is not None:
                    repo_map = _loads(blob)
                    self._remember(key, state, repo_map)
                    return _copy(repo_map)
            graph = self.graph()
            boosted = frozenset(focus_name_set(graph, focus_paths, focus_names))
            repo_map = make_repo_map(graph, self.ranking(focus_paths, boosted), self.containers(), boosted,
                                     budget_tokens, count_tokens, exclude_paths)
            state = self._state()  # what the map was made from (the sync above)
            self._remember(key, state, repo_map)
            if stored_key is not None and not state[1]:
                self._index.save_derived(stored_key, state[0], _dumps(repo_map))
            return _copy(repo_map)

    def _remember(self, key, state, repo_map) -> None:
        self._maps[key] = (state, repo_map)
        while len(self._maps) > KEPT_MAPS:
            self._maps.popitem(last=False)


def _copy(repo_map):
    from coder.context.repo_map import RepoMap

    return RepoMap(repo_map.text, repo_map.tokens, list(repo_map.files), list(repo_map.definitions))


def _dumps(repo_map) -> bytes:
    return marshal.dumps((repo_map.text, repo_map.tokens, repo_map.files,
                          [(_fields(item.tag), item.score) for item in repo_map.definitions]))


def _fields(tag: Tag) -> tuple:
    return (tag.name, tag.kind, tag.role, tag.path, tag.line, tag.column, tag.end_line, tag.scope, tag.signature)


def _loads(blob: bytes):
    from coder.context.repo_map import RepoMap

    text, tokens, files, definitions = marshal.loads(blob)
    return RepoMap(text, tokens, list(files), [ScoredDefinition(Tag(*fields), score) for fields, score in definitions])
