"""``resolve_names``: the names valid at a cursor, for any language.

Python and JavaScript/TypeScript are resolved (see python_resolver / js_resolver);
other languages answer low confidence, so the engine generates freely there. One
``Grounding`` per index keeps the caches (parsed files, module maps) alive between
keystrokes; ``grounding_for(index)`` finds it.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from coder.grounding.js_languages import JS_LANGUAGES
from coder.grounding.names import NameSet, free
from coder.grounding.python_resolver import resolve_python
from coder.grounding.python_values import Evaluator
from coder.grounding.repo_view import RepoView


class Grounding:
    """Resolver state for one repository index."""

    def __init__(self, index):
        self.index = index
        self.repo = RepoView(index)
        self.python = Evaluator(self.repo)
        self._js = None
        # The caches and evaluators are not thread-safe; callers on several threads
        # (an LSP server) are serialized here.
        self.lock = threading.RLock()

    @property
    def js(self):
        """The JavaScript evaluator, made on first use (a Python-only caller never loads it)."""
        if self._js is None:
            from coder.grounding.js_values import JsEvaluator

            self._js = JsEvaluator(self.repo)
        return self._js

    def forget(self, path: str | None = None) -> None:
        """Another file changed (or appeared): stop using its cached text now rather
        than within a second. ``path`` relative to the index root; None: all."""
        with self.lock:
            self.repo.forget(relative_path(self.index, path) if path is not None else None)

    def resolve(self, path: str, text: str, line: int, col: int, language: str) -> NameSet:
        with self.lock:
            return self._resolve(path, text, line, col, language)

    def _resolve(self, path: str, text: str, line: int, col: int, language: str) -> NameSet:
        offset = char_offset(text, line, col)
        path = relative_path(self.index, path)
        if language == "python":
            return resolve_python(self.repo, self.python, path, text, offset)
        if language in JS_LANGUAGES:
            from coder.grounding.js_resolver import resolve_js

            return resolve_js(self.repo, self.js, path, text, offset, language)
        partial = _word_before(text, offset)
        kind = "member" if text[: offset - len(partial)].endswith(".") else "scope"
        return free(kind, partial, f"no resolver for {language}")


_GROUNDINGS: "weakref.WeakKeyDictionary[object, Grounding]" = weakref.WeakKeyDictionary()


_GROUNDINGS_LOCK = threading.Lock()


class _NoIndex:
    """Stands in when there is no repository: only the buffer and the runtime count."""

    root = None

    def files(self) -> list[str]:
        return []

    def read_text(self, path: str) -> str:
        raise OSError(f"{path}: no repository index")

    def definitions(self, name: str) -> list:
        return []

    def members(self, scope: str, path: str | None = None) -> list:
        return []

    def reference_counts(self) -> dict[str, int]:
        return {}


_NO_INDEX = _NoIndex()


def grounding_for(index) -> Grounding:
    """The (cached) resolver state for an index (None: no repository)."""
    if index is None:
        index = _NO_INDEX
    with _GROUNDINGS_LOCK:
        grounding = _GROUNDINGS.get(index)
        if grounding is None:
            grounding = Grounding(index)
            _GROUNDINGS[index] = grounding
        return grounding


def resolve_names(index, path: str, text: str, line: int, col: int, language: str) -> NameSet:
    """The names valid at (line, col) of ``text`` (the buffer of ``path``).

    ``line`` and ``col`` are 0-based; ``col`` counts characters. ``path`` may be
    absolute or relative to the index root. ``index`` may be None (a file outside
    any repository: only the buffer, builtins and the standard library are known).
    Fast after the first call on a file version (parsed files are cached per text).
    """
    return grounding_for(index).resolve(path, text, line, col, language)


def char_offset(text: str, line: int, col: int) -> int:
    """Character offset of a 0-based (line, column), clamped into the text."""
    start = 0
    for _ in range(max(0, line)):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return min(start + max(0, col), end)


def relative_path(index, path: str) -> str:
    """``path`` relative to the index root, as the index names files."""
    candidate = Path(path)
    root = getattr(index, "root", None)
    if candidate.is_absolute() and root is not None:
        try:
            return candidate.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()


def _word_before(text: str, offset: int) -> str:
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_$"):
        start -= 1
    return text[start:offset]
