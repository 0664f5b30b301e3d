"""Asked when a file with unsaved edits changed on disk: take the disk's version or
keep the edits (saving then writes over the disk's)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class DiskChangeScreen(ModalScreen[str]):
    """Dismisses with "reload" or "keep"."""

    CSS_PATH = "disk_change_screen.tcss"
    BINDINGS = [
        Binding("r", "choose('reload')", "Reload from disk"),
        Binding("escape,k", "choose('keep')", "Keep my edits"),
    ]

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="disk-change"):
            yield Label(f"{self.path} changed on disk while you have unsaved edits in it.")
            with Horizontal(id="disk-change-buttons"):
                yield Button("Reload from disk (r)", id="reload", variant="warning")
                yield Button("Keep my edits (k)", id="keep", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
