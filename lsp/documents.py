"""Open documents as the editor has them: text, version and a tree-sitter tree.

Edits arrive in LSP positions (lsp/positions.py turns them into code-point offsets).
The text is kept here exactly as the editor holds it, line breaks included; the
tree is the core's ``coder.syntax.document.Document``, edited and reparsed
incrementally with each change, so the context builder gets a current tree for the
version it completes without parsing the file again. Documents larger than the
index's file limit keep no tree (a 50 MB buffer must not cost a 50 MB parse per
keystroke); completions on them work from the text alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsp import positions

DEFAULT_TREE_LIMIT = 1_000_000  # characters


def uri_to_path(uri: str) -> str:
    """A file URI's path; other schemes (untitled:, ...) keep the URI as their name."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    return unquote(parsed.path)


@dataclass(frozen=True)
class Snapshot:
    """One version of a document, as a completion job sees it (immutable)."""

    uri: str
    path: str
    language: str
    version: int
    text: str
    tree: object = None  # a tree-sitter Tree of text, or None


class OpenDocument:
    def __init__(self, uri: str, text: str, version: int, language: str, tree_limit: int):
        self.uri = uri
        self.path = uri_to_path(uri)
        self.language = language
        self.version = version
        self.text = text
        self._tree_limit = tree_limit
        self._syntax = None
        self._reset_tree()

    def _reset_tree(self) -> None:
        from coder.syntax.document import Document

        self._syntax = Document(self.text, self.language) if self._wants_tree() else None
        # Texts with "\r" keep no tree: the core's Document counts lines at "\n" only,
        # and the headers it reads come out the same from the text.

    def _wants_tree(self) -> bool:
        return len(self.text) <= self._tree_limit and "\r" not in self.text

    def replace(self, text: str, version: int) -> None:
        self.text = text
        self.version = version
        self._reset_tree()

    def edit(self, start: tuple[int, int], end: tuple[int, int], new_text: str, encoding: str) -> None:
        """Replace an LSP range (positions in ``encoding`` code units)."""
        first = positions.offset_at(self.text, start[0], start[1], encoding)
        last = max(first, positions.offset_at(self.text, end[0], end[1], encoding))
        old = self.text
        self.text = old[:first] + new_text + old[last:]
        if self._syntax is not None and len(self.text) <= self._tree_limit and "\r" not in new_text:
            (sl, sc), (el, ec) = positions.core_position(old, first), positions.core_position(old, last)
            self._syntax.apply_edit(sl, sc, el, ec, new_text)
        elif self._syntax is not None or self._wants_tree():
            self._reset_tree()

    def snapshot(self) -> Snapshot:
        tree = self._syntax.tree if self._syntax is not None else None
        # The tree object is edited in place by the next change: hand out a copy.
        return Snapshot(self.uri, self.path, self.language, self.version, self.text,
                        tree.copy() if tree is not None else None)


class DocumentStore:
    """Open documents by URI; changes and reads are serialized per store."""

    def __init__(self, tree_limit: int = DEFAULT_TREE_LIMIT):
        self._docs: dict[str, OpenDocument] = {}
        self._lock = threading.Lock()
        self.tree_limit = tree_limit
        self.encoding = positions.UTF16

    def open(self, uri: str, text: str, version: int, language_id: str | None = None) -> OpenDocument:
        language = _language_for(uri, text, language_id)
        with self._lock:
            document = OpenDocument(uri, text, version, language, self.tree_limit)
            self._docs[uri] = document
            return document

    def change(self, uri: str, version: int, changes) -> OpenDocument | None:
        """Apply content changes (objects with ``text`` and an optional ``range``)."""
        with self._lock:
            document = self._docs.get(uri)
            if document is None:
                return None
            for change in changes:
                rng = getattr(change, "range", None)
                if rng is None:
                    document.replace(change.text, version)
                else:
                    document.edit((rng.start.line, rng.start.character), (rng.end.line, rng.end.character),
                                  change.text, self.encoding)
            document.version = version
            return document

    def close(self, uri: str) -> None:
        with self._lock:
            self._docs.pop(uri, None)

    def get(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def snapshot(self, uri: str) -> Snapshot | None:
        with self._lock:
            document = self._docs.get(uri)
            return document.snapshot() if document is not None else None

    def uris(self) -> list[str]:
        with self._lock:
            return list(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


def _language_for(uri: str, text: str, language_id: str | None) -> str:
    from coder.syntax.languages import detect_language

    detected = detect_language(Path(uri_to_path(uri)), text.split("\n", 1)[0][:200])
    if detected != "text" or not language_id:
        return detected
    aliases = {"typescriptreact": "tsx", "javascriptreact": "javascript", "sh": "bash", "shellscript": "bash"}
    return aliases.get(language_id, language_id)
