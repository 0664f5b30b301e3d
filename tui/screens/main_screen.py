"""The working screen: file tree, editor tabs, ask panel, status bar.

It owns the workers (through ``tui.workers``) and routes what they report to the
widgets; the widgets only say what the user wants (a file, a completion, an answer)."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from coder.ask.target import AskTarget
from coder.errors import CoderError
from tui import long_lived, messages, workers
from tui.keys import SCREEN_KEYS
from tui.screens.disk_change_screen import DiskChangeScreen
from tui.widgets.ask_panel import AskPanel
from tui.widgets.code_editor import CodeEditor
from tui.widgets.editor_tabs import EditorTabs
from tui.widgets.file_tree import FileTree
from tui.widgets.status_bar import StatusBar

DISK_CHECK_S = 2.0
BINARY_SNIFF_BYTES = 8192


class MainScreen(Screen):
    CSS_PATH = "main_screen.tcss"
    BINDINGS = [Binding(k.key, k.action, k.description.split(" (")[0], show=k.show) for k in SCREEN_KEYS]

    def __init__(self, workspace, open_path: Path | None = None):
        super().__init__()
        self.workspace = workspace
        self.open_path = open_path
        self.conversation = workers.Conversation(workspace)
        self.ask_scope = "code"  # "code": the selection or the file; "repository"
        self.files: list[str] = []
        self.models: dict[str, str] = {}  # role -> name, once loaded
        self._asked_about_disk: set[str] = set()
        self._close_pending: tuple[str, float] | None = None
        self._index_clock = None
        self._completion_cancel = None  # the running completion's Cancel: set when a newer one is wanted
        self.last_run = None  # the RunScreen of the last run, installed so it outlives leaving it
        self.escalate = False  # the next runs hand a failed task to the [loops] escalation model

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield FileTree(self.workspace.root.name, id="tree")
            yield EditorTabs(id="tabs")
            yield AskPanel(id="ask")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def tabs(self) -> EditorTabs:
        return self.query_one(EditorTabs)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def ask_panel(self) -> AskPanel:
        return self.query_one(AskPanel)

    async def on_mount(self) -> None:
        self.run_worker(partial(self._start_in_background, self.post_message), thread=True, group="start")
        self.set_interval(DISK_CHECK_S, self.check_disk)
        self._show_target()
        if self.open_path is not None:
            await self.open_file(self.workspace.relative(self.open_path))
        else:
            self.query_one(FileTree).focus()
        long_lived.freeze_what_exists()  # the imports and the first screen live as long as the app

    def _start_in_background(self, post) -> None:
        """The file list first (the tree waits for it), then the index (completions and
        answers use it), then the completion model: one after the other, so the first
        does not share the machine with the others."""
        workers.list_files(self.workspace, post)
        workers.build_index(self.workspace, post)
        workers.load_completion_model(self.workspace, post)

    # -- what workers report -----------------------------------------------------

    def on_files_listed(self, message: messages.FilesListed) -> None:
        self.files = message.files
        tree = self.query_one(FileTree)
        tree.show_files(message.files)
        current = self.tabs.current
        if current is not None:
            tree.reveal(current.path)

    def on_index_progress(self, message: messages.IndexProgress) -> None:
        self.status.index_state = message.state
        if not message.done and self._index_clock is None:
            started = time.monotonic()

            def tick() -> None:  # a long build shows it is still going
                self.status.index_state = f"{message.state} {time.monotonic() - started:.0f} s"

            self._index_clock = self.set_interval(1.0, tick)
        elif message.done and self._index_clock is not None:
            self._index_clock.stop()
            self._index_clock = None
        if message.done:
            long_lived.freeze_what_exists()  # the index's state lives as long as the app

    def on_model_loaded(self, message: messages.ModelLoaded) -> None:
        long_lived.freeze_what_exists()  # the backend's state lives as long as the app
        self.models[message.role] = message.name
        completion = self.models.get("completion", "-")
        chat = self.models.get("chat")
        shown = completion if chat in (None, completion) else f"{completion} + chat {chat}"
        self.status.model = f"{shown} ({message.where})"

    def on_work_failed(self, message: messages.WorkFailed) -> None:
        self.notify(message.message, title=message.title, severity="error" if message.title != "model" else "warning",
                    timeout=8)

    def on_completion_ready(self, message: messages.CompletionReady) -> None:
        editor = self.tabs.editor_for(message.path)
        self.status.latency_ms = message.latency_ms
        if message.tokens_per_second is not None:
            self.status.tokens_per_second = message.tokens_per_second
        if editor is not None:
            editor.show_completion(message.text, message.version, message.line, message.column)

    async def on_ask_started(self, message: messages.AskStarted) -> None:
        self.status.note = "answering"
        await self.ask_panel.begin(message.about, message.question, message.sources)

    async def on_ask_piece(self, message: messages.AskPiece) -> None:
        await self.ask_panel.add_piece(message.text)

    async def on_ask_finished(self, message: messages.AskFinished) -> None:
        self.status.note = ""
        if message.tokens_per_second is not None:
            self.status.tokens_per_second = message.tokens_per_second
        await self.ask_panel.finish("stopped" if message.cancelled else "")

    # -- what widgets ask for ----------------------------------------------------

    async def on_file_tree_file_chosen(self, message: FileTree.FileChosen) -> None:
        await self.open_file(message.path)

    async def on_ask_panel_source_chosen(self, message: AskPanel.SourceChosen) -> None:
        editor = await self.open_file(message.path)
        if editor is not None:
            editor.move_cursor((min(message.line, editor.document.line_count - 1), 0), center=True)

    def on_code_editor_completion_wanted(self, message: CodeEditor.CompletionWanted) -> None:
        from coder.loops.events import Cancel

        editor = message.editor
        line, column = editor.cursor_location
        if self._completion_cancel is not None:
            self._completion_cancel.set()  # superseded: its generation stops at once
        self._completion_cancel = cancel = Cancel()
        self.run_worker(
            partial(workers.complete, self.workspace, self.post_message, editor.path, editor.text, line, column,
                    editor.version, automatic=not message.explicit, cancel=cancel),
            thread=True, exclusive=True, group="completion",
        )

    def on_code_editor_edited(self, message: CodeEditor.Edited) -> None:
        self.tabs.refresh_title(message.editor)

    def on_tabbed_content_tab_activated(self, _message) -> None:
        self._show_target()

    def on_text_area_selection_changed(self, _message) -> None:
        self._show_target()

    def on_ask_panel_question_asked(self, message: AskPanel.QuestionAsked) -> None:
        target = self._target()
        self.run_worker(partial(self.conversation.answer, self.post_message, message.question, target),
                        thread=True, exclusive=True, group="ask")

    # -- files -------------------------------------------------------------------

    async def open_file(self, path: str) -> CodeEditor | None:
        absolute = self.workspace.root / path
        try:
            data = absolute.read_bytes()
            mtime_ns = absolute.stat().st_mtime_ns
        except OSError as error:
            self.notify(f"{path}: cannot be read ({error.strerror})", title="open", severity="error")
            return None
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            self.notify(f"{path}: is a binary file; coder edits text files", title="open", severity="warning")
            return None
        text = data.decode("utf-8", errors="replace")
        editor = await self.tabs.open_file(path, absolute, text, mtime_ns)
        if self.files:
            self.query_one(FileTree).reveal(path)
        self.workspace.recent.note_opened(path, editor.text)
        self._show_target()
        return editor

    def save(self, editor: CodeEditor) -> bool:
        text = editor.text
        try:
            editor.absolute.write_text(text, encoding="utf-8")
            mtime_ns = editor.absolute.stat().st_mtime_ns
        except OSError as error:
            self.notify(f"{editor.path}: cannot be saved ({error.strerror})", title="save", severity="error")
            return False
        editor.mark_saved(text, mtime_ns)
        return True

    def unsaved(self) -> list[CodeEditor]:
        return [editor for editor in self.tabs.editors if editor.modified]

    def check_disk(self) -> None:
        """Notice files changed on disk: reload the unmodified, ask about the edited."""
        for editor in self.tabs.editors:
            try:
                mtime_ns = editor.absolute.stat().st_mtime_ns
            except OSError:
                if editor.path not in self._asked_about_disk:
                    self._asked_about_disk.add(editor.path)
                    self.notify(f"{editor.path} was deleted on disk; saving writes it again", severity="warning")
                continue
            if mtime_ns == editor.disk_mtime_ns:
                continue
            try:
                text = editor.absolute.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if text == editor.saved_text or text == editor.text:
                editor.disk_mtime_ns = mtime_ns
                if text == editor.text:
                    editor.mark_saved(text, mtime_ns)
            elif not editor.modified:
                editor.reload(text, mtime_ns)
                self.notify(f"{editor.path} changed on disk; reloaded", title="file changed")
            else:
                editor.disk_mtime_ns = mtime_ns  # ask once per change

                def decided(choice: str | None, editor=editor, text=text, mtime_ns=mtime_ns) -> None:
                    if choice == "reload":
                        editor.reload(text, mtime_ns)

                self.app.push_screen(DiskChangeScreen(editor.path), decided)

    # -- ask target ----------------------------------------------------------------

    def _target(self) -> AskTarget:
        editor = self.tabs.current
        if self.ask_scope == "repository" or editor is None:
            return AskTarget()
        selection = editor.selection
        if not selection.is_empty:
            start, end = sorted((selection.start, selection.end))
            end_line = end[0] - 1 if end[1] == 0 and end[0] > start[0] else end[0]
            return AskTarget(editor.path, start[0], end_line, selection=editor.selected_text, text=editor.text)
        return AskTarget(editor.path, editor.cursor_location[0], text=editor.text)

    def _show_target(self) -> None:
        editor = self.tabs.current if self.is_mounted else None
        if self.ask_scope == "repository" or editor is None:
            about = "the repository"
        elif not editor.selection.is_empty:
            about = f"the selection in {editor.path}"
        else:
            about = editor.path
        self.ask_panel.set_target(about)

    # -- actions (keys and palette) -------------------------------------------------

    def action_save(self) -> None:
        editor = self.tabs.current
        if editor is None:
            self.notify("no file is open", severity="warning")
        elif self.save(editor):
            self.notify(f"saved {editor.path}", timeout=2)

    def action_ask(self) -> None:
        self.ask_scope = "code"
        self._reveal_ask()

    def action_ask_repository(self) -> None:
        self.ask_scope = "repository"
        self._reveal_ask()

    def _reveal_ask(self) -> None:
        self.ask_panel.remove_class("-hidden")
        self._show_target()
        self.ask_panel.focus_input()

    async def action_new_conversation(self) -> None:
        self.conversation.reset()
        await self.ask_panel.clear()
        self.notify("new conversation", timeout=2)

    def action_toggle_tree(self) -> None:
        self.query_one(FileTree).toggle_class("-hidden")

    def action_toggle_ask(self) -> None:
        self.ask_panel.toggle_class("-hidden")

    def action_focus_tree(self) -> None:
        tree = self.query_one(FileTree)
        tree.remove_class("-hidden")
        tree.focus()

    def action_focus_editor(self) -> None:
        editor = self.tabs.current
        if editor is not None:
            editor.focus()

    async def action_close_file(self) -> None:
        editor = self.tabs.current
        if editor is None:
            return
        if editor.modified:
            pending = self._close_pending
            if pending is None or pending[0] != editor.path or time.monotonic() - pending[1] > 3:
                self._close_pending = (editor.path, time.monotonic())
                self.notify(f"{editor.path} is unsaved: Alt+W again closes it without saving, Ctrl+S saves",
                            severity="warning", timeout=3)
                return
        self._close_pending = None
        await self.tabs.close_file(editor.path)
        self._show_target()

    def action_stop(self) -> None:
        self.conversation.stop()
        self.workers.cancel_group(self, "completion")

    def action_complete_now(self) -> None:
        editor = self.tabs.current
        if editor is not None:
            editor.action_complete_now()

    def action_accept(self) -> None:
        editor = self.tabs.current
        if editor is not None and not editor.accept_completion():
            self.notify("no completion is shown", timeout=2)

    def action_dismiss(self) -> None:
        editor = self.tabs.current
        if editor is not None:
            editor.dismiss_completion()

    # -- runs and review -------------------------------------------------------------
    # Their screens (and the loops and review code under them) are imported when first
    # opened: they are not needed before the first screen, and start-up pays for every
    # module it imports.

    def action_fix(self) -> None:
        self._start_run("fix")

    def action_optimize(self) -> None:
        self._start_run("optimize")

    def _start_run(self, kind: str) -> None:
        """A run of the function at the cursor, on the file as saved (the loop reads the disk)."""
        from coder.loops.target import function_at_line
        from tui import run_work
        from tui.screens.run_screen import RunScreen

        editor = self.tabs.current
        if editor is None or not editor.path.endswith(".py"):
            self.notify(f"open a Python file and put the cursor in a function to {kind} it", severity="warning")
            return
        if editor.modified:
            self.notify(f"save {editor.path} first: the {kind} run works on the file as saved", severity="warning")
            return
        try:
            target = function_at_line(editor.path, editor.text, editor.cursor_location[0])
        except CoderError as error:
            self.notify(error.message, title=kind, severity="error")
            return
        if target is None:
            self.notify(f"the cursor is not in a function of {editor.path}", severity="warning")
            return
        previous = self.last_run
        if previous is not None and previous.running:
            self.notify(f"the {previous.kind} run of {previous.spec} is still going: F9 shows it, Alt+X there stops it",
                        severity="warning")
            return
        options = getattr(self.app, "loop_options", None) or run_work.loop_options(self.workspace.settings)
        escalation, owned = self._escalation()
        if self.escalate and escalation is None:
            return
        if self.escalate and not options.escalate_rounds:  # the toggle asks for it: at least one round
            options = replace(options, escalate_rounds=self.workspace.settings.loops.escalate_rounds or 1)
        if previous is not None:  # over and left: the runs list (F3) keeps its record
            self.app.uninstall_screen(previous)
            previous.remove()
        screen = RunScreen(self.workspace, kind, target.spec, options, escalation=escalation, close_escalation=owned)
        self.last_run = screen
        self.app.install_screen(screen, f"run-{id(screen)}")
        self.app.push_screen(screen)

    def _escalation(self):
        """(the larger model for this run, whether the run opens and closes it); (None,
        False) when escalation is off or nothing is configured (which is then said)."""
        from tui import run_work

        if not self.escalate:
            return None, False
        given = getattr(self.app, "escalation_backend", None)  # a test's, or another front's
        if given is not None:
            return given, False
        backend = run_work.escalation_from_settings(self.workspace.settings)
        if backend is None:
            self.notify("no model to escalate to: set [loops] escalate_model or escalate_server_url in .coder.toml",
                        title="escalation", severity="error")
        return backend, backend is not None

    def live_runs(self) -> list:
        run = self.last_run
        return [run] if run is not None and run.running else []

    def action_back_to_run(self) -> None:
        if self.last_run is None:
            self.notify("no run yet in this session (F5 fixes, F8 optimizes; F3 lists earlier runs)", timeout=3)
            return
        self.app.push_screen(self.last_run)

    def action_toggle_escalation(self) -> None:
        self.escalate = not self.escalate
        self.status.escalation = self.escalate
        loops = self.workspace.settings.loops
        model = loops.escalate_model or loops.escalate_server_url
        if not self.escalate:
            self.notify("escalation off: runs use the chat model only", timeout=3)
        elif model or getattr(self.app, "escalation_backend", None) is not None:
            self.notify(f"escalation on: a task the chat model fails goes to {model or 'the larger model'}", timeout=3)
        else:
            self.notify("escalation on, but no model is set: [loops] escalate_model or escalate_server_url",
                        severity="warning")

    def action_runs(self) -> None:
        from tui.screens.runs_screen import RunsScreen

        self.app.push_screen(RunsScreen(self.workspace))

    def action_review(self) -> None:
        from tui.screens.review_screen import ReviewScreen

        async def jump(place: tuple[str, int] | None) -> None:
            if place is None:
                return
            editor = await self.open_file(place[0])
            if editor is not None:
                editor.move_cursor((min(place[1] - 1, editor.document.line_count - 1), 0), center=True)
                editor.focus()

        self.app.push_screen(ReviewScreen(self.workspace), jump)
