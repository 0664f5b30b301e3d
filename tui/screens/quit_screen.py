"""Asked on quit while files are unsaved: save them all, quit without saving, or stay."""

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

    def __init__(self, unsaved: list[str]):
        super().__init__()
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        with Vertical(id="quit"):
            names = ", ".join(self.unsaved[:5]) + (f" and {len(self.unsaved) - 5} more" if len(self.unsaved) > 5 else "")
            yield Label(f"Unsaved changes in {names}.", id="quit-question")
            with Horizontal(id="quit-buttons"):
                yield Button("Save all and quit (s)", id="save", variant="primary")
                yield Button("Quit without saving (d)", id="discard", variant="error")
                yield Button("Stay (Esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
