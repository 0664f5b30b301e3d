"""`coder tui`: the app wires the main screen to a workspace and handles quitting.
Everything else lives in the screens and widgets."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from tui import long_lived
from tui.commands import CoderCommands
from tui.keys import APP_KEYS
from tui.screens.help_screen import HelpScreen
from tui.screens.main_screen import MainScreen
from tui.screens.quit_screen import QuitScreen


class CoderApp(App):
    TITLE = "coder"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CoderCommands}
    BINDINGS = [Binding(k.key, k.action, k.description.split(" (")[0], show=k.show, priority=True) for k in APP_KEYS]
    loop_options = None  # coder.loops LoopOptions for the runs; None: from the [loops] settings
    escalation_backend = None  # the larger model escalated runs use; None: from [loops] escalate_*

    def __init__(self, workspace, *, open_path: Path | None = None):
        super().__init__()
        # The index parses a large repository in worker processes. multiprocessing's
        # resource tracker starts with the first of them and is handed sys.stderr,
        # which Textual has replaced by then (fileno() -1: "bad value(s) in
        # fds_to_keep"), so it is started here, while the real stderr is in place.
        from multiprocessing import resource_tracker

        from coder.isolation import children_without_working_directory

        with children_without_working_directory():  # the tracker is a `python -c` child
            resource_tracker.ensure_running()
        self.workspace = workspace
        self.main_screen: MainScreen | None = None
        self._open_path = open_path
        self.full_collections = long_lived.FullCollections()

    def on_mount(self) -> None:
        self.full_collections.hold()
        self.set_interval(0.25, self.full_collections.tick)
        self.main_screen = MainScreen(self.workspace, self._open_path)
        self.push_screen(self.main_screen)

    def on_unmount(self) -> None:
        self.full_collections.release()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)):
            self.full_collections.input_seen()
        await super().on_event(event)

    async def action_quit(self) -> None:
        screen = self.main_screen
        unsaved = screen.unsaved() if screen is not None else []
        live = screen.live_runs() if screen is not None else []
        if not unsaved and not live:
            self.exit()
            return

        def leave() -> None:
            for run in live:  # stopped, so the sandbox is torn down and the run recorded as cancelled
                run.cancel.set()
            self.exit()

        def decided(choice: str | None) -> None:
            if choice == "discard":
                leave()
            elif choice == "save":
                if all(screen.save(editor) for editor in unsaved):
                    leave()

        runs = [f"{run.kind} {run.spec}" for run in live]
        self.push_screen(QuitScreen([editor.path for editor in unsaved], runs), decided)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_pick_model(self) -> None:
        from tui.screens.model_picker import ModelPicker  # with the model registry: not needed at start-up

        screen = self.main_screen
        current = dict(screen.models) if screen is not None else {}

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is None or screen is None:
                return
            role, name = choice
            self.workspace.choose_model(role, name)
            screen.models.pop(role, None)
            if role == "chat":
                screen.conversation.session = None  # the next question opens the new model
            self.notify(f"{role} model: {name} (loads on first use)", timeout=3)

        self.push_screen(ModelPicker(current), chosen)
