"""Which files and definitions matter most to a repository, from how it uses them.

Files are the nodes of a graph; a file that uses a name another file defines links
to it. PageRank on that graph says which files the repository leans on (optionally
seen from some focus files: the ones a chat or review is about). A definition's
score is the part of its file's rank that arrives through its name: how often
other files use it, weighted by their own rank.

A link goes through the name: file A's weight for a name n is split evenly among the
files that define n, so the walk is A -> n -> definer. Stepping through names keeps
an iteration linear in the (file, name) pairs; expanding them into file-to-file
edges first would multiply them by every name's definers (eight times as much work
on SymPy, where `__init__` alone has 218). The iterations run on numpy arrays: on a
5,000-file tree a pure-Python loop over the (file, name) pairs took seconds.
"""

from __future__ import annotations

import builtins
import heapq
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy

from coder.index.tags import Tag

DAMPING = 0.85
TOLERANCE = 1e-5  # total rank moved by one iteration: on SymPy the top 200 files are in final order
MAX_ITERATIONS = 100
# A focus file's pull: this share of each random restart lands on the focus files.
FOCUS_RESTART_SHARE = 0.5
FOCUS_NAME_BOOST = 10.0
# `_helper`, `__eq__`: plumbing, rarely what a reader of the map needs.
PRIVATE_WEIGHT = 0.1
# `x`, `f`, `db`: loop variables and parameters that happen to be tagged.
SHORT_NAME_CHARS = 3
SHORT_NAME_WEIGHT = 0.1
# `get`, `append`, `push`: builtins and methods of the languages' own types; most
# uses of such a name are not uses of a definition that happens to share it.
BUILTIN_NAMES = frozenset(
    name for kind in (builtins, object, str, bytes, int, float, list, tuple, dict, set) for name in dir(kind)
) | frozenset((
    "push", "forEach", "length", "slice", "splice", "indexOf", "includes", "concat", "entries", "then",
    "catch", "finally", "toString", "trim", "log", "error", "warn", "has", "delete", "size", "new", "unwrap",
    "clone", "iter", "collect", "into", "to_string", "equals", "hashCode", "String", "Error", "make", "init",
))
BUILTIN_NAME_WEIGHT = 0.1
# `f(source)` passes a local or a parameter far more often than a definition
# elsewhere that happens to share its name.
ARGUMENT_WEIGHT = 0.1
IMPORT_USES = 1
# Fields and variables: what a map shows is mostly what can be called.
DATA_KINDS = ("field", "variable")
DATA_WEIGHT = 0.3
# `name`, `run`, `__init__`: defined in so many files that a use says little about which.
COMMON_DEFINERS = 5
COMMON_NAME_WEIGHT = 0.1
# The part of a file's rank its definitions get whoever uses them: what only its own
# file uses still shows (after what others use), most used first, unused last.
OWN_FILE_WEIGHT = 0.01
UNUSED_WEIGHT = 0.1


class ScoredDefinition(NamedTuple):  # a tuple: there is one per definition in the repository
    tag: Tag
    score: float


@dataclass
class ReferenceGraph:
    files: list[str]  # every node: files that define or use a name
    definitions: list[Tag]  # imports left out (they count as uses), and what functions define inside
    uses: dict[str, dict[str, float]]  # path -> {name: uses in that file, arguments weighted down}
    definers: dict[str, set[str]]  # name -> paths defining it
    weights: dict[str, float]  # name -> name_weight(name, its definers)
    # Arrays derived from the above, made on first use (see links_of, definition_arrays).
    cached: dict = field(default_factory=dict, repr=False, compare=False)


class FileFacts(NamedTuple):
    """What one file brings to the graph."""

    definitions: list[Tag]  # without imports and what functions define inside
    uses: dict[str, float]  # name -> uses, arguments weighted down, imports counted


