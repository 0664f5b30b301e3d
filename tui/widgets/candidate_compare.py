"""Two versions of a file (two candidates of a run, or one and the original) set
against each other, either as one unified diff or as two columns with the changed
lines facing each other; above each side what its candidate's tests and timings said."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.styles import css_beside

UNIFIED, SIDE_BY_SIDE = "unified", "side by side"
CONTEXT = 3  # unchanged lines kept around each change, as a unified diff keeps them


@dataclass
class Side:
    label: str  # "candidate 2.1 (model)" or "the original"
    text: str
    facts: str  # its test result and timings, one line


def unified(left: Side, right: Side) -> Text:
    text = Text()
    lines = difflib.unified_diff(left.text.splitlines(), right.text.splitlines(),
                                 fromfile=left.label, tofile=right.label, lineterm="")
    for line in lines:
        style = ("bold" if line.startswith(("---", "+++")) else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else "")
        text.append(line + "\n", style=style)
    return text if text.plain else Text("the two versions are the same")


def facing_rows(before: str, after: str) -> list[tuple[str, str, str]]:
    """(left line, right line, tag) for a two-column view: replaced lines face each
    other, what only one side has leaves the other blank, and long unchanged runs are
    cut to CONTEXT lines around each change (tag "gap" marks a cut)."""
    a, b = before.splitlines(), after.splitlines()
    rows: list[tuple[str, str, str]] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        if rows:
            rows.append(("⋯", "⋯", "gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [(a[i], b[j], "equal") for i, j in zip(range(i1, i2), range(j1, j2))]
                continue
            left, right = a[i1:i2], b[j1:j2]
            for n in range(max(len(left), len(right))):
                rows.append((left[n] if n < len(left) else "", right[n] if n < len(right) else "", tag))
    return rows


def side_by_side(left: Side, right: Side) -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False, box=None)
    table.add_column(left.label, ratio=1, overflow="fold", header_style="bold")
    table.add_column(right.label, ratio=1, overflow="fold", header_style="bold")
    rows = facing_rows(left.text, right.text)
    if not rows:
        table.add_row("the two versions are the same", "")
    for before, after, tag in rows:
        if tag == "equal":
            table.add_row(before, after)
        elif tag == "gap":
            table.add_row(Text(before, style="dim"), Text(after, style="dim"))
        else:  # a line only one side has shows as a blank on the other
            table.add_row(Text(before, style="red" if before else ""), Text(after, style="green" if after else ""))
    return table


class CandidateCompare(Static):
    DEFAULT_CSS = css_beside(__file__)

    def __init__(self, left: Side, right: Side, mode: str = SIDE_BY_SIDE, **kwargs):
        super().__init__(**kwargs)
        self.left, self.right, self.mode = left, right, mode

    def on_mount(self) -> None:
        self.show()

    def toggle(self) -> str:
        self.mode = UNIFIED if self.mode == SIDE_BY_SIDE else SIDE_BY_SIDE
        self.show()
        return self.mode

    def show(self) -> None:
        self.update(side_by_side(self.left, self.right) if self.mode == SIDE_BY_SIDE
                    else unified(self.left, self.right))
