"""A candidate's change, hunk by hunk, each marked kept or dropped by the user.

While a run goes on it shows the candidate's diff as it came (read only); once the run
is over it is given the hunks themselves (coder.loops.hunks) and the user decides on
each. Beside every hunk: the test result of the candidate it comes from."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import ListItem, ListView, Static

from tui.styles import css_beside

UNDECIDED, KEPT, DROPPED = "undecided", "accepted", "rejected"
MARKS = {UNDECIDED: "[ ]", KEPT: "[✓]", DROPPED: "[✗]"}


def diff_text(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                 else "cyan" if line.startswith("@@") else "")
        text.append(line + "\n", style=style)
    return text


def split_diff(diff: str) -> list[str]:
    """A unified diff's hunks as text (the file headers left out)."""
    hunks: list[str] = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("@@"):
            hunks.append(line)
        elif hunks:
            hunks[-1] += line
    return hunks


class HunkItem(ListItem):
    def __init__(self, number: int, total: int, text: str, tests: str, decidable: bool):
        super().__init__()
        self.number, self.total, self.text, self.tests, self.decidable = number, total, text, tests, decidable
        self.decision = UNDECIDED

    def compose(self):
        yield Static(self._header(), classes="hunk-header")
        yield Static(diff_text(self.text), classes="hunk-body")

    def _header(self) -> Text:
        header = Text()
        if self.decidable:
            header.append(f"{MARKS[self.decision]} {self.decision:<10} ",
                          style={"accepted": "bold green", "rejected": "bold red"}.get(self.decision, "bold"))
        header.append(f"hunk {self.number}/{self.total}", style="bold")
        header.append(f"   tests of this candidate: {self.tests}", style="italic")
        return header

    def decide(self, decision: str) -> None:
        self.decision = decision
        self.set_class(decision == KEPT, "-kept")
        self.set_class(decision == DROPPED, "-dropped")
        self.query_one(".hunk-header", Static).update(self._header())


class HunkPicker(ListView):
    DEFAULT_CSS = css_beside(__file__)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hunks: list = []  # coder.loops.hunks.Hunk, once decidable

    async def show_diff(self, diff: str, tests: str) -> None:
        """A candidate's diff while the run goes on: read only."""
        self.hunks = []
        parts = split_diff(diff)
        await self.clear()
        await self.extend(HunkItem(n, len(parts), part, tests, False) for n, part in enumerate(parts, 1))

    async def show_hunks(self, hunks: list, tests: str) -> None:
        """The hunks of a finished run's candidate, for the user to accept or reject."""
        self.hunks = list(hunks)
        await self.clear()
        await self.extend(HunkItem(h.number, len(hunks), h.text, tests, True) for h in hunks)
        if hunks:
            self.index = 0

    @property
    def items(self) -> list[HunkItem]:
        return list(self.query(HunkItem))

    def decide_current(self, decision: str) -> bool:
        item = self.highlighted_child
        if not isinstance(item, HunkItem) or not item.decidable:
            return False
        item.decide(decision)
        if self.index is not None and self.index < len(self) - 1:
            self.index += 1  # on to the next hunk
        return True

    @property
    def kept(self) -> set[int]:
        return {item.number for item in self.items if item.decidable and item.decision == KEPT}
