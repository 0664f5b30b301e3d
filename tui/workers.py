"""The work that runs off the event loop: listing files, building the index, loading
models, completing, answering. Each function runs in a thread worker, talks to the
core only, and reports by posting messages (``post`` is a widget's thread-safe
``post_message``); none of them touches a widget."""

from __future__ import annotations

import time
from typing import Callable

from coder.ask.target import AskTarget
from coder.errors import CoderError
from tui import messages

# The answer reaches the screen at most this often: each update appends to its
# Markdown and scrolls the panel on the event loop, and a key pressed behind one
# waits for it (bench_tui: p95 67 ms a key with an update per token).
ANSWER_UPDATE_S = 0.25

Post = Callable[[object], object]


def where_it_runs(description: str) -> str:
    """A short "where" for the status bar from the workspace's backend description."""
    if description.startswith("llama.cpp worker"):
        return "local llama.cpp"
    if "server at" in description:
        return "server " + description.rpartition("server at ")[2]
    return description or "unknown"


def list_files(workspace, post: Post) -> None:
    try:
        post(messages.FilesListed(workspace.files()))
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))


def build_index(workspace, post: Post) -> None:
    post(messages.IndexProgress("index: building"))
    started = time.perf_counter()
    try:
        stats = workspace.index().stats()
    except CoderError as error:
        post(messages.IndexProgress("index: failed", done=True))
        post(messages.WorkFailed(error.title, error.message))
        return
    seconds = time.perf_counter() - started
    post(messages.IndexProgress(f"index: {stats.files:,} files, {stats.definitions:,} defs", done=True, seconds=seconds))


def load_completion_model(workspace, post: Post) -> None:
    """Open the completion model ahead of the first completion (it takes seconds)."""
    try:
        backend = workspace.backend
        post(messages.ModelLoaded("completion", backend.info().name, where_it_runs(workspace.backend_description)))
        for notice in workspace.notices:
            post(messages.WorkFailed("model", notice))
        workspace.notices.clear()
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))


def complete(workspace, post: Post, path: str, text: str, line: int, column: int, version: int, *,
             automatic: bool = False, cancel=None) -> None:
    """One completion, posted as CompletionReady. ``cancel`` (coder.loops.events.Cancel)
    is set when a newer completion is wanted: a Textual thread worker cannot be
    stopped, so without it every superseded request ran its generation to the end
    and held the model (and the GIL, in its Python parts) from the one that counts."""
    try:
        first_load = not workspace.backend_loaded
        engine = workspace.engine
        if first_load:
            post(messages.ModelLoaded("completion", workspace.backend.info().name,
                                      where_it_runs(workspace.backend_description)))
        workspace.recent.note_edited(path, text, line)
        suggestion = engine.complete(workspace.completion_request(path, text, line, column, automatic=automatic,
                                                                  cancel=cancel))
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))
        return
    if cancel is not None and cancel.is_set:
        return  # a newer request is on its way; this one's answer is stale
    model_ms = suggestion.timings_ms.get("model") or 0
    generated = suggestion.tokens.get("generated") or 0
    speed = generated / (model_ms / 1000) if model_ms > 0 and generated > 1 else None
    post(messages.CompletionReady(path, version, line, column, suggestion.text,
                                  suggestion.timings_ms.get("total", 0.0), suggestion.cached, speed))


class Conversation:
    """The TUI's ask session, opened on the first question (it needs the chat model and
    the index), and the reply being generated, so it can be stopped."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.session = None
        self.reply = None

    def reset(self) -> None:
        self.stop()
        if self.session is not None:
            self.session.reset()

    def stop(self) -> None:
        if self.reply is not None:
            self.reply.cancel()

    def answer(self, post: Post, question: str, target: AskTarget) -> None:
        started = time.perf_counter()
        try:
            if self.session is None:
                first_load = not self.workspace.chat_loaded
                self.session = self.workspace.ask_session()
                if first_load:
                    post(messages.ModelLoaded("chat", self.session.backend.info().name,
                                              where_it_runs(self.workspace.chat_description)))
            reply = self.session.ask(question, target)
            self.reply = reply
            post(messages.AskStarted(target.describe(), question, list(reply.sources)))
            pending, posted_at = "", 0.0
            for piece in reply:
                pending += piece
                now = time.monotonic()
                if now - posted_at >= ANSWER_UPDATE_S:
                    post(messages.AskPiece(pending))
                    pending, posted_at = "", now
            if pending:
                post(messages.AskPiece(pending))
        except CoderError as error:
            post(messages.WorkFailed(error.title, error.message))
            post(messages.AskFinished(True, None, time.perf_counter() - started))
            return
        finally:
            self.reply = None
        post(messages.AskFinished(reply.cancelled, reply.tokens_per_second(), time.perf_counter() - started))
