"""The language server: thin handlers over the core.

Each handler gets the document, asks the core (through ``lsp.completions`` and the
``coder.workspace.Workspace``) and converts the answer with ``lsp.convert``. State
that outlives a request lives on ``CoderServer``. The event loop only reads messages
and hands work out: completions run on the scheduler's thread, the model loads and
the index builds in their own threads, history is written by its own thread.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from coder import __version__
from lsp import code_actions, config, convert
from lsp.code_actions import ActionRunner
from lsp.completions import CompletionService
from lsp.documents import DocumentStore, uri_to_path
from lsp.history import History
from lsp.index_updates import IndexUpdates
from lsp.process_watch import watch
from lsp.protocol import CoderProtocol, error_message
from lsp.scheduler import CompletionScheduler

log = logging.getLogger(__name__)
PROGRESS_TOKEN = "coder/index"
CLOSE_WAIT_S = 3.0


class CoderServer(LanguageServer):
    def __init__(self):
        super().__init__("coder", __version__, protocol_cls=CoderProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.documents = DocumentStore()
        self.scheduler = CompletionScheduler()
        self.actions = ActionRunner(self)
        self.options = config.ServerOptions()
        self.workspace_ = None  # coder.workspace.Workspace, opened at initialize
        self.service: CompletionService | None = None
        self.history: History | None = None
        self.index_updates: IndexUpdates | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending_messages: list[str] = []
        self.frozen = False
        self.closed = False

    # -- talking to the client from any thread ---------------------------------------

    def send(self, method: str, params) -> None:
        """A notification, sent from the event loop whichever thread asks."""
        if self.loop is None:
            return
        try:
            self.loop.call_soon_threadsafe(self.protocol.notify, method, params)
        except RuntimeError:  # the loop is closed: we are exiting
            pass

    def warn(self, text: str) -> None:
        self.send(types.WINDOW_SHOW_MESSAGE, error_message(text))

    # -- lifecycle ---------------------------------------------------------------------

    def open_workspace(self, params: types.InitializeParams) -> None:
        from coder.errors import CoderError
        from coder.settings import Settings
        from coder.workspace import Workspace

        root = _root_of(params)
        parsed = config.parse(params.initialization_options, self.options)
        self.pending_messages.extend(parsed.problems)
        model = parsed.model if parsed.model_given else None
        try:
            workspace = Workspace.open(root, explicit_model=model)
        except CoderError as error:  # a bad config file: say so, run on defaults
            self.pending_messages.append(f"{error.message}; using the default settings")
            workspace = Workspace(root, Settings(), explicit_model=model)
        if parsed.core:
            self.pending_messages.extend(workspace.update_settings(parsed.core, "initializationOptions"))
        self.options = parsed.options
        self.scheduler.debounce.fixed_ms = self.options.debounce_ms
        self.workspace_ = workspace
        self.history = History(workspace.store)
        self.service = CompletionService(workspace, self.history)
        self.index_updates = IndexUpdates(workspace, self._buffer_text)
        self.documents.tree_limit = workspace.settings.index.max_file_bytes
        workspace.start_loading(self._model_loaded)

    def _model_loaded(self, error: str | None) -> None:
        if error:
            self.warn(f"{error}; completions are off until it is fixed")
            return
        self._freeze_heap()
        for uri in self.documents.uris():
            self.warm(uri)
        for notice in self.workspace_.notices:
            self.send(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(types.MessageType.Info, f"coder: {notice}"))

    def warm(self, uri: str) -> None:
        """Warm the model's cache for a document, as a job a real request supersedes."""
        snapshot = self.documents.snapshot(uri)
        if snapshot is None or self.service is None or len(snapshot.text) > self.documents.tree_limit:
            return
        self.scheduler.submit(uri, snapshot.version, lambda job: self.service.warm(snapshot), measure=False)

    def _freeze_heap(self) -> None:
        """Move what is loaded so far out of the collector's sight: full collections
        of the long-lived heap (the model handle, grammars, stubs, the index) stalled
        keystrokes by 0.4-0.9 s."""
        gc.collect()
        gc.freeze()
        self.frozen = True

    def start_indexing(self) -> None:
        capabilities = self.client_capabilities
        with_progress = bool(capabilities.window and capabilities.window.work_done_progress)
        # Progress state is touched on the event loop only; the index thread hands over.
        state = {"begun": False, "end": None, "last": -1}

        def end_on_loop() -> None:
            if state["begun"] and state["end"] is not None:
                state["begun"] = False
                self.protocol.notify(types.PROGRESS, types.ProgressParams(
                    PROGRESS_TOKEN, types.WorkDoneProgressEnd(message=state["end"])))

        async def begin() -> None:
            try:
                await self.work_done_progress.create_async(PROGRESS_TOKEN)
            except Exception:  # noqa: BLE001 - a client refusing progress still gets an index
                return
            self.work_done_progress.begin(PROGRESS_TOKEN, types.WorkDoneProgressBegin(
                title="coder: indexing", cancellable=False, percentage=0))
            state["begun"] = True
            end_on_loop()  # the index may be done already

        def report_on_loop(done: int, total: int) -> None:
            percentage = int(100 * done / total) if total else 100
            if state["begun"] and percentage != state["last"]:
                state["last"] = percentage
                self.protocol.notify(types.PROGRESS, types.ProgressParams(PROGRESS_TOKEN, types.WorkDoneProgressReport(
                    message=f"{done}/{total} files", percentage=percentage)))

        def report(done: int, total: int) -> None:
            self.loop.call_soon_threadsafe(report_on_loop, done, total)

        def done(error: str | None) -> None:
            if error:
                self.warn(error)
            count = len(self.workspace_.index(refresh=False).files()) if not error else 0
            message = f"{count} files indexed" if not error else "index not built"

            def finish() -> None:
                state["end"] = message
                end_on_loop()

            self.loop.call_soon_threadsafe(finish)
            if not error and self.workspace_.ready.is_set():
                self._freeze_heap()

        if with_progress:
            asyncio.ensure_future(begin())
        self.workspace_.start_indexing(progress=report if with_progress else None, on_done=done)

    def _buffer_text(self, path: str) -> str | None:
        for uri in (Path(path).as_uri(),):
            document = self.documents.get(uri)
            if document is not None:
                return document.text
        return None

    def in_repo(self, path: str) -> bool:
        try:
            Path(path).resolve().relative_to(self.workspace_.root)
            return True
        except (ValueError, OSError):
            return False

    def status(self) -> dict:
        ws = self.workspace_
        backend = ws._backend if ws is not None else None
        return {
            "ready": bool(ws and ws.ready.is_set()),
            "indexReady": bool(ws and ws.index_ready.is_set()),
            "loadError": ws.load_error if ws else None,
            "documents": len(self.documents),
            "served": self.service.served if self.service else 0,
            "errors": self.service.errors if self.service else 0,
            "scheduler": dict(self.scheduler.counts),
            "workerPid": getattr(backend, "worker_pid", None),
            "restarts": getattr(backend, "restarts", None),
            "positionEncoding": self.documents.encoding,
            "gcFrozen": self.frozen,
            "indexUpdates": self.index_updates.applied if self.index_updates is not None else 0,
            "debounceMs": self.options.debounce_ms,
            "action": self.actions.running.token if self.actions.running else None,
            "settings": {"context": ws.settings.completion.context if ws else None,
                         "maxTokens": ws.settings.completion.max_tokens if ws else None,
                         "grounding": ws.settings.completion.grounding if ws else None,
                         "typingDeadlineMs": ws.settings.completion.typing_deadline_ms if ws else None},
        }

    def shutdown_parts(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.actions.close()
        self.scheduler.close()
        if self.index_updates is not None:
            self.index_updates.close()
        if self.history is not None:
            self.history.flush(2.0)
            self.history.close()
        if self.workspace_ is not None:
            # A model still loading holds the workspace's lock until it is loaded:
            # exiting does not wait for that (the worker ends when its pipe closes).
            closer = threading.Thread(target=self.workspace_.close, name="coder-close", daemon=True)
            closer.start()
            closer.join(CLOSE_WAIT_S)


server = CoderServer()


def _root_of(params: types.InitializeParams) -> Path:
    if params.workspace_folders:
        return Path(uri_to_path(params.workspace_folders[0].uri))
    if params.root_uri:
        return Path(uri_to_path(params.root_uri))
    if params.root_path:
        return Path(params.root_path)
    return Path.cwd()


def _client_gone() -> None:
    log.info("the client process is gone; exiting")
    try:
        server.shutdown_parts()
    finally:
        os._exit(0)


# -- lifecycle ---------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: CoderServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop()
    ls.documents.encoding = str(getattr(ls.workspace.position_encoding, "value", ls.workspace.position_encoding))
    ls.open_workspace(params)
    watch(params.process_id, _client_gone)


@server.feature(types.INITIALIZED)
def initialized(ls: CoderServer, params: types.InitializedParams) -> None:
    for text in ls.pending_messages:
        ls.warn(text)
    ls.pending_messages.clear()
    ls.start_indexing()
    watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
    if watched and watched.dynamic_registration:
        ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="coder-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*")]),
        )]))


