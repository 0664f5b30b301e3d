"""Code actions on the function at the cursor: fix, optimize, review.

The list is cheap (one tree-sitter parse through the core's ``function_at_line``)
and offered only for a Python function under the cursor. Running one is a command:
the handler answers at once and the work runs as an asyncio task whose blocking part
(the loop or the review, with the model and the sandbox) runs in a thread, so the
event loop keeps serving completions. The task reports work-done progress from the
core's events, stops when the client cancels that progress, and ends by offering
the result: the loops' new function as a workspace edit the editor applies only
after the user picks "Apply" (the server never writes the file), the review's
findings as diagnostics of the document. What goes wrong is one message line.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass

from lsprotocol import types

from coder.errors import CoderError, UsageError
from coder.loops import events as ev
from coder.loops.events import Cancel

from lsp import convert
from lsp.documents import Snapshot

log = logging.getLogger(__name__)

FIX_COMMAND = "coder.fixFunction"
OPTIMIZE_COMMAND = "coder.optimizeFunction"
REVIEW_COMMAND = "coder.reviewFunction"
REVIEW_SOURCE = "coder review"
APPLY, DISCARD = "Apply", "Discard"
# kind of each action, its title, and the verb its messages use
ACTIONS = (
    (FIX_COMMAND, types.CodeActionKind.RefactorRewrite, "Fix with tests", "fix"),
    (OPTIMIZE_COMMAND, types.CodeActionKind.RefactorRewrite, "Optimize with tests", "optimize"),
    (REVIEW_COMMAND, types.CodeActionKind.Source, "Review this function", "review"),
)
KINDS = [types.CodeActionKind.RefactorRewrite, types.CodeActionKind.Source]
VERBS = {command: verb for command, _, _, verb in ACTIONS}


def function_at(snapshot: Snapshot, core_line: int):
    """The core's FunctionTarget of the innermost Python function holding the line, or None."""
    if snapshot.language != "python":
        return None
    from coder.loops.target import function_at_line

    return function_at_line(snapshot.path, snapshot.text.replace("\r\n", "\n"), core_line)


def _kind_text(kind) -> str:
    return str(getattr(kind, "value", kind))  # an enum member's str() is its name


def _wanted(kind, only) -> bool:
    """Whether a client's ``context.only`` filter (hierarchical kinds) admits kind."""
    kind = _kind_text(kind)
    return not only or any(kind == _kind_text(o) or kind.startswith(f"{_kind_text(o)}.") for o in only)


def actions_at(snapshot: Snapshot, core_line: int, only=None) -> list[types.CodeAction]:
    target = function_at(snapshot, core_line)
    if target is None:
        return []
    argument = {"uri": snapshot.uri, "version": snapshot.version, "line": core_line, "function": target.qualname}
    return [types.CodeAction(title=title, kind=kind, command=types.Command(title=title, command=command, arguments=[argument]))
            for command, kind, title, _ in ACTIONS if _wanted(kind, only)]


@dataclass
class _Run:
    command: str
    snapshot: Snapshot
    function: str
    token: str
    cancel: Cancel
    progress: bool = False  # the client shows work-done progress for the token

    @property
    def verb(self) -> str:
        return VERBS[self.command]


