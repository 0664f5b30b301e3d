"""The rounds of a fix/optimize run as they come: one row per candidate with its
status, test result, speedup and time, and the run's best so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message
from textual.widgets import DataTable

from coder.loops import events as ev
from tui.styles import css_beside

COLUMNS = ("cand.", "status", "tests", "time")  # optimize adds "speedup" before the time


@dataclass
class CandidateRow:
    round: int
    candidate: int
    status: str = "asking the model"
    tests: str = ""
    passed: bool | None = None
    speedup: float | None = None
    started_at: float = 0.0
    seconds: float | None = None
    diff: str = ""
    events: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.round}.{self.candidate}"


class RunRounds(DataTable):
    DEFAULT_CSS = css_beside(__file__)

    class CandidateChosen(Message):
        def __init__(self, row: CandidateRow):
            super().__init__()
            self.row = row

    def __init__(self, kind: str = "fix", **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.kind = kind
        self.rows_by_key: dict[str, CandidateRow] = {}
        self.best_by_round: dict[int, float] = {}  # optimize: best speedup so far, per round
        self.best_speedup: float | None = None
        self.best_key: str | None = None
        self.marked_key: str | None = None  # the candidate kept aside to compare others with

    def on_mount(self) -> None:
        self.add_columns(*(COLUMNS[:3] + ("speedup",) + COLUMNS[3:] if self.kind == "optimize" else COLUMNS))

    def note(self, event, at: float) -> CandidateRow | None:
        """Fold one loop event into the table; the candidate row it is about, if any."""
        if event.kind == ev.ROUND:
            self.best_by_round[event.round] = self.best_speedup or 1.0
            return None
        if event.round is None or event.candidate is None:
            return None
        key = f"{event.round}.{event.candidate}"
        row = self.rows_by_key.get(key)
        if row is None:
            row = CandidateRow(event.round, event.candidate, started_at=at)
            self.rows_by_key[key] = row
            self.add_row(*self._cells(row), key=key)
            self.move_cursor(row=self.row_count - 1)
        row.events.append(event)
        data = event.data
        if event.kind == ev.REJECTED:
            row.status, row.seconds = "rejected", at - row.started_at
            row.tests = event.message.removeprefix("candidate rejected: ")
        elif event.kind == ev.TESTED:
            row.passed = bool(data.get("ok"))
            row.status = "passed" if row.passed else "failed"
            row.tests = f"{data.get('passed', 0)} passed, {data.get('failed', 0)} failed"
            row.seconds = at - row.started_at
            row.diff = data.get("diff", "")
            if row.passed and self.kind == "optimize":
                row.status = "timing it"
        elif event.kind == ev.MEASURED:
            row.speedup = data.get("speedup")
            row.status = "faster" if data.get("faster") else "not faster"
            row.seconds = at - row.started_at
        elif event.kind == ev.BEST:
            previous, self.best_key = self.rows_by_key.get(self.best_key or ""), key
            if data.get("speedup") is not None:
                self.best_speedup = data["speedup"]
                self.best_by_round[event.round] = max(self.best_by_round.get(event.round, 1.0), data["speedup"])
            if previous is not None and previous is not row:
                self._redraw(previous)
        self._redraw(row)
        return row

    @property
    def current_key(self) -> str | None:
        """The key ("round.candidate") of the row under the cursor."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def mark(self, key: str | None) -> None:
        """Mark one row (None: none); the mark shows beside its key."""
        previous, self.marked_key = self.rows_by_key.get(self.marked_key or ""), key
        for row in (previous, self.rows_by_key.get(key or "")):
            if row is not None:
                self._redraw(row)

    def _cells(self, row: CandidateRow) -> tuple[str, ...]:
        speedup = f"{row.speedup:.2f}x" if row.speedup is not None else ""
        seconds = f"{row.seconds:.1f} s" if row.seconds is not None else "…"
        status = f"{row.status} ★" if row.key == self.best_key else row.status
        key = f"{row.key} ◆" if row.key == self.marked_key else row.key
        if self.kind == "optimize":
            return key, status, row.tests, speedup, seconds
        return key, status, row.tests, seconds

    def _redraw(self, row: CandidateRow) -> None:
        for column, value in zip(self.columns, self._cells(row)):
            self.update_cell(row.key, column, value, update_width=True)

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        row = self.rows_by_key.get(message.row_key.value) if message.row_key is not None else None
        if row is not None:
            self.post_message(self.CandidateChosen(row))
