"""Typed-ahead reuse of suggestions.

While the user types the first characters of a suggestion they were shown, the rest
of it is still right: serve it from here without a model call. A suggestion is kept
per document with the prefix and suffix it was made for; a new request matches when
its prefix extends that prefix by text the suggestion starts with, and the text after
the cursor is unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedSuggestion:
    prefix: str
    suffix: str
    text: str


class SuggestionCache:
    """The last few suggestions per document, looked up by typed-ahead text."""

    def __init__(self, per_document: int = 8, documents: int = 64):
        self._per_document = per_document
        self._documents = documents
        self._entries: OrderedDict[str, list[CachedSuggestion]] = OrderedDict()

    def put(self, document: str, prefix: str, suffix: str, text: str) -> None:
        if not text:
            return
        entries = self._entries.pop(document, [])
        entries = [e for e in entries if e.prefix != prefix][-(self._per_document - 1) :]
        entries.append(CachedSuggestion(prefix, suffix, text))
        self._entries[document] = entries
        while len(self._entries) > self._documents:
            self._entries.popitem(last=False)

    def get(self, document: str, prefix: str, suffix: str) -> str | None:
        """The rest of a cached suggestion the user has been typing, or None."""
        for entry in reversed(self._entries.get(document, ())):
            if entry.suffix != suffix or not prefix.startswith(entry.prefix):
                continue
            typed = prefix[len(entry.prefix) :]
            if entry.text.startswith(typed) and len(typed) < len(entry.text):
                return entry.text[len(typed) :]
        return None

    def forget(self, document: str) -> None:
        self._entries.pop(document, None)