class ActionRunner:
    """One action at a time (they share the model); the running one can be cancelled."""

    def __init__(self, server):
        self.server = server
        self.running: _Run | None = None
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        self._diagnostics: dict[str, dict[str, list[types.Diagnostic]]] = {}  # uri -> function -> found

    # -- starting and stopping ----------------------------------------------------

    def start(self, command: str, args) -> dict | None:
        """Begin the command for its argument (as ``actions_at`` made it); the answer
        of executeCommand: the progress token, or None when it did not start."""
        ls = self.server
        argument = args[0] if args and isinstance(args[0], dict) else None
        if argument is None or not isinstance(argument.get("uri"), str) or not isinstance(argument.get("function"), str):
            ls.warn(f"{command} needs the argument its code action gives ({{uri, function}})")
            return None
        if ls.workspace_ is None:
            return None
        snapshot = ls.documents.snapshot(argument["uri"])
        if snapshot is None:
            ls.warn(f"{argument['uri']} is not open; open it and ask again")
            return None
        if self.running is not None:
            ls.warn(f"a {self.running.verb} of {self.running.function} is running; cancel it first")
            return None
        token = f"coder/{VERBS[command]}/{next(self._numbers)}"
        run = _Run(command, snapshot, argument["function"], token, Cancel())
        self.running = run
        task = ls.loop.create_task(self._drive(run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return {"token": token}

    def cancel(self, token) -> None:
        run = self.running
        if run is not None and run.token == token:
            run.cancel.set()

    def close(self) -> None:
        if self.running is not None:
            self.running.cancel.set()

    # -- progress -----------------------------------------------------------------

    async def _begin(self, run: _Run) -> None:
        capabilities = self.server.client_capabilities
        if not (capabilities.window and capabilities.window.work_done_progress):
            return
        progress = self.server.work_done_progress
        try:
            await progress.create_async(run.token)
        except Exception:  # noqa: BLE001 - a client refusing progress still gets the result
            return
        progress.begin(run.token, types.WorkDoneProgressBegin(
            title=f"coder: {run.verb} {run.function}", cancellable=True, message="starting"))
        run.progress = True

    def _report_from_thread(self, run: _Run, message: str) -> None:
        if run.progress:
            self.server.loop.call_soon_threadsafe(
                self.server.work_done_progress.report, run.token, types.WorkDoneProgressReport(message=message))

    def _end(self, run: _Run, message: str) -> None:
        if run.progress:
            run.progress = False
            self.server.work_done_progress.end(run.token, types.WorkDoneProgressEnd(message=message))

    # -- the run ------------------------------------------------------------------

    async def _drive(self, run: _Run) -> None:
        ls = self.server
        try:
            await self._begin(run)
            if run.command == REVIEW_COMMAND:
                await self._review(run)
            else:
                await self._loop(run)
        except CoderError as error:
            self._end(run, "failed")
            ls.warn(f"{run.verb} {run.function}: {error.message}")
        except Exception as error:  # noqa: BLE001 - a failed action must not end the server
            log.exception("%s %s failed", run.verb, run.function)
            self._end(run, "failed")
            ls.warn(f"{run.verb} {run.function} failed: {error}")
        finally:
            self._end(run, "done")
            self.running = None

    async def _in_thread(self, work):
        return await asyncio.get_running_loop().run_in_executor(None, work)

    async def _loop(self, run: _Run) -> None:
        from coder.loops import api
        from coder.loops.escalation import escalation_backend
        from coder.loops.session import LoopOptions
        from coder.store import Store

        ls, snapshot = self.server, run.snapshot
        workspace = ls.workspace_
        relative = workspace.relative(snapshot.path)
        try:
            on_disk = open(snapshot.path, "rb").read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            raise UsageError(f"{relative} cannot be read from disk as UTF-8; save it first") from None
        if on_disk != snapshot.text:
            raise UsageError(f"{relative} has unsaved changes; save it first (the tests run on the files on disk)")
        options = LoopOptions.from_settings(workspace.settings.loops)
        start = api.fix if run.command == FIX_COMMAND else api.optimize

        def on_event(event: ev.LoopEvent) -> None:
            if event.kind in (ev.BASELINE, ev.ROUND, ev.GENERATING, ev.REJECTED, ev.TESTED, ev.MEASURED,
                              ev.ESCALATED):
                self._report_from_thread(run, event.message)

        def work():
            store = escalation = None
            try:
                try:
                    store = Store.open(workspace.settings.store_path)
                except CoderError as error:
                    log.warning("%s (the run is not recorded)", error.message)
                escalation = escalation_backend(workspace.settings)
                return start(workspace.root, f"{snapshot.path}::{run.function}", workspace.chat_backend, options,
                             on_event=on_event, cancel=run.cancel, store=store, escalation_backend=escalation)
            finally:
                if escalation is not None:
                    escalation.close()
                if store is not None:
                    store.close()

        result = await self._in_thread(work)
        kept = f" (`coder runs show {result.run_id}`)" if result.run_id else ""
        if result.outcome == "cancelled":
            self._end(run, "cancelled")
            return
        if not result.success:
            self._end(run, result.outcome.replace("_", " "))
            ls.send(types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(types.MessageType.Info, (
                f"coder: {run.verb} {run.function}: no candidate passed in {result.rounds} round(s){kept}")))
            return
        self._end(run, "a candidate passed")
        await self._offer(run, result, kept)

    async def _offer(self, run: _Run, result, kept: str) -> None:
        """Ask the user; only "Apply" sends the edit (to the document version the run read)."""
        ls = self.server
        best = result.best
        evidence = f"tests {best.tests['passed']} passed" if best.tests else "the tests pass"
        speedup = (best.verdict or {}).get("speedup")
        if speedup:
            evidence += f", {speedup:.2f}x faster"
        choice = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=f"coder: {run.verb} {run.function}: candidate {best.round}.{best.index} ({evidence}). "
                    "Apply it to the buffer?",
            actions=[types.MessageActionItem(APPLY), types.MessageActionItem(DISCARD)]))
        if choice is None or choice.title != APPLY:
            return
        current = ls.documents.get(run.snapshot.uri)
        if current is None or current.version != run.snapshot.version:
            ls.warn(f"{run.function}: the document changed since the {run.verb} began; not applied{kept}")
            return
        edit = convert.workspace_edit(run.snapshot.uri, run.snapshot.version, run.snapshot.text, best.file_text,
                                      ls.documents.encoding, versioned=self._versioned_edits())
        answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=edit, label=f"coder: {run.verb} {run.function}"))
        if not answer.applied:
            ls.warn(f"the editor did not apply the change ({answer.failure_reason or 'no reason given'}){kept}")

    def _versioned_edits(self) -> bool:
        workspace = self.server.client_capabilities.workspace
        edits = workspace.workspace_edit if workspace else None
        return bool(edits and edits.document_changes)

    async def _review(self, run: _Run) -> None:
        from coder.review.function_review import review_function

        ls, snapshot = self.server, run.snapshot
        workspace = ls.workspace_
        relative = workspace.relative(snapshot.path)
        index = workspace.index(refresh=False) if workspace.index_ready.is_set() else None
        self._report_from_thread(run, "reading the function")
        result = await self._in_thread(lambda: review_function(workspace, relative, snapshot.text, run.function,
                                                               index=index, cancel=run.cancel))
        mine = [finding for finding in result.findings if finding.path == relative]
        found = self._diagnostics.setdefault(snapshot.uri, {})
        found[run.function] = convert.review_diagnostics(mine, snapshot.text, ls.documents.encoding, REVIEW_SOURCE)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=snapshot.uri, version=snapshot.version,
            diagnostics=[d for diagnostics in found.values() for d in diagnostics]))
        if run.cancel.is_set:
            self._end(run, "cancelled")
        elif result.model_error:
            self._end(run, "no model")
            ls.warn(f"review {run.function}: {result.model_error}")
        else:
            self._end(run, f"{len(mine)} finding(s)" + (f" ({result.model})" if result.model else ""))

    def forget(self, uri: str) -> None:
        self._diagnostics.pop(uri, None)
