"""One completion for one document version, through the workspace's engine.

Runs on the scheduler's thread. Everything about prompts and models stays in the
core: this asks ``Workspace.completion_request`` for a request carrying the settings,
hands it the document's current tree, and calls the engine that can answer without
waiting (the one without the index while the index is still being built). A core
error (a model worker that died mid-request, a position outside the text) answers
empty; the backend restarts its worker by itself, so the next request works.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from coder.errors import CoderError

from lsp.convert import Cursor
from lsp.documents import Snapshot

log = logging.getLogger(__name__)
# A document beyond the tree limit is handed to the core as a window around the
# cursor: far more than any prompt holds, small enough that the core's parses and
# scans stay cheap (a 5 MB buffer cost 20 s of parsing otherwise).
WINDOW_BEFORE_CHARS = 200_000
WINDOW_AFTER_CHARS = 50_000


def window(text: str, line: int, column: int, limit: int) -> tuple[str, int, int]:
    """(text, line, column) of the window the core sees: all of text within limit."""
    if len(text) <= limit:
        return text, line, column
    lines = text.split("\n")
    offset = sum(len(l) + 1 for l in lines[:line]) + column
    start = text.rfind("\n", 0, max(0, offset - WINDOW_BEFORE_CHARS)) + 1
    end = text.find("\n", offset + WINDOW_AFTER_CHARS)
    cut = text[start : len(text) if end < 0 else end]
    return cut, line - text.count("\n", 0, start), column


@dataclass(frozen=True)
class Answer:
    text: str  # "" when there is nothing to show
    token: str | None = None  # the history token of a shown suggestion
    cached: bool = False
    error: str | None = None


class CompletionService:
    def __init__(self, workspace, history):
        self.workspace = workspace
        self.history = history
        self.served = 0
        self.errors = 0
        self.last_error: str | None = None

    def complete(self, snapshot: Snapshot, cursor: Cursor, cancel=None, automatic: bool = False) -> Answer:
        """``cancel``: the scheduler job's, set when a newer request supersedes this one.
        ``automatic``: the editor asked while the user types (the typing deadline applies)."""
        workspace = self.workspace
        if not workspace.ready.is_set():
            return Answer("")
        # The core counts lines at "\n": a "\r" before it is not part of any column.
        text = snapshot.text.replace("\r\n", "\n") if "\r" in snapshot.text else snapshot.text
        limit = workspace.settings.index.max_file_bytes
        text, line, column = window(text, cursor.line, cursor.column, limit)
        try:
            request = workspace.completion_request(
                snapshot.path, text, line, column, language=snapshot.language, tree=snapshot.tree,
                automatic=automatic,
            )
            request = replace(request, cancel=cancel)
            engine = workspace.engine_without_waiting(request.context)
            suggestion = engine.complete(request)
        except CoderError as error:
            self.errors += 1
            self.last_error = error.message
            log.warning("completion failed: %s", error.message)
            return Answer("", error=error.message)
        self.served += 1
        if not suggestion.text:
            return Answer("", cached=suggestion.cached)
        token = self.history.shown(
            path=workspace.relative(snapshot.path), language=snapshot.language, model=self._model_name(),
            suggestion=suggestion.text, latency_ms=suggestion.timings_ms.get("total"),
            candidates=max(1, len(suggestion.candidates)),
            invalid_names=len(suggestion.grounding.get("invalid_names", ())),
        )
        return Answer(suggestion.text, token=token, cached=suggestion.cached)

    def warm(self, snapshot: Snapshot) -> None:
        """Have the model evaluate this document's prompt in the background, so its
        first completion reuses the KV cache; any real request preempts it."""
        workspace = self.workspace
        if not workspace.ready.is_set():
            return
        text = snapshot.text.replace("\r\n", "\n") if "\r" in snapshot.text else snapshot.text
        line = text.count("\n")
        column = len(text) - (text.rfind("\n") + 1)
        try:
            request = workspace.completion_request(snapshot.path, text, line, column, language=snapshot.language,
                                                   tree=snapshot.tree)
            engine = workspace.engine_without_waiting(request.context)
            engine.warm(request)
        except CoderError as error:
            log.info("warming %s failed: %s", snapshot.path, error.message)

    def _model_name(self) -> str:
        try:
            return self.workspace.backend.info().name
        except Exception:  # noqa: BLE001 - a name for the record only
            return "unknown"
