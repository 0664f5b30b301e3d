"""Earlier fix and optimize runs from the history store (what `coder runs` lists),
with the candidates of the run under the cursor and its best candidate's definition."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from coder.errors import CoderError
from coder.loops.run_summary import candidate_outcome, when

LIMIT = 50


def candidate_line(candidate: dict, best_id: int | None) -> str:
    line = f"{candidate['round']}.{candidate['idx']} {candidate['model']}: "
    line += candidate_outcome(candidate, speedup_reason=False)
    return line + ("  ← best" if candidate["id"] == best_id else "")


class RunsScreen(ModalScreen[None]):
    CSS_PATH = "runs_screen.tcss"
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, workspace):
        super().__init__()
        self.workspace = workspace
        self.runs: list[dict] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="runs"):
            yield Label("Earlier runs (Escape closes; `coder runs apply ID` applies one)", id="runs-title")
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="runs-detail-scroll"):
                yield Static("", id="runs-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("id", "when", "kind", "outcome", "rounds", "cand.", "target")
        try:
            with self.workspace.store() as store:
                self.runs = store.loop_runs(LIMIT)
        except CoderError as error:
            self.notify(error.message, title="history", severity="error")
            return
        for run in self.runs:
            table.add_row(str(run["id"]), when(run["created_at"]), run["kind"], run["outcome"],
                          str(run["rounds"]), str(run["candidates"]), run["target"], key=str(run["id"]))
        if not self.runs:
            self.query_one("#runs-detail", Static).update("no fix or optimize runs yet (F5 fixes, F8 optimizes)")
        table.focus()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        run = next((r for r in self.runs if str(r["id"]) == message.row_key.value), None)
        if run is None:
            return
        try:
            with self.workspace.store() as store:
                candidates = store.loop_candidates(run["id"])
                best = store.loop_candidate(run["best_candidate_id"]) if run["best_candidate_id"] else None
        except CoderError as error:
            self.notify(error.message, title="history", severity="error")
            return
        text = Text(f"run {run['id']}: {run['kind']} {run['target']}, model {run['model']}, "
                    f"{run['outcome']}\n", style="bold")
        for candidate in candidates:
            text.append("  " + candidate_line(candidate, run["best_candidate_id"]) + "\n")
        if best is not None and best["definition"]:
            text.append("best candidate:\n", style="bold")
            text.append(best["definition"] + "\n", style="green")
        self.query_one("#runs-detail", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
