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

Each file's part of the graph (FilePart: its definitions, its uses, and the same as
arrays of name ids) is made once per version of the file; the graph's arrays are
concatenations of the parts' and what depends on the whole repository (how many
files define a name, hence its weight and whether a use links anywhere) is worked
out on those arrays. A map cache keeps the parts and the name ids (NameIds), so
after a change only the changed file's part is made again: on a 5,000-file tree
the loops over every definition and use took a second after each keystroke.
"""

from __future__ import annotations

import builtins
import math
from itertools import chain
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
# Kinds whose header is shown above a chosen member, so `def area(self)` reads as a method.
CONTAINER_KINDS = ("class", "interface", "type", "enum", "module")


class ScoredDefinition(NamedTuple):  # a tuple: there is one per definition in the repository
    tag: Tag
    score: float


class NameIds:
    """Ids of names, stable for the life of the object: a FilePart's arrays keep
    theirs when other files change. ``base``: each name's weight before the count
    of its definers (see name_weight)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._base: list[float] = []
        self._base_array: numpy.ndarray | None = None

    def of(self, names: Collection[str]) -> numpy.ndarray:
        ids = self.ids
        found = [ids.get(name, -1) for name in names]
        if -1 in found:  # names not seen before get the next ids
            base = self._base
            for position, name in enumerate(names):
                if found[position] == -1:
                    name_id = ids.get(name)
                    if name_id is None:
                        name_id = ids[name] = len(base)
                        base.append(base_weight(name))
                    found[position] = name_id
            self._base_array = None
        return numpy.array(found, dtype=numpy.int64)

    def __len__(self) -> int:
        return len(self._base)

    def base(self) -> numpy.ndarray:
        if self._base_array is None:
            self._base_array = numpy.array(self._base, dtype=numpy.float64)
        return self._base_array


class FilePart(NamedTuple):
    """One file's part of the graph, as lists and as arrays of name ids."""

    path: str
    definitions: list[Tag]  # FileFacts.definitions
    uses: dict[str, float]  # FileFacts.uses
    definition_ids: numpy.ndarray  # per definition, its name's id
    own: numpy.ndarray  # per definition, sqrt(this file's uses of its name) + UNUSED_WEIGHT
    factor: numpy.ndarray  # per definition, DATA_WEIGHT for fields and variables, else 1
    defined_ids: numpy.ndarray  # the names this file defines, each once
    use_ids: numpy.ndarray  # per name used (uses' order), its id,
    use_sqrt: numpy.ndarray  # sqrt of the uses,
    use_local: numpy.ndarray  # and whether this file defines it too (a local use: no link)
    containers: dict[str, list[Tag]]  # container name -> its definitions here, for the outline


def file_part(path: str, facts: FileFacts, names: NameIds) -> FilePart:
    definitions, uses = facts
    defined_names = [tag.name for tag in definitions]
    defined = dict.fromkeys(defined_names)
    sqrt = math.sqrt
    containers: dict[str, list[Tag]] = {}
    for tag in definitions:
        if tag.kind in CONTAINER_KINDS:
            containers.setdefault(tag.name, []).append(tag)
    return FilePart(
        path, definitions, uses, names.of(defined_names),
        numpy.array([sqrt(uses.get(name, 0)) + UNUSED_WEIGHT for name in defined_names], dtype=numpy.float64),
        numpy.array([DATA_WEIGHT if tag.kind in DATA_KINDS else 1.0 for tag in definitions], dtype=numpy.float64),
        names.of(defined), names.of(uses),
        numpy.array([sqrt(count) for count in uses.values()], dtype=numpy.float64),
        numpy.array([name in defined for name in uses], dtype=bool),
        containers,
    )


@dataclass
class ReferenceGraph:
    files: list[str]  # every node: files that define or use a name
    definitions: list[Tag]  # imports left out (they count as uses), and what functions define inside
    uses: dict[str, dict[str, float]]  # path -> {name: uses in that file, arguments weighted down}
    parts: list[FilePart]  # per node
    names: NameIds
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