def file_facts(definitions: list[Tag], counts: dict[str, int], arguments: dict[str, int]) -> FileFacts:
    """``definitions``: the file's, in source order (imports included); ``counts``:
    its references per name; ``arguments``: those of kind "name"."""
    uses: dict[str, float] = dict(counts)
    for name, count in arguments.items():
        uses[name] -= (1.0 - ARGUMENT_WEIGHT) * count
    kept = []
    for tag in definitions:
        if tag.kind == "import":
            # An import names a dependency outright, also one the tags do not see used
            # (`except ParseError:`, a name re-exported by a package's __init__).
            uses[tag.name] = uses.get(tag.name, 0) + IMPORT_USES
        else:
            kept.append(tag)
    return FileFacts(_without_locals(kept), uses)


def facts_by_file(index, paths: Collection[str] | None = None) -> dict[str, FileFacts]:
    """path -> FileFacts, for every file of the index (or those of ``paths``)."""
    if paths is None:
        definitions: dict[str, list[Tag]] = {}
        for tag in index.all_definitions():
            definitions.setdefault(tag.path, []).append(tag)
    else:
        definitions = {path: index.definitions_in(path) for path in paths}
    counts = index.reference_counts_by_file(paths=paths)
    arguments = index.reference_counts_by_file(kind="name", paths=paths)
    return {
        path: file_facts(definitions.get(path, []), counts.get(path, {}), arguments.get(path, {}))
        for path in (set(definitions) | set(counts)) if definitions.get(path) or counts.get(path)
    }


def assemble_graph(facts: dict[str, FileFacts]) -> ReferenceGraph:
    definitions: list[Tag] = []
    definers: dict[str, set[str]] = {}
    uses: dict[str, dict[str, float]] = {}
    files = sorted(facts)
    for path in files:
        file = facts[path]
        definitions += file.definitions
        for tag in file.definitions:
            definers.setdefault(tag.name, set()).add(path)
        if file.uses:
            uses[path] = file.uses
    weights = {name: name_weight(name, len(paths)) for name, paths in definers.items()}
    return ReferenceGraph(files, definitions, uses, definers, weights)


def reference_graph(index) -> ReferenceGraph:
    return assemble_graph(facts_by_file(index))


def _without_locals(definitions: list[Tag]) -> list[Tag]:
    """Drops what a function defines inside itself (a `wrapper`, a nested helper):
    nobody outside can use it. Fields it sets (`self.x = ...`) stay: they belong
    to the class. ``definitions`` come file by file, each in source order."""
    kept: list[Tag] = []
    open_function: Tag | None = None
    for tag in definitions:
        if open_function is not None and (open_function.path != tag.path or open_function.end_line < tag.line):
            open_function = None
        if open_function is not None and tag.kind != "field":
            continue
        kept.append(tag)
        if open_function is None and tag.kind in ("function", "method") and tag.end_line > tag.line:
            open_function = tag
    return kept


def name_weight(name: str, definers: int) -> float:
    weight = 1.0
    if name.startswith("_"):
        weight *= PRIVATE_WEIGHT
    if len(name) < SHORT_NAME_CHARS:
        weight *= SHORT_NAME_WEIGHT
    if name in BUILTIN_NAMES:
        weight *= BUILTIN_NAME_WEIGHT
    if definers > COMMON_DEFINERS:
        weight *= COMMON_NAME_WEIGHT
    return weight


class LinkArrays(NamedTuple):
    """The walk node -> name -> node as flat arrays (see pagerank)."""

    link_node: numpy.ndarray  # per (node, name) link: the node,
    link_name: numpy.ndarray  # the name,
    link_probability: numpy.ndarray  # and the share of the node's walk that takes it
    stranded: numpy.ndarray  # bool per node: links nowhere
    step_name: numpy.ndarray  # per (name, definer) step: the name,
    step_node: numpy.ndarray  # the definer,
    step_share: numpy.ndarray  # and 1 / the name's definers
    names: int


