"""Asked on quit while files are unsaved or a run goes on: save them all, quit without
saving (a live run is stopped), or stay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitScreen(ModalScreen[str]):
    """Dismisses with "save", "discard" or "cancel"."""

    CSS_PATH = "quit_screen.tcss"
    BINDINGS = [
        Binding("escape", "choose('cancel')", "Stay"),
        Binding("s", "choose('save')", "Save all and quit"),
        Binding("d", "choose('discard')", "Quit without saving"),
    ]

    def __init__(self, unsaved: list[str], runs: list[str] | None = None):
        super().__init__()
        self.unsaved = unsaved
        self.runs = runs or []  # "fix path::function" of each run still going

    def compose(self) -> ComposeResult:
        with Vertical(id="quit"):
            if self.unsaved:
                names = ", ".join(self.unsaved[:5]) + (f" and {len(self.unsaved) - 5} more"
                                                       if len(self.unsaved) > 5 else "")
                yield Label(f"Unsaved changes in {names}.", id="quit-question")
            if self.runs:
                yield Label(f"Still running: {', '.join(self.runs)}. Quitting stops it.", id="quit-runs")
            with Horizontal(id="quit-buttons"):
                if self.unsaved:
                    yield Button("Save all and quit (s)", id="save", variant="primary")
                    yield Button("Quit without saving (d)", id="discard", variant="error")
                else:
                    yield Button("Stop the run and quit (d)", id="discard", variant="error")
                yield Button("Stay (Esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        if choice == "save" and not self.unsaved:
            return  # nothing to save: s means nothing here
        self.dismiss(choice)
