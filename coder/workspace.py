"""One repository as every front sees it: settings, model backends, index, engine, store.

The CLI, the language server and the TUI each open a ``Workspace`` instead of wiring
these parts themselves, so they agree on where the repository root is, which model
serves which role, which settings apply and where history goes.

Parts are opened on first use and kept: a front that never completes never loads a
model; one that completes all day loads it once. Opening is thread-safe (the LSP
server and the TUI open parts from worker threads).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from coder.errors import UsageError


def find_repo_root(start: Path) -> Path:
    """The git root above start (a file or a folder), else start's folder."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    return next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder)


class Workspace:
    """What a front needs for one repository, opened lazily and closed together."""

    def __init__(self, root: Path, settings, *, explicit_model: str | None = None,
                 backend=None, chat_backend=None):
        self.root = Path(root).resolve()
        self.settings = settings
        self.explicit_model = explicit_model
        self._lock = threading.RLock()
        self._backend = backend
        self._chat_backend = chat_backend
        self._owns_backend = backend is None
        self._owns_chat = chat_backend is None
        self._index = None
        self._engine = None
        self._recent = None
        self.notices: list[str] = []  # one-time lines for the user (demo model, ...)
        self.backend_description = "" if backend is None else "given by the caller"
        self.chat_description = "" if chat_backend is None else "given by the caller"
        # Models picked while running (the TUI's model picker), per role; they win
        # over --model and the settings until the workspace closes.
        self.chosen_models: dict[str, str] = {}

    @classmethod
    def open(cls, start: Path | str = ".", *, explicit_model: str | None = None,
             overrides: dict | None = None, backend=None, chat_backend=None) -> "Workspace":
        from coder.settings import load_settings

        start = Path(start)
        if not start.exists():
            raise UsageError(f"{start}: no such file or directory")
        root = find_repo_root(start)
        settings = load_settings(start=root, overrides=overrides)
        return cls(root, settings, explicit_model=explicit_model, backend=backend, chat_backend=chat_backend)

    # -- parts -------------------------------------------------------------------

    @property
    def backend(self):
        """The completion model (loads it the first time)."""
        with self._lock:
            if self._backend is None:
                from coder.models.factory import open_backend

                opened = open_backend(self.settings, self.chosen_models.get("completion", self.explicit_model))
                self._backend = opened.backend
                self.backend_description = opened.description
                if opened.notice:
                    self.notices.append(opened.notice)
            return self._backend

    @property
    def backend_loaded(self) -> bool:
        return self._backend is not None

    @property
    def chat_backend(self):
        """The model for chat-shaped work (ask, review, fix and optimize loops).

        The chat role's own model when one is configured or installed and differs from
        the completion model; otherwise the completion model serves both."""
        with self._lock:
            if self._chat_backend is None:
                from coder.models.factory import open_chat_backend

                opened = open_chat_backend(self.settings, self.chosen_models.get("chat", self.explicit_model),
                                           completion=self.backend)
                self._owns_chat = opened.backend is not self._backend
                self._chat_backend = opened.backend
                self.chat_description = opened.description
            return self._chat_backend

    @property
    def recent(self):
        with self._lock:
            if self._recent is None:
                from coder.context.recent_chunks import RecentChunks

                self._recent = RecentChunks()
            return self._recent

    def index(self, *, refresh: bool = True):
        """The repository's symbol index (refreshed the first time unless asked not to)."""
        with self._lock:
            if self._index is None:
                from coder.index.repo_index import RepoIndex

                index = RepoIndex(self.root, max_file_bytes=self.settings.index.max_file_bytes,
                                  exclude=self.settings.index.exclude)
                if refresh:
                    index.refresh()
                self._index = index
            return self._index

    @property
    def engine(self):
        """The completion engine over the completion model, the index and recent files."""
        with self._lock:
            if self._engine is None:
                from coder.completion.engine import CompletionEngine

                index = self.index() if self.settings.completion.context == "repo" else None
                self._engine = CompletionEngine(self.backend, index=index, recent=self.recent)
            return self._engine

    def engine_for(self, context: str):
        """An engine for one context level: the shared one when its index use fits,
        else a new one (with or without the index) over the same model."""
        if (context == "repo") == (self.settings.completion.context == "repo"):
            return self.engine
        from coder.completion.engine import CompletionEngine

        index = self.index() if context == "repo" else None
        return CompletionEngine(self.backend, index=index, recent=self.recent)

    def files(self) -> list[str]:
        """The repository's text files, repo-relative, as the index sees them (gitignore
        and index.exclude respected) but whatever their size: what a file tree shows."""
        import sys

        from coder.index.files import list_source_files

        names, _ = list_source_files(self.root, max_file_bytes=sys.maxsize, exclude=self.settings.index.exclude)
        return names

    @property
    def chat_loaded(self) -> bool:
        return self._chat_backend is not None

    def ask_session(self):
        """A new conversation (coder.ask) over the chat model and the index."""
        from coder.ask.context import AskBudget
        from coder.ask.session import AskSession

        ask = self.settings.ask
        budget = AskBudget.within(ask.context_tokens)
        return AskSession(self.chat_backend, self.index(), budget=budget, answer_tokens=ask.max_tokens)

    def choose_model(self, role: str, name: str) -> None:
        """Use another model for a role ("completion" or "chat") from the next request
        on: the one in use is closed (when this workspace opened it) and the new one
        opens on first use, so a bad choice fails there, as a CoderError."""
        if role not in ("completion", "chat"):
            raise UsageError(f"a model serves completion or chat, not {role!r}")
        with self._lock:
            self.chosen_models[role] = name
            chat_shared = self._chat_backend is not None and self._chat_backend is self._backend
            if role == "completion" or chat_shared:
                if self._backend is not None and self._owns_backend:
                    self._backend.close()
                self._backend, self._owns_backend, self._engine = None, True, None
            if role == "chat" or chat_shared:
                if self._chat_backend is not None and self._owns_chat and not chat_shared:
                    self._chat_backend.close()
                self._chat_backend, self._owns_chat = None, True

    def store(self):
        """A new connection to the history store (close it, or use it in a with block)."""
        from coder.store import Store

        return Store.open(self.settings.store_path)

    def completion_request(self, path: str, text: str, line: int, column: int, *,
                           language: str | None = None, **overrides):
        """A CompletionRequest carrying this workspace's completion settings."""
        from coder.completion.engine import CompletionRequest
        from coder.syntax.languages import detect_language

        completion = self.settings.completion
        request = CompletionRequest(
            path=path, text=text, line=line, column=column,
            language=language or detect_language(Path(path), text.split("\n", 1)[0]),
            max_tokens=completion.max_tokens, budget_tokens=completion.prompt_tokens,
            context=completion.context, multiline=completion.multiline,
            grounding=completion.grounding, candidates=completion.candidates,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(request, **given) if given else request

    def relative(self, path: Path | str) -> str:
        """path relative to the root when inside it, else as given."""
        resolved = Path(path).resolve()
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None
            if self._chat_backend is not None and self._owns_chat and self._chat_backend is not self._backend:
                self._chat_backend.close()
            self._chat_backend = None
            if self._backend is not None and self._owns_backend:
                self._backend.close()
            self._backend = None
            self._engine = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