def facts_from_rows(path: str, rows: list[tuple], counts: dict[str, int], arguments: dict[str, int]) -> FileFacts:
    """file_facts of one file's definition rows (RepoIndex.definition_rows): the
    same, with a Tag made only for the definitions kept."""
    uses: dict[str, float] = dict(counts)
    for name, count in arguments.items():
        uses[name] -= (1.0 - ARGUMENT_WEIGHT) * count
    kept = []
    open_end = -1  # the last line of the function being skipped inside, or -1
    for row in rows:
        name, kind, line, column, end_line, scope, signature = row
        if kind == "import":
            uses[name] = uses.get(name, 0) + IMPORT_USES
            continue
        # What a function defines inside itself, but its fields (see _without_locals).
        if open_end >= 0 and open_end < line:
            open_end = -1
        if open_end >= 0 and kind != "field":
            continue
        kept.append(Tag(name, kind, "definition", path, line, column, end_line, scope, signature))
        if open_end < 0 and kind in ("function", "method") and end_line > line:
            open_end = end_line
    return FileFacts(kept, uses)


def facts_by_file(index, paths: Collection[str] | None = None) -> dict[str, FileFacts]:
    """path -> FileFacts, for every file of the index (or those of ``paths``)."""
    if hasattr(index, "definition_rows"):
        rows = index.definition_rows(paths)
        counts = index.reference_counts_by_file(paths=paths)
        arguments = index.reference_counts_by_file(kind="name", paths=paths)
        return {
            path: facts_from_rows(path, rows.get(path, []), counts.get(path, {}), arguments.get(path, {}))
            for path in (set(rows) | set(counts)) if rows.get(path) or counts.get(path)
        }
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


def assemble_graph(parts: dict[str, FilePart], names: NameIds) -> ReferenceGraph:
    files = sorted(parts)
    ordered = [parts[path] for path in files]
    definitions = list(chain.from_iterable(part.definitions for part in ordered))
    uses = {part.path: part.uses for part in ordered if part.uses}
    return ReferenceGraph(files, definitions, uses, ordered, names)


def reference_graph(index) -> ReferenceGraph:
    names = NameIds()
    parts = {path: file_part(path, facts, names) for path, facts in facts_by_file(index).items()}
    return assemble_graph(parts, names)


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


def base_weight(name: str) -> float:
    weight = 1.0
    if name.startswith("_"):
        weight *= PRIVATE_WEIGHT
    if len(name) < SHORT_NAME_CHARS:
        weight *= SHORT_NAME_WEIGHT
    if name in BUILTIN_NAMES:
        weight *= BUILTIN_NAME_WEIGHT
    return weight


def name_weight(name: str, definers: int) -> float:
    weight = base_weight(name)
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
    rank: numpy.ndarray | None = None  # the same per node of the graph (graph.files order)
    arriving_by_id: numpy.ndarray | None = None  # per name id (graph.names): the rank each definer receives through it


def focus_name_set(graph: ReferenceGraph, focus_paths: Iterable[str], focus_names: Iterable[str]) -> set[str]:
    """The names a focus is about: those given, and those its files use."""
    names = set(focus_names)
    for path in focus_paths:
        names.update(graph.uses.get(path, ()))
    return names


class Links(NamedTuple):
    """The graph's links before any focus: per (file, name) pair, the file's node,
    the name's id and the weight of the link (sqrt of the uses times the name's
    weight); per (name, definer) step, the name's id, the definer's node and its
    share; per name id, how many files define it."""

    link_node: numpy.ndarray
    link_name: numpy.ndarray
    link_weight: numpy.ndarray
    step_name: numpy.ndarray
    step_node: numpy.ndarray
    step_share: numpy.ndarray
    definer_count: numpy.ndarray
    weight: numpy.ndarray  # per name id: name_weight(name, its definers)


def _concatenated(parts: list[FilePart], field_name: str, dtype) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The parts' arrays of one field end to end, and the node of each element."""
    arrays = [getattr(part, field_name) for part in parts]
    lengths = numpy.array([len(array) for array in arrays], dtype=numpy.int64)
    joined = numpy.concatenate(arrays) if arrays else numpy.zeros(0, dtype=dtype)
    return joined.astype(dtype, copy=False), numpy.repeat(numpy.arange(len(parts), dtype=numpy.int64), lengths)


