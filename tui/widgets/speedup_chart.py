"""A small bar chart of an optimize run: the best speedup so far at each round."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.styles import css_beside

BAR_CELLS = 24
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A horizontal bar filling fraction (0..1) of cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * cells * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(cells)


class SpeedupChart(Static):
    DEFAULT_CSS = css_beside(__file__)

    def __init__(self, **kwargs):
        super().__init__("best speedup per round: no round yet", **kwargs)
        self.values: dict[int, float] = {}
        self.plain = ""  # what the chart shows, as plain text

    def show(self, best_by_round: dict[int, float]) -> None:
        self.values = dict(best_by_round)
        if not self.values:
            self.update("best speedup per round: no round yet")
            return
        top = max(max(self.values.values()), 1.0)
        text = Text("best speedup per round\n", style="bold")
        for number in sorted(self.values):
            value = self.values[number]
            text.append(f"r{number:<2} ")
            text.append(bar(value / top), style="green" if value > 1.0 else "dim")
            text.append(f" {value:.2f}x\n")
        self.plain = text.plain
        self.update(text)
