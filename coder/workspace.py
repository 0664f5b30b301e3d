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

# A chat worker beside a completion worker runs this much nicer (Unix niceness): the
# kernel then gives the completion worker nearly all of a contended core.
CHAT_NICENESS_BESIDE_COMPLETION = 10


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
        self._engines: dict = {}  # engines for the other context level (by index use), and while indexing
        self._recent = None
        self.ready = threading.Event()  # the completion model is loaded (start_loading)
        self.index_ready = threading.Event()  # the index is built (start_indexing or index())
        self.load_error: str | None = None
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
                self._keep_completion_first()
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

                # The completion model is shared when it is already loaded, never loaded
                # for this: a review or a loop needs only the chat model (the commit
                # hook would otherwise start two workers).
                opened = open_chat_backend(self.settings, self.chosen_models.get("chat", self.explicit_model),
                                           completion=self._backend)
                self._owns_chat = opened.backend is not self._backend
                self._chat_backend = opened.backend
                self.chat_description = opened.description
                self._keep_completion_first()
            return self._chat_backend

    def _keep_completion_first(self) -> None:
        """With a completion worker and a chat worker both open, the chat one runs at a
        lower CPU priority: a user typing while a loop or a review generates gets the
        cores first, and the chat work loses nothing when nobody types."""
        chat, completion = self._chat_backend, self._backend
        if chat is None or completion is None or chat is completion:
            return
        lower = getattr(chat, "lower_priority", None)
        if lower is not None:
            lower(CHAT_NICENESS_BESIDE_COMPLETION)

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
                    self.index_ready.set()
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
        else one kept for the other level (with or without the index) over the same model."""
        if (context == "repo") == (self.settings.completion.context == "repo"):
            return self.engine
        from coder.completion.engine import CompletionEngine

        with self._lock:
            uses_index = context == "repo"
            if uses_index not in self._engines:
                index = self.index() if uses_index else None
                self._engines[uses_index] = CompletionEngine(self.backend, index=index, recent=self.recent)
            return self._engines[uses_index]

    def engine_without_waiting(self, context: str):
        """The engine to use at once: while the index is still being built
        (start_indexing), one without it, so no request waits for the build."""
        if context == "repo" and not self.index_ready.is_set():
            from coder.completion.engine import CompletionEngine

            with self._lock:
                if "unindexed" not in self._engines:
                    self._engines["unindexed"] = CompletionEngine(self.backend, index=None, recent=self.recent)
                return self._engines["unindexed"]
        return self.engine_for(context)

    # -- opening in the background (the language server) -------------------------

    def start_loading(self, on_done=None) -> threading.Thread:
        """Load the completion model in a thread, so a front can answer at once.

        ``ready`` is set when the model can serve; on failure ``load_error`` holds the
        message. ``on_done(error_or_None)`` is called from the thread either way."""
        from coder.errors import CoderError

        def load() -> None:
            error = None
            try:
                self.backend
                self.ready.set()
            except CoderError as failure:
                error = self.load_error = failure.message
            except Exception as failure:  # noqa: BLE001 - reported to the front, not raised in a thread
                error = self.load_error = f"the model could not be loaded ({failure})"
            if on_done is not None:
                on_done(error)

        thread = threading.Thread(target=load, name="coder-model-load", daemon=True)
        thread.start()
        return thread

    def reload_model(self, explicit_model: str | None, on_done=None) -> threading.Thread:
        """Close the completion model and load another one in the background."""
        with self._lock:
            self.ready.clear()
            self.load_error = None
            self.explicit_model = explicit_model
            if self._backend is not None and self._owns_backend:
                self._backend.close()
            self._backend = None
            self._owns_backend = True
            self._engine = None
            self._engines.clear()
        return self.start_loading(on_done)

    def start_indexing(self, progress=None, on_done=None) -> threading.Thread:
        """Build the repository index in a thread; ``index_ready`` is set when done.

        ``progress(done, total)`` is passed on to the index when it reports progress
        (RepoIndex.refresh(progress=...)); an index without it is refreshed plainly."""
        from coder.errors import CoderError

        def build() -> None:
            error = None
            try:
                from coder.index.repo_index import RepoIndex

                index = RepoIndex(self.root, max_file_bytes=self.settings.index.max_file_bytes,
                                  exclude=self.settings.index.exclude)
                import inspect

                # An index that reports progress takes refresh(progress=...); one that
                # does not is refreshed plainly.
                if progress is not None and "progress" in inspect.signature(index.refresh).parameters:
                    index.refresh(progress=progress)
                else:
                    index.refresh()
                with self._lock:
                    if self._index is None:
                        self._index = index
                    else:
                        index.close()
                    self._engine = None  # engines made without the index get it now
                    self._engines.clear()
                self.index_ready.set()
            except CoderError as failure:
                error = failure.message
            except Exception as failure:  # noqa: BLE001
                error = f"the index could not be built ({failure})"
            if on_done is not None:
                on_done(error)

        thread = threading.Thread(target=build, name="coder-index", daemon=True)
        thread.start()
        return thread

    def update_settings(self, values: dict, origin: str) -> list[str]:
        """Apply setting values (the config file's shape) one by one; a bad one keeps
        its current value and gives one message. Returns the messages."""
        import copy

        from coder.errors import ConfigError
        from coder.settings import _apply

        updated = copy.deepcopy(self.settings)
        problems = []
        for key, value in values.items():
            leaves = [(key, {k: v}) for k, v in value.items()] if isinstance(value, dict) else [(key, value)]
            for name, leaf in leaves:
                trial = copy.deepcopy(updated)
                try:
                    _apply(trial, {name: leaf}, origin)
                except ConfigError as error:
                    problems.append(error.message)
                    continue
                updated = trial
        with self._lock:
            self.settings = updated
        return problems

    def files(self) -> list[str]:
        """The repository's files, repo-relative, that no ignore rule (gitignore,
        index.exclude) excludes and that exist, whatever their size: what a file tree shows."""
        from coder.index.files import has_binary_extension, list_candidates

        names = list_candidates(self.root, exclude=self.settings.index.exclude)
        return [n for n in names if not has_binary_extension(n) and (self.root / n).is_file()]

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
                           language: str | None = None, automatic: bool = False, **overrides):
        """A CompletionRequest carrying this workspace's completion settings.
        ``automatic``: asked for by typing, not by the user (the typing deadline applies)."""
        from coder.completion.engine import CompletionRequest
        from coder.syntax.languages import detect_language

        completion = self.settings.completion
        request = CompletionRequest(
            path=path, text=text, line=line, column=column,
            language=language or detect_language(Path(path), text.split("\n", 1)[0]),
            max_tokens=completion.max_tokens, budget_tokens=completion.prompt_tokens,
            context=completion.context, multiline=completion.multiline,
            grounding=completion.grounding, candidates=completion.candidates,
            deadline_ms=(completion.typing_deadline_ms or None) if automatic else None,
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
            self._engines.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