def links_of(graph: ReferenceGraph) -> Links:
    found = graph.cached.get("links")
    if found is not None:
        return found
    size = len(graph.names)
    defined, defined_node = _concatenated(graph.parts, "defined_ids", numpy.int64)
    definer_count = numpy.bincount(defined, minlength=size)
    weight = graph.names.base() * numpy.where(definer_count > COMMON_DEFINERS, COMMON_NAME_WEIGHT, 1.0)
    use_ids, use_node = _concatenated(graph.parts, "use_ids", numpy.int64)
    use_sqrt, _ = _concatenated(graph.parts, "use_sqrt", numpy.float64)
    use_local, _ = _concatenated(graph.parts, "use_local", bool)
    # Nothing defines it (a builtin), or this file does (a local use): no link.
    linked = (definer_count[use_ids] > 0) & ~use_local
    link_name = use_ids[linked]
    found = graph.cached["links"] = Links(
        use_node[linked], link_name, use_sqrt[linked] * weight[link_name],
        defined, defined_node, 1.0 / definer_count[defined], definer_count, weight,
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
        return Ranking({})
    links = links_of(graph)
    nodes = len(graph.files)
    names = len(links.definer_count)
    weight = links.link_weight
    boost = _boost(graph.names.ids, names, boosted_names)
    if boost is not None:
        weight = weight * boost[links.link_name]
    totals = numpy.bincount(links.link_node, weights=weight, minlength=nodes)
    arrays = LinkArrays(
        links.link_node, links.link_name, weight / totals[links.link_node], totals == 0,
        links.step_name, links.step_node, links.step_share, names,
    )
    guess = None
    if start:
        guess = numpy.array([start.get(path, 0.0) for path in graph.files], dtype=numpy.float64)
        guess = guess + 1.0 / nodes if not guess.sum() else guess
    rank = pagerank_arrays(arrays, numpy.array(_restart(graph.files, focus_paths), dtype=numpy.float64), guess)
    at_name = DAMPING * _flow_to_names(arrays, rank) / numpy.maximum(links.definer_count, 1)
    return Ranking(dict(zip(graph.files, rank.tolist())), rank, at_name)


def _restart(files: list[str], focus_paths: Collection[str]) -> list[float]:
    focus = [path for path in files if path in focus_paths]
    if not focus:
        return [1.0 / len(files)] * len(files)
    spread = (1.0 - FOCUS_RESTART_SHARE) / len(files)
    pulled = FOCUS_RESTART_SHARE / len(focus)
    return [spread + (pulled if path in focus_paths else 0.0) for path in files]


class DefinitionArrays(NamedTuple):
    """Per definition of the graph, what its score is made of apart from the ranking."""

    name_id: numpy.ndarray  # its name's id in graph.names
    node: numpy.ndarray  # its file's node
    local: numpy.ndarray  # (sqrt(own file's uses) + UNUSED_WEIGHT) * name weight / definitions in the file
    factor: numpy.ndarray  # DATA_WEIGHT for fields and variables, else 1


def definition_arrays(graph: ReferenceGraph) -> DefinitionArrays:
    found = graph.cached.get("definitions")
    if found is not None:
        return found
    links = links_of(graph)
    name_id, node = _concatenated(graph.parts, "definition_ids", numpy.int64)
    own, _ = _concatenated(graph.parts, "own", numpy.float64)
    factor, _ = _concatenated(graph.parts, "factor", numpy.float64)
    counts = numpy.array([len(part.definitions) for part in graph.parts], dtype=numpy.float64)
    found = graph.cached["definitions"] = DefinitionArrays(
        name_id, node, own * links.weight[name_id] / counts[node], factor,
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
    arriving = ranking.arriving_by_id[arrays.name_id]  # 0 where no link arrives through the name
    score = (arriving + OWN_FILE_WEIGHT * ranking.rank[arrays.node] * arrays.local) * arrays.factor
    boosted = [graph.names.ids[name] for name in boosted_names if name in graph.names.ids]
    if boosted:
        score[numpy.isin(arrays.name_id, boosted)] *= FOCUS_NAME_BOOST
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
