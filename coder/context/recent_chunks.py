"""Chunks of the files the user opened or edited lately, for cross-file context.

The index knows saved, indexed files; what the user just wrote in another buffer,
or the file they just looked at, it may not know yet. The fronts report opens and
edits here (``note_opened``, ``note_edited``, ``forget``); each report makes one
chunk: the top of an opened file, the lines around an edit, or a small file whole.
Chunks live in a ring buffer, newest first, bounded by count and by characters.

A new chunk replaces the older chunks it makes stale or repeats: those of the same
file whose lines it overlaps (the file changed there), and near-duplicates from
any file (the same lines, by a Jaccard measure over their significant lines).

``snippets_for`` ranks the chunks for a cursor: identifiers shared with the lines
around the cursor (names a chunk defines count double), plus a bonus for
recency. Chunks of the current document are left out (the local window shows that
file), as are chunks that mostly repeat what the prompt already shows.

Pure Python, no model; safe to feed from one thread while another asks.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

from coder.context.cross_file import IDENTIFIER, names_near

WINDOW_LINES = 24  # an edit's chunk, and the top of an opened file
WHOLE_FILE_LINES = 40  # a file this short is one chunk, whole
MAX_CHUNKS = 16
MAX_CHARS = 24_000
DUPLICATE_JACCARD = 0.6  # chunks sharing this much of their lines are one chunk
REPEAT_SHARE = 0.5  # a chunk with this share of its lines already visible is left out
RECENCY_WEIGHT = 0.3  # the newest chunk's bonus; it decays as 1 / (1 + age)
MIN_LINE_CHARS = 4  # shorter lines (`}`, `)`, `end`) say nothing about sameness

# Words every file of a language shares: they would make any two chunks look alike.
COMMON_WORDS = frozenset(
    "and as async await bool break case catch char class const continue def default "
    "del elif else enum except export extends false final finally float fn for from "
    "func function if impl import in int interface is let long new nil none not null "
    "of or pass private protected public pub raise return self static str string "
    "struct super switch this throw true try type use var void while with yield".split()
)
# `def name`, `class Name`, `function name`, `fn name`, `func name`, `type Name`...
DEFINED = re.compile(
    r"\b(?:def|class|function|fn|func|struct|interface|type|enum|trait|impl)\s+\*?\s*([A-Za-z_][A-Za-z0-9_]*)"
)


@dataclass(frozen=True, eq=False)  # compared by identity: a chunk is one report
class Chunk:
    path: str  # as the front gave it
    key: str  # the path normalized, to tell files apart
    start_line: int  # 0-based, the chunk's first line in the file when it was taken
    end_line: int  # exclusive
    text: str
    lines: frozenset  # its significant lines, stripped, for near-duplicate tests
    names: frozenset  # identifiers it uses, common words left out
    defines: frozenset  # names it appears to define


def _significant_lines(text: str) -> frozenset:
    return frozenset(s for s in (line.strip() for line in text.split("\n")) if len(s) >= MIN_LINE_CHARS)


def _names(text: str) -> frozenset:
    return frozenset(n for n in IDENTIFIER.findall(text) if len(n) > 2 and n.lower() not in COMMON_WORDS)


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def make_chunk(path: str, lines: list[str], start: int, end: int) -> Chunk | None:
    """A chunk of lines[start:end], trailing blank lines dropped; None when blank."""
    while end > start and not lines[end - 1].strip():
        end -= 1
    text = "\n".join(lines[start:end])
    if not text.strip():
        return None
    names, defines = _names(text), frozenset(DEFINED.findall(text))
    return Chunk(path, _key(path), start, end, text, _significant_lines(text), names, defines)


class RecentChunks:
    def __init__(
        self,
        *,
        max_chunks: int = MAX_CHUNKS,
        max_chars: int = MAX_CHARS,
        window_lines: int = WINDOW_LINES,
        whole_file_lines: int = WHOLE_FILE_LINES,
    ):
        self.max_chunks = max_chunks
        self.max_chars = max_chars
        self.window_lines = window_lines
        self.whole_file_lines = whole_file_lines
        self._chunks: list[Chunk] = []  # newest first
        self._lock = threading.Lock()

    # -- what the fronts report -----------------------------------------------

    def note_opened(self, path: str, text: str) -> None:
        """A file was opened: its top (imports, the first definitions) is a chunk."""
        lines = text.split("\n")
        end = len(lines) if len(lines) <= self.whole_file_lines else self.window_lines
        self._add(make_chunk(path, lines, 0, end))

    def note_edited(self, path: str, text: str, line: int) -> None:
        """A file was edited at a 0-based line: the lines around it are a chunk."""
        lines = text.split("\n")
        if len(lines) <= self.whole_file_lines:
            start, end = 0, len(lines)
        else:
            line = max(0, min(line, len(lines) - 1))
            start = max(0, line - self.window_lines // 2)
            end = min(len(lines), start + self.window_lines)
            start = max(0, end - self.window_lines)
        self._add(make_chunk(path, lines, start, end))

    def forget(self, path: str) -> None:
        """A file was closed or deleted: its chunks go."""
        key = _key(path)
        with self._lock:
            self._chunks = [c for c in self._chunks if c.key != key]

    # -- the buffer -----------------------------------------------------------

    def _add(self, chunk: Chunk | None) -> None:
        if chunk is None:
            return
        with self._lock:
            kept = [c for c in self._chunks if not self._replaced_by(c, chunk)]
            kept.insert(0, chunk)
            # Oldest out first, by count and by size; the new chunk always stays.
            total = sum(len(c.text) for c in kept)
            while len(kept) > 1 and (len(kept) > self.max_chunks or total > self.max_chars):
                total -= len(kept.pop().text)
            self._chunks = kept

    @staticmethod
    def _replaced_by(old: Chunk, new: Chunk) -> bool:
        if old.key == new.key and old.start_line < new.end_line and new.start_line < old.end_line:
            return True  # the same file's lines, now older than the new text
        return jaccard(old.lines, new.lines) >= DUPLICATE_JACCARD

    def chunks(self) -> list[Chunk]:
        """The chunks, newest first."""
        with self._lock:
            return list(self._chunks)

    def __len__(self) -> int:
        return len(self._chunks)

    def is_current(self, chunk: Chunk) -> bool:
        """Whether chunk is still in the buffer (not replaced, forgotten or evicted)."""
        with self._lock:
            return any(c is chunk for c in self._chunks)

    def has_other_than(self, path: str) -> bool:
        """Whether any chunk comes from a file other than path."""
        key = _key(path)
        with self._lock:
            return any(c.key != key for c in self._chunks)

    # -- context for a cursor -------------------------------------------------

    def snippets_for(self, path: str, text: str, line: int, visible_text: str = "") -> list[Chunk]:
        """Chunks worth showing for a cursor at a 0-based line of path, best first.

        ``visible_text`` is what the prompt already carries (the local window, the
        definitions chosen): a chunk that mostly repeats it is left out. A chunk
        sharing no identifier with the lines around the cursor is left out too:
        recency alone does not pay for the tokens it costs."""
        key = _key(path)
        near = {n for n in names_near(text, line) if len(n) > 2 and n.lower() not in COMMON_WORDS}
        if not near:
            return []
        visible = _significant_lines(visible_text)
        scored: list[tuple[float, int, Chunk]] = []
        # Age counts only other files' chunks: the current document's, renewed at
        # every keystroke, would otherwise shift every score while the user types.
        others = [c for c in self.chunks() if c.key != key]
        for age, chunk in enumerate(others):
            if chunk.lines and len(chunk.lines & visible) >= REPEAT_SHARE * len(chunk.lines):
                continue
            shared = len(chunk.names & near) + len(chunk.defines & near)
            if not shared:
                continue
            score = shared / len(near) + RECENCY_WEIGHT / (1 + age)
            scored.append((-score, age, chunk))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in scored]