def link_arrays(links: list[list[tuple[int, float]]], definer_nodes: list[list[int]]) -> LinkArrays:
    link_node = [node for node, node_links in enumerate(links) for _ in node_links]
    link_name = [name for node_links in links for name, _ in node_links]
    link_probability = [probability for node_links in links for _, probability in node_links]
    step_name = [name for name, nodes in enumerate(definer_nodes) for _ in nodes]
    step_node = [node for nodes in definer_nodes for node in nodes]
    step_share = [1.0 / len(nodes) for nodes in definer_nodes for _ in nodes]
    return LinkArrays(
        numpy.array(link_node, dtype=numpy.int64), numpy.array(link_name, dtype=numpy.int64),
        numpy.array(link_probability, dtype=numpy.float64),
        numpy.array([not node_links for node_links in links], dtype=bool),
        numpy.array(step_name, dtype=numpy.int64), numpy.array(step_node, dtype=numpy.int64),
        numpy.array(step_share, dtype=numpy.float64), len(definer_nodes),
    )


def _flow_to_names(arrays: LinkArrays, rank: numpy.ndarray) -> numpy.ndarray:
    """Rank each name receives in one step."""
    return numpy.bincount(arrays.link_name, weights=rank[arrays.link_node] * arrays.link_probability,
                          minlength=arrays.names)


def pagerank_arrays(arrays: LinkArrays, restart: numpy.ndarray, start: numpy.ndarray | None = None) -> numpy.ndarray:
    """Stationary ranks of the walk; ``start``: a guess to begin from (the ranks
    before a small change converge in a few steps)."""
    rank = restart.copy() if start is None else start / start.sum()
    nodes = len(restart)
    for _ in range(MAX_ITERATIONS):
        at_name = _flow_to_names(arrays, rank)
        restarting = (1.0 - DAMPING) + DAMPING * rank[arrays.stranded].sum()
        arriving = numpy.bincount(arrays.step_node, weights=at_name[arrays.step_name] * arrays.step_share,
                                  minlength=nodes)
        new_rank = restarting * restart + DAMPING * arriving
        moved = numpy.abs(new_rank - rank).sum()
        rank = new_rank
        if moved < TOLERANCE:
            break
    return rank


def pagerank(links: list[list[tuple[int, float]]], definer_nodes: list[list[int]], restart: list[float]) -> list[float]:
    """Stationary ranks of a walk that goes node -> name -> node.

    ``links[a]``: (name, probability) pairs summing to 1, or empty for a node that
    links nowhere; ``definer_nodes[n]``: the nodes a walk at name n moves on to,
    evenly; ``restart``: where a random restart lands (sums to 1). A walk at a node
    without links restarts, so no rank leaks away."""
    return pagerank_arrays(link_arrays(links, definer_nodes), numpy.array(restart, dtype=numpy.float64)).tolist()


@dataclass
class Ranking:
    files: dict[str, float]  # path -> rank; they sum to 1
    arriving: dict[str, float]  # name -> rank each file defining it receives through it
    rank: numpy.ndarray | None = None  # the same per node of the graph (graph.files order)
    arriving_by_id: numpy.ndarray | None = None  # and per name id (links_of(graph).name_ids)


def focus_name_set(graph: ReferenceGraph, focus_paths: Iterable[str], focus_names: Iterable[str]) -> set[str]:
    """The names a focus is about: those given, and those its files use."""
    names = set(focus_names)
    for path in focus_paths:
        names.update(graph.uses.get(path, ()))
    return names


class Links(NamedTuple):
    """The graph's links before any focus: per (file, name) pair, the file's node,
    the name's id and the weight of the link (sqrt of the uses times the name's
    weight); per name id, its definers' nodes."""

    name_ids: dict[str, int]
    definer_nodes: list[list[int]]
    link_node: numpy.ndarray
    link_name: numpy.ndarray
    link_weight: numpy.ndarray
    step_name: numpy.ndarray
    step_node: numpy.ndarray
    step_share: numpy.ndarray


