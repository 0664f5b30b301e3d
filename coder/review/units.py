"""Review units: the changed hunks grouped by the definition around them.

A hunk alone is a poor thing to review (``i <= n`` is right or wrong depending on the
loop around it), so each hunk is shown inside its enclosing function or class, found
with the language's tree-sitter scopes query (``coder/queries/<lang>-scopes.scm``).
Hunks inside the same definition make one unit and one model call. A definition too
long to show whole keeps its header and a window around the changed lines; a hunk at
the top level of a file gets a window of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coder.review.changes import FileChange, Hunk

MAX_EXCERPT_LINES = 80
WINDOW_LINES = 10  # around the changed lines, when the definition is too long
TOP_LEVEL_WINDOW = 8
# What makes a changed line worth reviewing first: the shapes of bugs that the
# review prompt asks about (comparisons, bounds, indexes, conditions, returns).
SUSPICIOUS = re.compile(
    r"[<>!=]=|[<>]|\bif\b|\bwhile\b|\bfor\b|\brange\(|\blen\(|\[|[-+] ?1\b|\breturn\b|\bNone\b|\bnull\b"
    r"|\bnot\b|!|&&|\|\||\band\b|\bor\b|\bexcept\b|\bcatch\b|\bdel\b|\bfree\("
)


@dataclass
class ReviewUnit:
    change: FileChange
    hunks: list[Hunk]
    lines: list[int]  # 1-based line numbers shown, in order (a gap where they jump)
    scope: str = ""  # the header line of the enclosing definition, if any
    sure_findings: int = field(default=0)  # set by the reviewer: sure checks on its lines

    @property
    def path(self) -> str:
        return self.change.path

    @property
    def changed(self) -> set[int]:
        lines = set()
        for hunk in self.hunks:
            lines.update(hunk.new_lines or (hunk.new_start,))
        return lines

    @property
    def changed_line_count(self) -> int:
        return sum(max(hunk.new_count, len(hunk.removed)) for hunk in self.hunks)

    @property
    def label(self) -> str:
        changed = sorted(self.changed)
        return f"{self.path}:{changed[0]}-{changed[-1]}" if changed else self.path

    def suspicion(self) -> float:
        """Higher first: sure findings, then lines with the shapes of common bugs."""
        text = [line for hunk in self.hunks for line in hunk.added + hunk.removed]
        shapes = sum(len(SUSPICIOUS.findall(line)) for line in text)
        return self.sure_findings * 100 + shapes + 0.01 * len(text)

    def numbered_code(self) -> str:
        """The excerpt, each line numbered, changed lines marked with >."""
        source = self.change.text.split("\n")
        changed = self.changed
        out = []
        previous = None
        for number in self.lines:
            if previous is not None and number != previous + 1:
                out.append("      | ...")
            marker = ">" if number in changed else " "
            out.append(f"{marker}{number:>5} | {source[number - 1] if number <= len(source) else ''}")
            previous = number
        return "\n".join(out)

    def removed_text(self) -> str:
        return "\n".join(line for hunk in self.hunks for line in hunk.removed)


def parse(change: FileChange):
    """The file's tree-sitter tree, or None for a language without a grammar."""
    from coder.syntax.languages import new_parser

    parser = new_parser(change.language)
    return parser.parse(change.text.encode("utf-8")) if parser is not None else None


def _scopes(change: FileChange, tree) -> list[tuple[int, int]]:
    """(first row, last row) of every enclosing definition, from the scopes query."""
    import tree_sitter

    from coder.context.scope_window import scopes_query

    query = scopes_query(change.language)
    if query is None or tree is None:
        return []
    spans = set()
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        scope = captures["scope"][0]
        spans.add((scope.start_point.row, scope.end_point.row))
    return sorted(spans)


def _innermost(spans: list[tuple[int, int]], first: int, last: int) -> tuple[int, int] | None:
    best = None
    for start, end in spans:
        if start <= first and last <= end and (best is None or end - start < best[1] - best[0]):
            best = (start, end)
    return best


def split_hunk(hunk: Hunk, size: int = MAX_EXCERPT_LINES) -> list[Hunk]:
    """A hunk longer than ``size`` new lines as consecutive pieces (a new file of a
    thousand lines is one hunk); what it removed stays with the first piece."""
    if hunk.new_count <= size:
        return [hunk]
    pieces = []
    for offset in range(0, hunk.new_count, size):
        count = min(size, hunk.new_count - offset)
        pieces.append(Hunk(hunk.new_start + offset, count, hunk.removed if offset == 0 else (),
                           hunk.added[offset : offset + count]))
    return pieces


def review_units(change: FileChange, tree=None) -> list[ReviewUnit]:
    """``tree`` is the file's tree when the caller has parsed it (else it is parsed here)."""
    spans = _scopes(change, tree if tree is not None else parse(change))
    line_count = len(change.text.split("\n"))
    grouped: dict[tuple[int, int] | None, list[Hunk]] = {}
    for hunk in (piece for h in change.hunks for piece in split_hunk(h)):
        lines = hunk.new_lines or range(hunk.new_start, hunk.new_start + 1)
        grouped.setdefault(_innermost(spans, lines[0] - 1, lines[-1] - 1), []).append(hunk)
    units = []
    for span, hunks in grouped.items():
        for batch in _batches(hunks):
            units.append(_unit(change, batch, span, line_count))
    return sorted(units, key=lambda unit: unit.lines[0] if unit.lines else 0)


def _changed_of(hunks: list[Hunk]) -> list[int]:
    return sorted({n for h in hunks for n in (h.new_lines or (h.new_start,))})


def _batches(hunks: list[Hunk]) -> list[list[Hunk]]:
    """Hunks in runs whose changed lines, with their windows, fit one excerpt."""
    batches: list[list[Hunk]] = []
    for hunk in sorted(hunks, key=lambda h: h.new_start):
        if batches:
            extent = _changed_of(batches[-1] + [hunk])
            if extent[-1] - extent[0] + 2 * WINDOW_LINES < MAX_EXCERPT_LINES:
                batches[-1].append(hunk)
                continue
        batches.append([hunk])
    return batches


def _unit(change: FileChange, hunks: list[Hunk], span: tuple[int, int] | None, line_count: int) -> ReviewUnit:
    changed = _changed_of(hunks)
    if span is None:
        window = range(max(1, changed[0] - TOP_LEVEL_WINDOW), min(line_count, changed[-1] + TOP_LEVEL_WINDOW) + 1)
        return ReviewUnit(change, hunks, list(window))
    first, last = span[0] + 1, span[1] + 1
    if last - first + 1 <= MAX_EXCERPT_LINES:
        shown = list(range(first, last + 1))
    else:
        window = range(max(first, changed[0] - WINDOW_LINES), min(last, changed[-1] + WINDOW_LINES) + 1)
        shown = sorted({first, *window})
    return ReviewUnit(change, hunks, [n for n in shown if n <= line_count], scope=change.line(first).strip())