@server.feature(types.SHUTDOWN)
def shutdown(ls: CoderServer, params) -> None:
    ls.shutdown_parts()


# -- documents ---------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CoderServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    document = ls.documents.open(item.uri, item.text, item.version, item.language_id)
    if ls.workspace_ is not None and len(item.text) <= ls.documents.tree_limit:
        ls.workspace_.recent.note_opened(document.path, item.text)
        if ls.workspace_.ready.is_set():
            ls.warm(item.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CoderServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    document = ls.documents.change(uri, params.text_document.version, params.content_changes)
    if document is None:
        return
    ls.scheduler.debounce.note_change(uri)
    if ls.workspace_ is None or len(document.text) > ls.documents.tree_limit:
        return
    last = params.content_changes[-1] if params.content_changes else None
    line = last.range.start.line if getattr(last, "range", None) is not None else 0
    ls.workspace_.recent.note_edited(document.path, document.text, line)
    if ls.in_repo(document.path):
        ls.index_updates.edited(document.path)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CoderServer, params: types.DidSaveTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    if ls.index_updates is not None and ls.in_repo(path):
        ls.index_updates.from_disk(path)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CoderServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.close(uri)
    ls.scheduler.debounce.forget(uri)
    ls.actions.forget(uri)
    path = uri_to_path(uri)
    if ls.workspace_ is not None:
        ls.workspace_.recent.forget(path)
    if ls.index_updates is not None and ls.in_repo(path):
        ls.index_updates.from_disk(path)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: CoderServer, params: types.DidChangeWatchedFilesParams) -> None:
    if ls.index_updates is None:
        return
    for change in params.changes:
        path = uri_to_path(change.uri)
        if not ls.in_repo(path) or ls.documents.get(change.uri) is not None:
            continue  # an open buffer is the truth for its file
        if change.type == types.FileChangeType.Deleted:
            ls.index_updates.deleted(path)
        else:
            ls.index_updates.from_disk(path)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: CoderServer, params: types.DidChangeConfigurationParams) -> None:
    if ls.workspace_ is None:
        return
    parsed = config.parse(params.settings, ls.options)
    problems = list(parsed.problems)
    if parsed.core:
        problems.extend(ls.workspace_.update_settings(parsed.core, "workspace/didChangeConfiguration"))
    ls.options = parsed.options
    ls.scheduler.debounce.fixed_ms = ls.options.debounce_ms
    if parsed.model_given and parsed.model != ls.workspace_.explicit_model:
        ls.workspace_.reload_model(parsed.model, ls._model_loaded)
    for text in problems:
        ls.warn(text)