def links_of(graph: ReferenceGraph) -> Links:
    found = graph.cached.get("links")
    if found is not None:
        return found
    node_of = {path: node for node, path in enumerate(graph.files)}
    name_ids: dict[str, int] = {}
    definer_nodes: list[list[int]] = []
    link_node: list[int] = []
    link_name: list[int] = []
    link_weight: list[float] = []
    definers, weights, sqrt = graph.definers, graph.weights, math.sqrt
    empty: dict[str, float] = {}
    for node, path in enumerate(graph.files):
        for name, count in graph.uses.get(path, empty).items():
            paths = definers.get(name)
            if not paths or path in paths:
                continue  # nothing defines it (a builtin), or this file does: a local use
            name_id = name_ids.get(name)
            if name_id is None:
                name_id = name_ids[name] = len(definer_nodes)
                definer_nodes.append(sorted(node_of[p] for p in paths))
            link_node.append(node)
            link_name.append(name_id)
            link_weight.append(sqrt(count) * weights[name])
    step_name = [name for name, nodes in enumerate(definer_nodes) for _ in nodes]
    step_node = [node for nodes in definer_nodes for node in nodes]
    step_share = [1.0 / len(nodes) for nodes in definer_nodes for _ in nodes]
    found = graph.cached["links"] = Links(
        name_ids, definer_nodes, numpy.array(link_node, dtype=numpy.int64), numpy.array(link_name, dtype=numpy.int64),
        numpy.array(link_weight, dtype=numpy.float64), numpy.array(step_name, dtype=numpy.int64),
        numpy.array(step_node, dtype=numpy.int64), numpy.array(step_share, dtype=numpy.float64),
    )
    return found


def _boost(ids: dict[str, int], size: int, boosted_names: Collection[str]) -> numpy.ndarray | None:
    """Per id, FOCUS_NAME_BOOST for the boosted names and 1 for the others."""
    boosted = [ids[name] for name in boosted_names if name in ids]
    if not boosted:
        return None
    factor = numpy.ones(size, dtype=numpy.float64)
    factor[boosted] = FOCUS_NAME_BOOST
    return factor


def rank_files(
    graph: ReferenceGraph, focus_paths: Collection[str] = (), boosted_names: Collection[str] = (),
    start: dict[str, float] | None = None,
) -> Ranking:
    """``start``: earlier ranks per path to begin the iterations from."""
    if not graph.files:
        return Ranking({}, {})
    links = links_of(graph)
    nodes = len(graph.files)
    weight = links.link_weight
    boost = _boost(links.name_ids, len(links.definer_nodes), boosted_names)
    if boost is not None:
        weight = weight * boost[links.link_name]
    totals = numpy.bincount(links.link_node, weights=weight, minlength=nodes)
    arrays = LinkArrays(
        links.link_node, links.link_name, weight / totals[links.link_node], totals == 0,
        links.step_name, links.step_node, links.step_share, len(links.definer_nodes),
    )
    guess = None
    if start:
        guess = numpy.array([start.get(path, 0.0) for path in graph.files], dtype=numpy.float64)
        guess = guess + 1.0 / nodes if not guess.sum() else guess
    rank = pagerank_arrays(arrays, numpy.array(_restart(graph.files, focus_paths), dtype=numpy.float64), guess)
    definer_counts = numpy.array([len(n) for n in links.definer_nodes], dtype=numpy.float64)
    at_name = DAMPING * _flow_to_names(arrays, rank) / numpy.maximum(definer_counts, 1.0)
    arriving = dict(zip(links.name_ids, at_name[list(links.name_ids.values())].tolist()))
    return Ranking(dict(zip(graph.files, rank.tolist())), arriving, rank, at_name)


def _restart(files: list[str], focus_paths: Collection[str]) -> list[float]:
    focus = [path for path in files if path in focus_paths]
    if not focus:
        return [1.0 / len(files)] * len(files)
    spread = (1.0 - FOCUS_RESTART_SHARE) / len(files)
    pulled = FOCUS_RESTART_SHARE / len(focus)
    return [spread + (pulled if path in focus_paths else 0.0) for path in files]


