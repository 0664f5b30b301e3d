"""The keys, listed from the same table the bindings come from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from tui.keys import all_keys


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help_screen.tcss"
    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Label("Keys (Escape closes)", id="help-title")
            yield DataTable(id="help-keys", show_cursor=False, zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "does")
        for key in all_keys():
            table.add_row(key.key.replace(",", ", "), key.description)

    def action_close(self) -> None:
        self.dismiss(None)