# -- completions -------------------------------------------------------------------------


async def _complete(ls: CoderServer, uri: str, position: types.Position, automatic: bool, answer, empty):
    snapshot = ls.documents.snapshot(uri)
    if snapshot is None or ls.service is None or not ls.workspace_.ready.is_set():
        return empty()
    cursor = convert.cursor_at(snapshot.text, position, ls.documents.encoding)
    if automatic and not ls.options.mid_line and convert.code_right_of(snapshot.text, cursor):
        return empty()

    def work(job):
        current = ls.documents.get(uri)
        if current is None or current.version != snapshot.version:
            return job.stale  # the text changed since the request: its answer is stale
        return answer(ls.service.complete(snapshot, cursor, job.cancel, automatic), snapshot, cursor)

    job = ls.scheduler.submit(uri, snapshot.version, work, stale=empty())
    try:
        return await asyncio.wrap_future(job.future)
    except asyncio.CancelledError:  # $/cancelRequest: a running generation stops too
        job.cancel.set()
        raise


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(ls: CoderServer, params: types.InlineCompletionParams):
    if not ls.options.inline:
        return convert.empty_inline()
    automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic

    def answer(result, snapshot, cursor):
        return convert.inline_items(result.text, snapshot.text, cursor, result.token)

    return await _complete(ls, params.text_document.uri, params.position, automatic, answer, convert.empty_inline)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", " "]))
