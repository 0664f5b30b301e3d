"""Two candidates of a run (or one and the original) compared, side by side or as one
unified diff; each side's test result and timings are shown above it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from tui.keys import COMPARE_KEYS
from tui.widgets.candidate_compare import SIDE_BY_SIDE, CandidateCompare, Side


class CompareScreen(ModalScreen[str]):
    """Dismisses with the layout it was left in."""

    CSS_PATH = "compare_screen.tcss"
    BINDINGS = [Binding(k.key, k.action, k.description.removeprefix("Compare: "), show=k.show)
                for k in COMPARE_KEYS]

    def __init__(self, left: Side, right: Side, layout: str = SIDE_BY_SIDE):
        super().__init__()
        self.left, self.right, self.initial_layout = left, right, layout

    def compose(self) -> ComposeResult:
        with Vertical(id="compare"):
            yield Label("", id="compare-title")
            facts = Text()
            for mark, side in (("◀", self.left), ("▶", self.right)):
                facts.append(f"{mark} {side.label}: ", style="bold")
                facts.append(side.facts + "\n")
            yield Static(facts, id="compare-facts")
            with VerticalScroll(id="compare-scroll"):
                yield CandidateCompare(self.left, self.right, self.initial_layout, id="compare-diff")
        yield Footer()

    @property
    def view(self) -> CandidateCompare:
        return self.query_one(CandidateCompare)

    def on_mount(self) -> None:
        self._title()
        self.query_one("#compare-scroll").focus()

    def _title(self) -> None:
        self.query_one("#compare-title", Label).update(
            f"{self.left.label} against {self.right.label}: {self.view.mode} (u switches, Esc goes back)")

    def action_toggle_layout(self) -> None:
        self.view.toggle()
        self._title()

    def action_close(self) -> None:
        self.dismiss(self.view.mode)