class DefinitionArrays(NamedTuple):
    """Per definition of the graph, what its score is made of apart from the ranking."""

    name_id: numpy.ndarray  # its name's id in links_of(graph), or -1 when no link arrives through it
    node: numpy.ndarray  # its file's node
    local: numpy.ndarray  # (sqrt(own file's uses) + UNUSED_WEIGHT) * name weight / definitions in the file
    factor: numpy.ndarray  # DATA_WEIGHT for fields and variables, else 1
    name_of: dict[str, list[int]]  # name -> its definitions' positions, for boosts


def definition_arrays(graph: ReferenceGraph) -> DefinitionArrays:
    found = graph.cached.get("definitions")
    if found is not None:
        return found
    links = links_of(graph)
    node_of = {path: node for node, path in enumerate(graph.files)}
    definitions_in: dict[str, int] = {}
    for tag in graph.definitions:
        definitions_in[tag.path] = definitions_in.get(tag.path, 0) + 1
    name_id, node, local, factor = [], [], [], []
    name_of: dict[str, list[int]] = {}
    empty: dict[str, float] = {}
    for position, tag in enumerate(graph.definitions):
        name = tag.name
        name_id.append(links.name_ids.get(name, -1))
        node.append(node_of[tag.path])
        own_uses = math.sqrt(graph.uses.get(tag.path, empty).get(name, 0))
        local.append((own_uses + UNUSED_WEIGHT) * graph.weights[name] / definitions_in[tag.path])
        factor.append(DATA_WEIGHT if tag.kind in DATA_KINDS else 1.0)
        name_of.setdefault(name, []).append(position)
    found = graph.cached["definitions"] = DefinitionArrays(
        numpy.array(name_id, dtype=numpy.int64), numpy.array(node, dtype=numpy.int64),
        numpy.array(local, dtype=numpy.float64), numpy.array(factor, dtype=numpy.float64), name_of,
    )
    return found


def rank_definitions(
    graph: ReferenceGraph, ranking: Ranking, boosted_names: Collection[str] = (),
    exclude_paths: Collection[str] = (), limit: int | None = None,
) -> list[ScoredDefinition]:
    """Every definition outside ``exclude_paths`` (or the best ``limit``), best
    first: the rank its file receives through its name from the files that use it,
    plus, so that what only its own file uses still shows (after the rest), a small
    part of the file's own rank."""
    if not graph.definitions:
        return []
    if ranking.rank is None:
        ranking = rank_files(graph)  # a Ranking made elsewhere: only its arrays are used
    arrays = definition_arrays(graph)
    # A name id of -1 (no link arrives through the name) picks the 0 appended last.
    arriving = numpy.append(ranking.arriving_by_id, 0.0)[arrays.name_id]
    score = (arriving + OWN_FILE_WEIGHT * ranking.rank[arrays.node] * arrays.local) * arrays.factor
    boosted = [position for name in boosted_names for position in arrays.name_of.get(name, ())]
    if boosted:
        score[boosted] *= FOCUS_NAME_BOOST
    if exclude_paths:
        excluded = [node for node, path in enumerate(graph.files) if path in exclude_paths]
        if excluded:
            score[numpy.isin(arrays.node, excluded)] = -numpy.inf
    kept = int(numpy.count_nonzero(score > -numpy.inf))
    count = kept if limit is None else min(limit, kept)
    if count <= 0:
        return []
    if count < len(score):
        # The count best, and any tied with the last of them (ties go by path and line).
        threshold = numpy.partition(score, len(score) - count)[len(score) - count]
        chosen = numpy.flatnonzero(score >= threshold)
    else:
        chosen = numpy.flatnonzero(score > -numpy.inf)
    scores = score[chosen].tolist()
    items = [ScoredDefinition(graph.definitions[i], value) for i, value in zip(chosen.tolist(), scores)]
    items.sort(key=_best_first)
    return items[:count]


def _best_first(item: ScoredDefinition) -> tuple:
    return -item.score, item.tag.path, item.tag.line