async def completion(ls: CoderServer, params: types.CompletionParams):
    if not ls.options.menu:
        return convert.empty_menu()
    context = params.context
    automatic = context is None or context.trigger_kind != types.CompletionTriggerKind.Invoked
    encoding = ls.documents.encoding

    def answer(result, snapshot, cursor):
        return convert.menu_items(result.text, snapshot.text, cursor, result.token, encoding)

    return await _complete(ls, params.text_document.uri, params.position, automatic, answer, convert.empty_menu)


@server.command(convert.ACCEPT_COMMAND)
def accepted(ls: CoderServer, *args) -> None:
    if ls.history is not None and args and isinstance(args[0], str):
        ls.history.accepted(args[0])


# -- code actions on the function at the cursor -----------------------------------------


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=code_actions.KINDS))
def code_action(ls: CoderServer, params: types.CodeActionParams):
    snapshot = ls.documents.snapshot(params.text_document.uri)
    if snapshot is None or ls.workspace_ is None or len(snapshot.text) > ls.documents.tree_limit:
        return None  # past the tree limit a parse per cursor move costs too much
    cursor = convert.cursor_at(snapshot.text, params.range.start, ls.documents.encoding)
    return code_actions.actions_at(snapshot, cursor.line, params.context.only) or None


@server.command(code_actions.FIX_COMMAND)
def fix_function(ls: CoderServer, *args):
    return ls.actions.start(code_actions.FIX_COMMAND, args)


@server.command(code_actions.OPTIMIZE_COMMAND)
def optimize_function(ls: CoderServer, *args):
    return ls.actions.start(code_actions.OPTIMIZE_COMMAND, args)


@server.command(code_actions.REVIEW_COMMAND)
def review_function(ls: CoderServer, *args):
    return ls.actions.start(code_actions.REVIEW_COMMAND, args)


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def cancel_progress(ls: CoderServer, params: types.WorkDoneProgressCancelParams) -> None:
    ls.actions.cancel(params.token)


@server.feature("coder/status")
def coder_status(ls: CoderServer, params) -> dict:
    """What the server is doing (for tests and `:lua` inspection in editors)."""
    if ls.history is not None:
        ls.history.flush(2.0)
    return ls.status()
